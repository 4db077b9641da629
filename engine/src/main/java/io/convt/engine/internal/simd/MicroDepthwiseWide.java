package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise data-gradient register block that covers every channel vector of a pixel in one tap loop (layers of
 * three to four channel vectors): {@link SimdDepthwiseBackwardData} runs one pass over a block per channel vector
 * otherwise. (An 8-pixel × 2-vector block for two-vector layers such as 21 channels measured 0.87× of the per-vector
 * passes at N = 16 on an idle machine and 1.02× at N = 1, so two-vector layers keep the passes.)
 * Same tap order per output as the one-vector blocks; an overlapping last vector computes the same sums again.
 */
final class MicroDepthwiseWide {
  private static final VectorSpecies<Float> S = Micro.S;
  private static final int L = Micro.L;

  private MicroDepthwiseWide() {}

  /**
   * 4 pixels × four channel vectors ({@code 0, L, 2L} and {@code c3}, 3L &lt; channels &le; 4L, e.g. 64): a tap reads
   * whole pixels, so each line of the gradient is read in one pass over a block instead of one pass per vector.
   */
  static void sum4x4(float[] g, int x, int step, int c3, float[] wd, int wi, SimdDepthwiseBackwardData.Taps k,
      float[] o, int at, int os) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector b2 = a0;
    FloatVector b3 = a0;
    FloatVector c0 = a0;
    FloatVector c1 = a0;
    FloatVector c2 = a0;
    FloatVector c3v = a0;
    FloatVector d0 = a0;
    FloatVector d1 = a0;
    FloatVector d2 = a0;
    FloatVector d3 = a0;
    final int n = k.count();
    final int perRow = k.perRow();
    final int xStep = k.xStep();
    final int xJump = k.xJump();
    final int wStep = k.wStep();
    final int wJump = k.wJump();
    final int s2 = 2 * step;
    final int s3 = 3 * step;
    for (int t = 0, col = 0; t < n; t++) {
      FloatVector wa = FloatVector.fromArray(S, wd, wi);
      FloatVector wb = FloatVector.fromArray(S, wd, wi + L);
      FloatVector wc = FloatVector.fromArray(S, wd, wi + 2 * L);
      FloatVector wdv = FloatVector.fromArray(S, wd, wi + c3);
      a0 = FloatVector.fromArray(S, g, x).fma(wa, a0);
      b0 = FloatVector.fromArray(S, g, x + L).fma(wb, b0);
      c0 = FloatVector.fromArray(S, g, x + 2 * L).fma(wc, c0);
      d0 = FloatVector.fromArray(S, g, x + c3).fma(wdv, d0);
      a1 = FloatVector.fromArray(S, g, x + step).fma(wa, a1);
      b1 = FloatVector.fromArray(S, g, x + step + L).fma(wb, b1);
      c1 = FloatVector.fromArray(S, g, x + step + 2 * L).fma(wc, c1);
      d1 = FloatVector.fromArray(S, g, x + step + c3).fma(wdv, d1);
      a2 = FloatVector.fromArray(S, g, x + s2).fma(wa, a2);
      b2 = FloatVector.fromArray(S, g, x + s2 + L).fma(wb, b2);
      c2 = FloatVector.fromArray(S, g, x + s2 + 2 * L).fma(wc, c2);
      d2 = FloatVector.fromArray(S, g, x + s2 + c3).fma(wdv, d2);
      a3 = FloatVector.fromArray(S, g, x + s3).fma(wa, a3);
      b3 = FloatVector.fromArray(S, g, x + s3 + L).fma(wb, b3);
      c3v = FloatVector.fromArray(S, g, x + s3 + 2 * L).fma(wc, c3v);
      d3 = FloatVector.fromArray(S, g, x + s3 + c3).fma(wdv, d3);
      x += xStep;
      wi += wStep;
      if (++col == perRow) {
        col = 0;
        x += xJump;
        wi += wJump;
      }
    }
    d0.intoArray(o, at + c3);
    d1.intoArray(o, at + os + c3);
    d2.intoArray(o, at + 2 * os + c3);
    d3.intoArray(o, at + 3 * os + c3);
    a0.intoArray(o, at);
    a1.intoArray(o, at + os);
    a2.intoArray(o, at + 2 * os);
    a3.intoArray(o, at + 3 * os);
    b0.intoArray(o, at + L);
    b1.intoArray(o, at + os + L);
    b2.intoArray(o, at + 2 * os + L);
    b3.intoArray(o, at + 3 * os + L);
    c0.intoArray(o, at + 2 * L);
    c1.intoArray(o, at + os + 2 * L);
    c2.intoArray(o, at + 2 * os + 2 * L);
    c3v.intoArray(o, at + 3 * os + 2 * L);
  }
}

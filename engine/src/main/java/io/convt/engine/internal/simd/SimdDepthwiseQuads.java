package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise data-gradient register blocks for kernels twice the stride in both directions without dilation
 * (bilinear upsampling k = 2s, k4 s2): two source rows × 8 or 4 pixels × one channel vector, summed in stride
 * phases. For phase (py, px), pixel (iy, ix) takes kernel taps (py + b·sY, px + a·sX), a, b ∈ {0, 1}, from
 * gradient pixel (iy − b, ix − a) of the phase's grid, so the two rows' 2 × 8 pixels read a 3 × 9 patch of that
 * grid: each gradient vector loads once for up to four sums and the four weights stay in registers (31 loads per 64
 * FMAs, against 9 per 8 for a tap at a time: on JDK 25 every vector load with a computed index costs a bounds check
 * and address arithmetic, and those instructions, not the FMAs, bounded the kernel).
 */
final class SimdDepthwiseQuads {
  private static final VectorSpecies<Float> S = Micro.S;

  private SimdDepthwiseQuads() {}

  /**
   * Two rows {@code below} apart in the output, np (8 or 4) pixels {@code os} apart. {@code x}: gradient index of
   * the upper row's first pixel for phase (0, 0) with b = a = 0; pixel q + 1 is {@code step} further, the grid row
   * above {@code up} (negative); weights at {@code wi}, the a = 1 tap {@code wa} and the b = 1 tap {@code wb} further.
   */
  static void block(float[] g, int x, int step, int up, float[] wd, int wi, int wa, int wb,
      SimdDepthwiseBackwardData.Taps k, float[] o, int at, int os, int below, int np) {
    if (np == 8) {
      quad8(g, x, step, up, wd, wi, wa, wb, k, o, at, os, below);
    } else {
      quad4(g, x, step, up, wd, wi, wa, wb, k, o, at, os, below);
    }
  }

  private static void quad8(float[] g, int x, int step, int up, float[] wd, int wi, int wa, int wb,
      SimdDepthwiseBackwardData.Taps k, float[] o,
      int at, int os, int below) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector a4 = a0;
    FloatVector a5 = a0;
    FloatVector a6 = a0;
    FloatVector a7 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector b2 = a0;
    FloatVector b3 = a0;
    FloatVector b4 = a0;
    FloatVector b5 = a0;
    FloatVector b6 = a0;
    FloatVector b7 = a0;
    final int n = k.count();
    final int perRow = k.perRow();
    for (int t = 0, col = 0; t < n; t++) {
      FloatVector w00 = FloatVector.fromArray(S, wd, wi);
      FloatVector w01 = FloatVector.fromArray(S, wd, wi + wa);
      FloatVector w10 = FloatVector.fromArray(S, wd, wi + wb);
      FloatVector w11 = FloatVector.fromArray(S, wd, wi + wb + wa);
      FloatVector d;
      d = FloatVector.fromArray(S, g, x + up - step);
      a0 = d.fma(w11, a0);
      d = FloatVector.fromArray(S, g, x + up);
      a0 = d.fma(w10, a0);
      a1 = d.fma(w11, a1);
      d = FloatVector.fromArray(S, g, x + up + step);
      a1 = d.fma(w10, a1);
      a2 = d.fma(w11, a2);
      d = FloatVector.fromArray(S, g, x + up + 2 * step);
      a2 = d.fma(w10, a2);
      a3 = d.fma(w11, a3);
      d = FloatVector.fromArray(S, g, x + up + 3 * step);
      a3 = d.fma(w10, a3);
      a4 = d.fma(w11, a4);
      d = FloatVector.fromArray(S, g, x + up + 4 * step);
      a4 = d.fma(w10, a4);
      a5 = d.fma(w11, a5);
      d = FloatVector.fromArray(S, g, x + up + 5 * step);
      a5 = d.fma(w10, a5);
      a6 = d.fma(w11, a6);
      d = FloatVector.fromArray(S, g, x + up + 6 * step);
      a6 = d.fma(w10, a6);
      a7 = d.fma(w11, a7);
      d = FloatVector.fromArray(S, g, x + up + 7 * step);
      a7 = d.fma(w10, a7);
      d = FloatVector.fromArray(S, g, x - step);
      a0 = d.fma(w01, a0);
      b0 = d.fma(w11, b0);
      d = FloatVector.fromArray(S, g, x);
      a0 = d.fma(w00, a0);
      a1 = d.fma(w01, a1);
      b0 = d.fma(w10, b0);
      b1 = d.fma(w11, b1);
      d = FloatVector.fromArray(S, g, x + step);
      a1 = d.fma(w00, a1);
      a2 = d.fma(w01, a2);
      b1 = d.fma(w10, b1);
      b2 = d.fma(w11, b2);
      d = FloatVector.fromArray(S, g, x + 2 * step);
      a2 = d.fma(w00, a2);
      a3 = d.fma(w01, a3);
      b2 = d.fma(w10, b2);
      b3 = d.fma(w11, b3);
      d = FloatVector.fromArray(S, g, x + 3 * step);
      a3 = d.fma(w00, a3);
      a4 = d.fma(w01, a4);
      b3 = d.fma(w10, b3);
      b4 = d.fma(w11, b4);
      d = FloatVector.fromArray(S, g, x + 4 * step);
      a4 = d.fma(w00, a4);
      a5 = d.fma(w01, a5);
      b4 = d.fma(w10, b4);
      b5 = d.fma(w11, b5);
      d = FloatVector.fromArray(S, g, x + 5 * step);
      a5 = d.fma(w00, a5);
      a6 = d.fma(w01, a6);
      b5 = d.fma(w10, b5);
      b6 = d.fma(w11, b6);
      d = FloatVector.fromArray(S, g, x + 6 * step);
      a6 = d.fma(w00, a6);
      a7 = d.fma(w01, a7);
      b6 = d.fma(w10, b6);
      b7 = d.fma(w11, b7);
      d = FloatVector.fromArray(S, g, x + 7 * step);
      a7 = d.fma(w00, a7);
      b7 = d.fma(w10, b7);
      d = FloatVector.fromArray(S, g, x - up - step);
      b0 = d.fma(w01, b0);
      d = FloatVector.fromArray(S, g, x - up);
      b0 = d.fma(w00, b0);
      b1 = d.fma(w01, b1);
      d = FloatVector.fromArray(S, g, x - up + step);
      b1 = d.fma(w00, b1);
      b2 = d.fma(w01, b2);
      d = FloatVector.fromArray(S, g, x - up + 2 * step);
      b2 = d.fma(w00, b2);
      b3 = d.fma(w01, b3);
      d = FloatVector.fromArray(S, g, x - up + 3 * step);
      b3 = d.fma(w00, b3);
      b4 = d.fma(w01, b4);
      d = FloatVector.fromArray(S, g, x - up + 4 * step);
      b4 = d.fma(w00, b4);
      b5 = d.fma(w01, b5);
      d = FloatVector.fromArray(S, g, x - up + 5 * step);
      b5 = d.fma(w00, b5);
      b6 = d.fma(w01, b6);
      d = FloatVector.fromArray(S, g, x - up + 6 * step);
      b6 = d.fma(w00, b6);
      b7 = d.fma(w01, b7);
      d = FloatVector.fromArray(S, g, x - up + 7 * step);
      b7 = d.fma(w00, b7);
      x += k.xStep();
      wi += k.wStep();
      if (++col == perRow) {
        col = 0;
        x += k.xJump();
        wi += k.wJump();
      }
    }
    a0.intoArray(o, at);
    a1.intoArray(o, at + os);
    a2.intoArray(o, at + 2 * os);
    a3.intoArray(o, at + 3 * os);
    a4.intoArray(o, at + 4 * os);
    a5.intoArray(o, at + 5 * os);
    a6.intoArray(o, at + 6 * os);
    a7.intoArray(o, at + 7 * os);
    b0.intoArray(o, at + below);
    b1.intoArray(o, at + below + os);
    b2.intoArray(o, at + below + 2 * os);
    b3.intoArray(o, at + below + 3 * os);
    b4.intoArray(o, at + below + 4 * os);
    b5.intoArray(o, at + below + 5 * os);
    b6.intoArray(o, at + below + 6 * os);
    b7.intoArray(o, at + below + 7 * os);
  }

  private static void quad4(float[] g, int x, int step, int up, float[] wd, int wi, int wa, int wb,
      SimdDepthwiseBackwardData.Taps k, float[] o,
      int at, int os, int below) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector b2 = a0;
    FloatVector b3 = a0;
    final int n = k.count();
    final int perRow = k.perRow();
    for (int t = 0, col = 0; t < n; t++) {
      FloatVector w00 = FloatVector.fromArray(S, wd, wi);
      FloatVector w01 = FloatVector.fromArray(S, wd, wi + wa);
      FloatVector w10 = FloatVector.fromArray(S, wd, wi + wb);
      FloatVector w11 = FloatVector.fromArray(S, wd, wi + wb + wa);
      FloatVector d;
      d = FloatVector.fromArray(S, g, x + up - step);
      a0 = d.fma(w11, a0);
      d = FloatVector.fromArray(S, g, x + up);
      a0 = d.fma(w10, a0);
      a1 = d.fma(w11, a1);
      d = FloatVector.fromArray(S, g, x + up + step);
      a1 = d.fma(w10, a1);
      a2 = d.fma(w11, a2);
      d = FloatVector.fromArray(S, g, x + up + 2 * step);
      a2 = d.fma(w10, a2);
      a3 = d.fma(w11, a3);
      d = FloatVector.fromArray(S, g, x + up + 3 * step);
      a3 = d.fma(w10, a3);
      d = FloatVector.fromArray(S, g, x - step);
      a0 = d.fma(w01, a0);
      b0 = d.fma(w11, b0);
      d = FloatVector.fromArray(S, g, x);
      a0 = d.fma(w00, a0);
      a1 = d.fma(w01, a1);
      b0 = d.fma(w10, b0);
      b1 = d.fma(w11, b1);
      d = FloatVector.fromArray(S, g, x + step);
      a1 = d.fma(w00, a1);
      a2 = d.fma(w01, a2);
      b1 = d.fma(w10, b1);
      b2 = d.fma(w11, b2);
      d = FloatVector.fromArray(S, g, x + 2 * step);
      a2 = d.fma(w00, a2);
      a3 = d.fma(w01, a3);
      b2 = d.fma(w10, b2);
      b3 = d.fma(w11, b3);
      d = FloatVector.fromArray(S, g, x + 3 * step);
      a3 = d.fma(w00, a3);
      b3 = d.fma(w10, b3);
      d = FloatVector.fromArray(S, g, x - up - step);
      b0 = d.fma(w01, b0);
      d = FloatVector.fromArray(S, g, x - up);
      b0 = d.fma(w00, b0);
      b1 = d.fma(w01, b1);
      d = FloatVector.fromArray(S, g, x - up + step);
      b1 = d.fma(w00, b1);
      b2 = d.fma(w01, b2);
      d = FloatVector.fromArray(S, g, x - up + 2 * step);
      b2 = d.fma(w00, b2);
      b3 = d.fma(w01, b3);
      d = FloatVector.fromArray(S, g, x - up + 3 * step);
      b3 = d.fma(w00, b3);
      x += k.xStep();
      wi += k.wStep();
      if (++col == perRow) {
        col = 0;
        x += k.xJump();
        wi += k.wJump();
      }
    }
    a0.intoArray(o, at);
    a1.intoArray(o, at + os);
    a2.intoArray(o, at + 2 * os);
    a3.intoArray(o, at + 3 * os);
    b0.intoArray(o, at + below);
    b1.intoArray(o, at + below + os);
    b2.intoArray(o, at + below + 2 * os);
    b3.intoArray(o, at + below + 3 * os);
  }
}

package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register blocks of the few-output-channel data gradient ({@link SimdFewOutputs}), 2 vectors of channels:
 * a source pixel reduces over only kH·kW·Cout terms (48 for a 4×4 kernel and 3 outputs), which in a padded gradient
 * row are kW·Cout consecutive floats per kernel row, so one call runs a pixel block's whole reduction (up to four
 * kernel rows) with its 24 sums in registers. Spelled out, as {@link MicroRows}, so the accumulators stay in
 * registers; every index is the loop counter plus an invariant, so C2 hoists the bounds checks.
 */
final class MicroFewData2 {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroFewData2() {}

  /**
   * {@code out[at + q·os + k·L] = Σ_{t<4} Σ_{i<n_t} a[a_t + q·ds + i] · b[b0 + t·bRow + i·2L + k·L]} for
   * pixels q &lt; 12 and vectors k &lt; 2: stored, not accumulated (the call is a pixel block's whole reduction). Four
   * loops one after the other, not a loop over kernel rows around one: C2 compiled the nested form to code half as
   * fast.
   */
  static void data12x2(float[] a, int a0, int a1, int a2, int a3, int n0, int n1, int n2, int n3, int ds, float[] b,
      int b0, int bRow, float[] out, int at, int os) {
    FloatVector c0_0 = FloatVector.zero(S);
    FloatVector c0_1 = FloatVector.zero(S);
    FloatVector c1_0 = FloatVector.zero(S);
    FloatVector c1_1 = FloatVector.zero(S);
    FloatVector c2_0 = FloatVector.zero(S);
    FloatVector c2_1 = FloatVector.zero(S);
    FloatVector c3_0 = FloatVector.zero(S);
    FloatVector c3_1 = FloatVector.zero(S);
    FloatVector c4_0 = FloatVector.zero(S);
    FloatVector c4_1 = FloatVector.zero(S);
    FloatVector c5_0 = FloatVector.zero(S);
    FloatVector c5_1 = FloatVector.zero(S);
    FloatVector c6_0 = FloatVector.zero(S);
    FloatVector c6_1 = FloatVector.zero(S);
    FloatVector c7_0 = FloatVector.zero(S);
    FloatVector c7_1 = FloatVector.zero(S);
    FloatVector c8_0 = FloatVector.zero(S);
    FloatVector c8_1 = FloatVector.zero(S);
    FloatVector c9_0 = FloatVector.zero(S);
    FloatVector c9_1 = FloatVector.zero(S);
    FloatVector c10_0 = FloatVector.zero(S);
    FloatVector c10_1 = FloatVector.zero(S);
    FloatVector c11_0 = FloatVector.zero(S);
    FloatVector c11_1 = FloatVector.zero(S);
    for (int i = 0; i < n0; i++) {
      int ai = a0 + i;
      int bi = b0 + i * (2 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + 1 * L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = x0.fma(w0, c0_0);
      c0_1 = x0.fma(w1, c0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c1_0 = x1.fma(w0, c1_0);
      c1_1 = x1.fma(w1, c1_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c2_0 = x2.fma(w0, c2_0);
      c2_1 = x2.fma(w1, c2_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c3_0 = x3.fma(w0, c3_0);
      c3_1 = x3.fma(w1, c3_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c4_0 = x4.fma(w0, c4_0);
      c4_1 = x4.fma(w1, c4_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c5_0 = x5.fma(w0, c5_0);
      c5_1 = x5.fma(w1, c5_1);
      FloatVector x6 = FloatVector.broadcast(S, a[ai + 6 * ds]);
      c6_0 = x6.fma(w0, c6_0);
      c6_1 = x6.fma(w1, c6_1);
      FloatVector x7 = FloatVector.broadcast(S, a[ai + 7 * ds]);
      c7_0 = x7.fma(w0, c7_0);
      c7_1 = x7.fma(w1, c7_1);
      FloatVector x8 = FloatVector.broadcast(S, a[ai + 8 * ds]);
      c8_0 = x8.fma(w0, c8_0);
      c8_1 = x8.fma(w1, c8_1);
      FloatVector x9 = FloatVector.broadcast(S, a[ai + 9 * ds]);
      c9_0 = x9.fma(w0, c9_0);
      c9_1 = x9.fma(w1, c9_1);
      FloatVector x10 = FloatVector.broadcast(S, a[ai + 10 * ds]);
      c10_0 = x10.fma(w0, c10_0);
      c10_1 = x10.fma(w1, c10_1);
      FloatVector x11 = FloatVector.broadcast(S, a[ai + 11 * ds]);
      c11_0 = x11.fma(w0, c11_0);
      c11_1 = x11.fma(w1, c11_1);
    }
    for (int i = 0; i < n1; i++) {
      int ai = a1 + i;
      int bi = b0 + 1 * bRow + i * (2 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + 1 * L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = x0.fma(w0, c0_0);
      c0_1 = x0.fma(w1, c0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c1_0 = x1.fma(w0, c1_0);
      c1_1 = x1.fma(w1, c1_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c2_0 = x2.fma(w0, c2_0);
      c2_1 = x2.fma(w1, c2_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c3_0 = x3.fma(w0, c3_0);
      c3_1 = x3.fma(w1, c3_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c4_0 = x4.fma(w0, c4_0);
      c4_1 = x4.fma(w1, c4_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c5_0 = x5.fma(w0, c5_0);
      c5_1 = x5.fma(w1, c5_1);
      FloatVector x6 = FloatVector.broadcast(S, a[ai + 6 * ds]);
      c6_0 = x6.fma(w0, c6_0);
      c6_1 = x6.fma(w1, c6_1);
      FloatVector x7 = FloatVector.broadcast(S, a[ai + 7 * ds]);
      c7_0 = x7.fma(w0, c7_0);
      c7_1 = x7.fma(w1, c7_1);
      FloatVector x8 = FloatVector.broadcast(S, a[ai + 8 * ds]);
      c8_0 = x8.fma(w0, c8_0);
      c8_1 = x8.fma(w1, c8_1);
      FloatVector x9 = FloatVector.broadcast(S, a[ai + 9 * ds]);
      c9_0 = x9.fma(w0, c9_0);
      c9_1 = x9.fma(w1, c9_1);
      FloatVector x10 = FloatVector.broadcast(S, a[ai + 10 * ds]);
      c10_0 = x10.fma(w0, c10_0);
      c10_1 = x10.fma(w1, c10_1);
      FloatVector x11 = FloatVector.broadcast(S, a[ai + 11 * ds]);
      c11_0 = x11.fma(w0, c11_0);
      c11_1 = x11.fma(w1, c11_1);
    }
    for (int i = 0; i < n2; i++) {
      int ai = a2 + i;
      int bi = b0 + 2 * bRow + i * (2 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + 1 * L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = x0.fma(w0, c0_0);
      c0_1 = x0.fma(w1, c0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c1_0 = x1.fma(w0, c1_0);
      c1_1 = x1.fma(w1, c1_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c2_0 = x2.fma(w0, c2_0);
      c2_1 = x2.fma(w1, c2_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c3_0 = x3.fma(w0, c3_0);
      c3_1 = x3.fma(w1, c3_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c4_0 = x4.fma(w0, c4_0);
      c4_1 = x4.fma(w1, c4_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c5_0 = x5.fma(w0, c5_0);
      c5_1 = x5.fma(w1, c5_1);
      FloatVector x6 = FloatVector.broadcast(S, a[ai + 6 * ds]);
      c6_0 = x6.fma(w0, c6_0);
      c6_1 = x6.fma(w1, c6_1);
      FloatVector x7 = FloatVector.broadcast(S, a[ai + 7 * ds]);
      c7_0 = x7.fma(w0, c7_0);
      c7_1 = x7.fma(w1, c7_1);
      FloatVector x8 = FloatVector.broadcast(S, a[ai + 8 * ds]);
      c8_0 = x8.fma(w0, c8_0);
      c8_1 = x8.fma(w1, c8_1);
      FloatVector x9 = FloatVector.broadcast(S, a[ai + 9 * ds]);
      c9_0 = x9.fma(w0, c9_0);
      c9_1 = x9.fma(w1, c9_1);
      FloatVector x10 = FloatVector.broadcast(S, a[ai + 10 * ds]);
      c10_0 = x10.fma(w0, c10_0);
      c10_1 = x10.fma(w1, c10_1);
      FloatVector x11 = FloatVector.broadcast(S, a[ai + 11 * ds]);
      c11_0 = x11.fma(w0, c11_0);
      c11_1 = x11.fma(w1, c11_1);
    }
    for (int i = 0; i < n3; i++) {
      int ai = a3 + i;
      int bi = b0 + 3 * bRow + i * (2 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + 1 * L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = x0.fma(w0, c0_0);
      c0_1 = x0.fma(w1, c0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c1_0 = x1.fma(w0, c1_0);
      c1_1 = x1.fma(w1, c1_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c2_0 = x2.fma(w0, c2_0);
      c2_1 = x2.fma(w1, c2_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c3_0 = x3.fma(w0, c3_0);
      c3_1 = x3.fma(w1, c3_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c4_0 = x4.fma(w0, c4_0);
      c4_1 = x4.fma(w1, c4_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c5_0 = x5.fma(w0, c5_0);
      c5_1 = x5.fma(w1, c5_1);
      FloatVector x6 = FloatVector.broadcast(S, a[ai + 6 * ds]);
      c6_0 = x6.fma(w0, c6_0);
      c6_1 = x6.fma(w1, c6_1);
      FloatVector x7 = FloatVector.broadcast(S, a[ai + 7 * ds]);
      c7_0 = x7.fma(w0, c7_0);
      c7_1 = x7.fma(w1, c7_1);
      FloatVector x8 = FloatVector.broadcast(S, a[ai + 8 * ds]);
      c8_0 = x8.fma(w0, c8_0);
      c8_1 = x8.fma(w1, c8_1);
      FloatVector x9 = FloatVector.broadcast(S, a[ai + 9 * ds]);
      c9_0 = x9.fma(w0, c9_0);
      c9_1 = x9.fma(w1, c9_1);
      FloatVector x10 = FloatVector.broadcast(S, a[ai + 10 * ds]);
      c10_0 = x10.fma(w0, c10_0);
      c10_1 = x10.fma(w1, c10_1);
      FloatVector x11 = FloatVector.broadcast(S, a[ai + 11 * ds]);
      c11_0 = x11.fma(w0, c11_0);
      c11_1 = x11.fma(w1, c11_1);
    }
    c0_0.intoArray(out, at);
    c0_1.intoArray(out, at + 1 * L);
    c1_0.intoArray(out, at + os);
    c1_1.intoArray(out, at + os + 1 * L);
    c2_0.intoArray(out, at + 2 * os);
    c2_1.intoArray(out, at + 2 * os + 1 * L);
    c3_0.intoArray(out, at + 3 * os);
    c3_1.intoArray(out, at + 3 * os + 1 * L);
    c4_0.intoArray(out, at + 4 * os);
    c4_1.intoArray(out, at + 4 * os + 1 * L);
    c5_0.intoArray(out, at + 5 * os);
    c5_1.intoArray(out, at + 5 * os + 1 * L);
    c6_0.intoArray(out, at + 6 * os);
    c6_1.intoArray(out, at + 6 * os + 1 * L);
    c7_0.intoArray(out, at + 7 * os);
    c7_1.intoArray(out, at + 7 * os + 1 * L);
    c8_0.intoArray(out, at + 8 * os);
    c8_1.intoArray(out, at + 8 * os + 1 * L);
    c9_0.intoArray(out, at + 9 * os);
    c9_1.intoArray(out, at + 9 * os + 1 * L);
    c10_0.intoArray(out, at + 10 * os);
    c10_1.intoArray(out, at + 10 * os + 1 * L);
    c11_0.intoArray(out, at + 11 * os);
    c11_1.intoArray(out, at + 11 * os + 1 * L);
  }
}

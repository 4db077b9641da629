package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register blocks of the few-output-channel data gradient ({@link SimdFewOutputs}), 4 vectors of channels:
 * a source pixel reduces over only kH·kW·Cout terms (48 for a 4×4 kernel and 3 outputs), which in a padded gradient
 * row are kW·Cout consecutive floats per kernel row, so one call runs a pixel block's whole reduction (up to four
 * kernel rows) with its 24 sums in registers. Spelled out, as {@link MicroRows}, so the accumulators stay in
 * registers; every index is the loop counter plus an invariant, so C2 hoists the bounds checks.
 */
final class MicroFewData4 {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroFewData4() {}

  /**
   * {@code out[at + q·os + k·L] = Σ_{t<4} Σ_{i<n_t} a[a_t + q·ds + i] · b[b0 + t·bRow + i·4L + k·L]} for
   * pixels q &lt; 6 and vectors k &lt; 4: stored, not accumulated (the call is a pixel block's whole reduction). Four
   * loops one after the other, not a loop over kernel rows around one: C2 compiled the nested form to code half as
   * fast.
   */
  static void data6x4(float[] a, int a0, int a1, int a2, int a3, int n0, int n1, int n2, int n3, int ds, float[] b,
      int b0, int bRow, float[] out, int at, int os) {
    FloatVector c0_0 = FloatVector.zero(S);
    FloatVector c0_1 = FloatVector.zero(S);
    FloatVector c0_2 = FloatVector.zero(S);
    FloatVector c0_3 = FloatVector.zero(S);
    FloatVector c1_0 = FloatVector.zero(S);
    FloatVector c1_1 = FloatVector.zero(S);
    FloatVector c1_2 = FloatVector.zero(S);
    FloatVector c1_3 = FloatVector.zero(S);
    FloatVector c2_0 = FloatVector.zero(S);
    FloatVector c2_1 = FloatVector.zero(S);
    FloatVector c2_2 = FloatVector.zero(S);
    FloatVector c2_3 = FloatVector.zero(S);
    FloatVector c3_0 = FloatVector.zero(S);
    FloatVector c3_1 = FloatVector.zero(S);
    FloatVector c3_2 = FloatVector.zero(S);
    FloatVector c3_3 = FloatVector.zero(S);
    FloatVector c4_0 = FloatVector.zero(S);
    FloatVector c4_1 = FloatVector.zero(S);
    FloatVector c4_2 = FloatVector.zero(S);
    FloatVector c4_3 = FloatVector.zero(S);
    FloatVector c5_0 = FloatVector.zero(S);
    FloatVector c5_1 = FloatVector.zero(S);
    FloatVector c5_2 = FloatVector.zero(S);
    FloatVector c5_3 = FloatVector.zero(S);
    for (int i = 0; i < n0; i++) {
      int ai = a0 + i;
      int bi = b0 + i * (4 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + 1 * L);
      FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
      FloatVector w3 = FloatVector.fromArray(S, b, bi + 3 * L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = x0.fma(w0, c0_0);
      c0_1 = x0.fma(w1, c0_1);
      c0_2 = x0.fma(w2, c0_2);
      c0_3 = x0.fma(w3, c0_3);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c1_0 = x1.fma(w0, c1_0);
      c1_1 = x1.fma(w1, c1_1);
      c1_2 = x1.fma(w2, c1_2);
      c1_3 = x1.fma(w3, c1_3);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c2_0 = x2.fma(w0, c2_0);
      c2_1 = x2.fma(w1, c2_1);
      c2_2 = x2.fma(w2, c2_2);
      c2_3 = x2.fma(w3, c2_3);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c3_0 = x3.fma(w0, c3_0);
      c3_1 = x3.fma(w1, c3_1);
      c3_2 = x3.fma(w2, c3_2);
      c3_3 = x3.fma(w3, c3_3);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c4_0 = x4.fma(w0, c4_0);
      c4_1 = x4.fma(w1, c4_1);
      c4_2 = x4.fma(w2, c4_2);
      c4_3 = x4.fma(w3, c4_3);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c5_0 = x5.fma(w0, c5_0);
      c5_1 = x5.fma(w1, c5_1);
      c5_2 = x5.fma(w2, c5_2);
      c5_3 = x5.fma(w3, c5_3);
    }
    for (int i = 0; i < n1; i++) {
      int ai = a1 + i;
      int bi = b0 + 1 * bRow + i * (4 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + 1 * L);
      FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
      FloatVector w3 = FloatVector.fromArray(S, b, bi + 3 * L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = x0.fma(w0, c0_0);
      c0_1 = x0.fma(w1, c0_1);
      c0_2 = x0.fma(w2, c0_2);
      c0_3 = x0.fma(w3, c0_3);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c1_0 = x1.fma(w0, c1_0);
      c1_1 = x1.fma(w1, c1_1);
      c1_2 = x1.fma(w2, c1_2);
      c1_3 = x1.fma(w3, c1_3);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c2_0 = x2.fma(w0, c2_0);
      c2_1 = x2.fma(w1, c2_1);
      c2_2 = x2.fma(w2, c2_2);
      c2_3 = x2.fma(w3, c2_3);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c3_0 = x3.fma(w0, c3_0);
      c3_1 = x3.fma(w1, c3_1);
      c3_2 = x3.fma(w2, c3_2);
      c3_3 = x3.fma(w3, c3_3);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c4_0 = x4.fma(w0, c4_0);
      c4_1 = x4.fma(w1, c4_1);
      c4_2 = x4.fma(w2, c4_2);
      c4_3 = x4.fma(w3, c4_3);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c5_0 = x5.fma(w0, c5_0);
      c5_1 = x5.fma(w1, c5_1);
      c5_2 = x5.fma(w2, c5_2);
      c5_3 = x5.fma(w3, c5_3);
    }
    for (int i = 0; i < n2; i++) {
      int ai = a2 + i;
      int bi = b0 + 2 * bRow + i * (4 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + 1 * L);
      FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
      FloatVector w3 = FloatVector.fromArray(S, b, bi + 3 * L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = x0.fma(w0, c0_0);
      c0_1 = x0.fma(w1, c0_1);
      c0_2 = x0.fma(w2, c0_2);
      c0_3 = x0.fma(w3, c0_3);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c1_0 = x1.fma(w0, c1_0);
      c1_1 = x1.fma(w1, c1_1);
      c1_2 = x1.fma(w2, c1_2);
      c1_3 = x1.fma(w3, c1_3);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c2_0 = x2.fma(w0, c2_0);
      c2_1 = x2.fma(w1, c2_1);
      c2_2 = x2.fma(w2, c2_2);
      c2_3 = x2.fma(w3, c2_3);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c3_0 = x3.fma(w0, c3_0);
      c3_1 = x3.fma(w1, c3_1);
      c3_2 = x3.fma(w2, c3_2);
      c3_3 = x3.fma(w3, c3_3);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c4_0 = x4.fma(w0, c4_0);
      c4_1 = x4.fma(w1, c4_1);
      c4_2 = x4.fma(w2, c4_2);
      c4_3 = x4.fma(w3, c4_3);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c5_0 = x5.fma(w0, c5_0);
      c5_1 = x5.fma(w1, c5_1);
      c5_2 = x5.fma(w2, c5_2);
      c5_3 = x5.fma(w3, c5_3);
    }
    for (int i = 0; i < n3; i++) {
      int ai = a3 + i;
      int bi = b0 + 3 * bRow + i * (4 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + 1 * L);
      FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
      FloatVector w3 = FloatVector.fromArray(S, b, bi + 3 * L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = x0.fma(w0, c0_0);
      c0_1 = x0.fma(w1, c0_1);
      c0_2 = x0.fma(w2, c0_2);
      c0_3 = x0.fma(w3, c0_3);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c1_0 = x1.fma(w0, c1_0);
      c1_1 = x1.fma(w1, c1_1);
      c1_2 = x1.fma(w2, c1_2);
      c1_3 = x1.fma(w3, c1_3);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c2_0 = x2.fma(w0, c2_0);
      c2_1 = x2.fma(w1, c2_1);
      c2_2 = x2.fma(w2, c2_2);
      c2_3 = x2.fma(w3, c2_3);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c3_0 = x3.fma(w0, c3_0);
      c3_1 = x3.fma(w1, c3_1);
      c3_2 = x3.fma(w2, c3_2);
      c3_3 = x3.fma(w3, c3_3);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c4_0 = x4.fma(w0, c4_0);
      c4_1 = x4.fma(w1, c4_1);
      c4_2 = x4.fma(w2, c4_2);
      c4_3 = x4.fma(w3, c4_3);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c5_0 = x5.fma(w0, c5_0);
      c5_1 = x5.fma(w1, c5_1);
      c5_2 = x5.fma(w2, c5_2);
      c5_3 = x5.fma(w3, c5_3);
    }
    c0_0.intoArray(out, at);
    c0_1.intoArray(out, at + 1 * L);
    c0_2.intoArray(out, at + 2 * L);
    c0_3.intoArray(out, at + 3 * L);
    c1_0.intoArray(out, at + os);
    c1_1.intoArray(out, at + os + 1 * L);
    c1_2.intoArray(out, at + os + 2 * L);
    c1_3.intoArray(out, at + os + 3 * L);
    c2_0.intoArray(out, at + 2 * os);
    c2_1.intoArray(out, at + 2 * os + 1 * L);
    c2_2.intoArray(out, at + 2 * os + 2 * L);
    c2_3.intoArray(out, at + 2 * os + 3 * L);
    c3_0.intoArray(out, at + 3 * os);
    c3_1.intoArray(out, at + 3 * os + 1 * L);
    c3_2.intoArray(out, at + 3 * os + 2 * L);
    c3_3.intoArray(out, at + 3 * os + 3 * L);
    c4_0.intoArray(out, at + 4 * os);
    c4_1.intoArray(out, at + 4 * os + 1 * L);
    c4_2.intoArray(out, at + 4 * os + 2 * L);
    c4_3.intoArray(out, at + 4 * os + 3 * L);
    c5_0.intoArray(out, at + 5 * os);
    c5_1.intoArray(out, at + 5 * os + 1 * L);
    c5_2.intoArray(out, at + 5 * os + 2 * L);
    c5_3.intoArray(out, at + 5 * os + 3 * L);
  }
}

package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register blocks of the few-output-channel backward passes ({@link SimdFewOutputs}), input-channel lanes. A source
 * pixel's data gradient reduces over only kH·kW·Cout terms (48 for a 4×4 kernel and 3 outputs), which in a padded
 * gradient row are kW·Cout consecutive floats per kernel row, so one call runs a pixel block's whole reduction (up to
 * four kernel rows) with its sums in registers; the weight gradient has so few outputs that all of a (kernel row, term group, channel
 * block)'s sums stay in registers while a whole source row streams past. Spelled out, as {@link MicroRows}, so the
 * 24 accumulators stay in registers.
 */
final class MicroFew {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroFew() {}

  /**
   * {@code out[at + q·os + k·L] = Σ_{t<4} Σ_{i<n_t} a[a_t + q·ds + i] · b[b0 + t·bRow + i·2L + k·L]} for pixels
   * q &lt; 12 and vectors k &lt; 2: stored, not accumulated (the call is a pixel block's whole reduction). Four
   * loops one after the other, not a loop over kernel rows around one: C2 compiled the nested form to code half as fast.
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

  /**
   * {@code out[at + q·os + k·L] = Σ_{t<4} Σ_{i<n_t} a[a_t + q·ds + i] · b[b0 + t·bRow + i·4L + k·L]} for pixels
   * q &lt; 6 and vectors k &lt; 4: stored, not accumulated (the call is a pixel block's whole reduction). Four
   * loops one after the other, not a loop over kernel rows around one: C2 compiled the nested form to code half as fast.
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

  /**
   * {@code acc[at + (i·2 + k)·L] += Σ_{q<np} a[a0 + q·ds + i] · x[x0 + q·xs + k·L]} for terms i &lt; 12 and vectors
   * k &lt; 2: the run's sum starts at zero in registers and is added to the accumulators once.
   */
  static void weights12x2(float[] a, int a0, int ds, float[] x, int x0, int xs, int np, float[] acc, int at) {
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
    for (int q = 0; q < np; q++) {
      int ai = a0 + q * ds;
      int xi = x0 + q * xs;
      FloatVector v0 = FloatVector.fromArray(S, x, xi);
      FloatVector v1 = FloatVector.fromArray(S, x, xi + 1 * L);
      FloatVector s0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = s0.fma(v0, c0_0);
      c0_1 = s0.fma(v1, c0_1);
      FloatVector s1 = FloatVector.broadcast(S, a[ai + 1]);
      c1_0 = s1.fma(v0, c1_0);
      c1_1 = s1.fma(v1, c1_1);
      FloatVector s2 = FloatVector.broadcast(S, a[ai + 2]);
      c2_0 = s2.fma(v0, c2_0);
      c2_1 = s2.fma(v1, c2_1);
      FloatVector s3 = FloatVector.broadcast(S, a[ai + 3]);
      c3_0 = s3.fma(v0, c3_0);
      c3_1 = s3.fma(v1, c3_1);
      FloatVector s4 = FloatVector.broadcast(S, a[ai + 4]);
      c4_0 = s4.fma(v0, c4_0);
      c4_1 = s4.fma(v1, c4_1);
      FloatVector s5 = FloatVector.broadcast(S, a[ai + 5]);
      c5_0 = s5.fma(v0, c5_0);
      c5_1 = s5.fma(v1, c5_1);
      FloatVector s6 = FloatVector.broadcast(S, a[ai + 6]);
      c6_0 = s6.fma(v0, c6_0);
      c6_1 = s6.fma(v1, c6_1);
      FloatVector s7 = FloatVector.broadcast(S, a[ai + 7]);
      c7_0 = s7.fma(v0, c7_0);
      c7_1 = s7.fma(v1, c7_1);
      FloatVector s8 = FloatVector.broadcast(S, a[ai + 8]);
      c8_0 = s8.fma(v0, c8_0);
      c8_1 = s8.fma(v1, c8_1);
      FloatVector s9 = FloatVector.broadcast(S, a[ai + 9]);
      c9_0 = s9.fma(v0, c9_0);
      c9_1 = s9.fma(v1, c9_1);
      FloatVector s10 = FloatVector.broadcast(S, a[ai + 10]);
      c10_0 = s10.fma(v0, c10_0);
      c10_1 = s10.fma(v1, c10_1);
      FloatVector s11 = FloatVector.broadcast(S, a[ai + 11]);
      c11_0 = s11.fma(v0, c11_0);
      c11_1 = s11.fma(v1, c11_1);
    }
    FloatVector.fromArray(S, acc, at).add(c0_0).intoArray(acc, at);
    FloatVector.fromArray(S, acc, at + 1 * L).add(c0_1).intoArray(acc, at + 1 * L);
    FloatVector.fromArray(S, acc, at + 2 * L).add(c1_0).intoArray(acc, at + 2 * L);
    FloatVector.fromArray(S, acc, at + 3 * L).add(c1_1).intoArray(acc, at + 3 * L);
    FloatVector.fromArray(S, acc, at + 4 * L).add(c2_0).intoArray(acc, at + 4 * L);
    FloatVector.fromArray(S, acc, at + 5 * L).add(c2_1).intoArray(acc, at + 5 * L);
    FloatVector.fromArray(S, acc, at + 6 * L).add(c3_0).intoArray(acc, at + 6 * L);
    FloatVector.fromArray(S, acc, at + 7 * L).add(c3_1).intoArray(acc, at + 7 * L);
    FloatVector.fromArray(S, acc, at + 8 * L).add(c4_0).intoArray(acc, at + 8 * L);
    FloatVector.fromArray(S, acc, at + 9 * L).add(c4_1).intoArray(acc, at + 9 * L);
    FloatVector.fromArray(S, acc, at + 10 * L).add(c5_0).intoArray(acc, at + 10 * L);
    FloatVector.fromArray(S, acc, at + 11 * L).add(c5_1).intoArray(acc, at + 11 * L);
    FloatVector.fromArray(S, acc, at + 12 * L).add(c6_0).intoArray(acc, at + 12 * L);
    FloatVector.fromArray(S, acc, at + 13 * L).add(c6_1).intoArray(acc, at + 13 * L);
    FloatVector.fromArray(S, acc, at + 14 * L).add(c7_0).intoArray(acc, at + 14 * L);
    FloatVector.fromArray(S, acc, at + 15 * L).add(c7_1).intoArray(acc, at + 15 * L);
    FloatVector.fromArray(S, acc, at + 16 * L).add(c8_0).intoArray(acc, at + 16 * L);
    FloatVector.fromArray(S, acc, at + 17 * L).add(c8_1).intoArray(acc, at + 17 * L);
    FloatVector.fromArray(S, acc, at + 18 * L).add(c9_0).intoArray(acc, at + 18 * L);
    FloatVector.fromArray(S, acc, at + 19 * L).add(c9_1).intoArray(acc, at + 19 * L);
    FloatVector.fromArray(S, acc, at + 20 * L).add(c10_0).intoArray(acc, at + 20 * L);
    FloatVector.fromArray(S, acc, at + 21 * L).add(c10_1).intoArray(acc, at + 21 * L);
    FloatVector.fromArray(S, acc, at + 22 * L).add(c11_0).intoArray(acc, at + 22 * L);
    FloatVector.fromArray(S, acc, at + 23 * L).add(c11_1).intoArray(acc, at + 23 * L);
  }

  /**
   * {@code acc[at + (i·4 + k)·L] += Σ_{q<np} a[a0 + q·ds + i] · x[x0 + q·xs + k·L]} for terms i &lt; 6 and vectors
   * k &lt; 4: the run's sum starts at zero in registers and is added to the accumulators once.
   */
  static void weights6x4(float[] a, int a0, int ds, float[] x, int x0, int xs, int np, float[] acc, int at) {
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
    for (int q = 0; q < np; q++) {
      int ai = a0 + q * ds;
      int xi = x0 + q * xs;
      FloatVector v0 = FloatVector.fromArray(S, x, xi);
      FloatVector v1 = FloatVector.fromArray(S, x, xi + 1 * L);
      FloatVector v2 = FloatVector.fromArray(S, x, xi + 2 * L);
      FloatVector v3 = FloatVector.fromArray(S, x, xi + 3 * L);
      FloatVector s0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = s0.fma(v0, c0_0);
      c0_1 = s0.fma(v1, c0_1);
      c0_2 = s0.fma(v2, c0_2);
      c0_3 = s0.fma(v3, c0_3);
      FloatVector s1 = FloatVector.broadcast(S, a[ai + 1]);
      c1_0 = s1.fma(v0, c1_0);
      c1_1 = s1.fma(v1, c1_1);
      c1_2 = s1.fma(v2, c1_2);
      c1_3 = s1.fma(v3, c1_3);
      FloatVector s2 = FloatVector.broadcast(S, a[ai + 2]);
      c2_0 = s2.fma(v0, c2_0);
      c2_1 = s2.fma(v1, c2_1);
      c2_2 = s2.fma(v2, c2_2);
      c2_3 = s2.fma(v3, c2_3);
      FloatVector s3 = FloatVector.broadcast(S, a[ai + 3]);
      c3_0 = s3.fma(v0, c3_0);
      c3_1 = s3.fma(v1, c3_1);
      c3_2 = s3.fma(v2, c3_2);
      c3_3 = s3.fma(v3, c3_3);
      FloatVector s4 = FloatVector.broadcast(S, a[ai + 4]);
      c4_0 = s4.fma(v0, c4_0);
      c4_1 = s4.fma(v1, c4_1);
      c4_2 = s4.fma(v2, c4_2);
      c4_3 = s4.fma(v3, c4_3);
      FloatVector s5 = FloatVector.broadcast(S, a[ai + 5]);
      c5_0 = s5.fma(v0, c5_0);
      c5_1 = s5.fma(v1, c5_1);
      c5_2 = s5.fma(v2, c5_2);
      c5_3 = s5.fma(v3, c5_3);
    }
    FloatVector.fromArray(S, acc, at).add(c0_0).intoArray(acc, at);
    FloatVector.fromArray(S, acc, at + 1 * L).add(c0_1).intoArray(acc, at + 1 * L);
    FloatVector.fromArray(S, acc, at + 2 * L).add(c0_2).intoArray(acc, at + 2 * L);
    FloatVector.fromArray(S, acc, at + 3 * L).add(c0_3).intoArray(acc, at + 3 * L);
    FloatVector.fromArray(S, acc, at + 4 * L).add(c1_0).intoArray(acc, at + 4 * L);
    FloatVector.fromArray(S, acc, at + 5 * L).add(c1_1).intoArray(acc, at + 5 * L);
    FloatVector.fromArray(S, acc, at + 6 * L).add(c1_2).intoArray(acc, at + 6 * L);
    FloatVector.fromArray(S, acc, at + 7 * L).add(c1_3).intoArray(acc, at + 7 * L);
    FloatVector.fromArray(S, acc, at + 8 * L).add(c2_0).intoArray(acc, at + 8 * L);
    FloatVector.fromArray(S, acc, at + 9 * L).add(c2_1).intoArray(acc, at + 9 * L);
    FloatVector.fromArray(S, acc, at + 10 * L).add(c2_2).intoArray(acc, at + 10 * L);
    FloatVector.fromArray(S, acc, at + 11 * L).add(c2_3).intoArray(acc, at + 11 * L);
    FloatVector.fromArray(S, acc, at + 12 * L).add(c3_0).intoArray(acc, at + 12 * L);
    FloatVector.fromArray(S, acc, at + 13 * L).add(c3_1).intoArray(acc, at + 13 * L);
    FloatVector.fromArray(S, acc, at + 14 * L).add(c3_2).intoArray(acc, at + 14 * L);
    FloatVector.fromArray(S, acc, at + 15 * L).add(c3_3).intoArray(acc, at + 15 * L);
    FloatVector.fromArray(S, acc, at + 16 * L).add(c4_0).intoArray(acc, at + 16 * L);
    FloatVector.fromArray(S, acc, at + 17 * L).add(c4_1).intoArray(acc, at + 17 * L);
    FloatVector.fromArray(S, acc, at + 18 * L).add(c4_2).intoArray(acc, at + 18 * L);
    FloatVector.fromArray(S, acc, at + 19 * L).add(c4_3).intoArray(acc, at + 19 * L);
    FloatVector.fromArray(S, acc, at + 20 * L).add(c5_0).intoArray(acc, at + 20 * L);
    FloatVector.fromArray(S, acc, at + 21 * L).add(c5_1).intoArray(acc, at + 21 * L);
    FloatVector.fromArray(S, acc, at + 22 * L).add(c5_2).intoArray(acc, at + 22 * L);
    FloatVector.fromArray(S, acc, at + 23 * L).add(c5_3).intoArray(acc, at + 23 * L);
  }
}

package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register blocks of the data gradient of {@link SimdFewOutputs} for kernels exactly two strides wide (k4 s2: sr_x2;
 * k16 s8: fcn8_full), 2 vectors of input channels. Source columns ix and ix + 1 read the same gradient column with
 * kernel columns {@code t} and {@code t + sX} (padded-row order), so a pass over one (kernel row, stride phase,
 * output channel) broadcasts each of the block's P + 1 gradient values once and feeds it to two pixels: 13
 * broadcasts per 48 FMAs instead of 24 ({@link MicroFewData2}). One loop over the passes, its body spelled out so the
 * sums and the pass's 4 weight vectors stay in registers; any number of kernel rows (the pass list holds them).
 */
final class MicroFewDataPhases {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroFewDataPhases() {}

  /**
   * {@code out[at + q·os + k·L] = Σ_{j<np} Σ_{m≤12} a[a0 + pa[j] + m·ds] · b[b0 + pb[j] + (m−q)·bStep + k·L]}
   * for pixels q &lt; 12, vectors k &lt; 2 and m − q ∈ {0, 1}: pass j's gradient values start at {@code a0 + pa[j]} (pixel 0's
   * first kernel column of the pass), its weights for the first and second kernel column at {@code b0 + pb[j]} and
   * {@code b0 + pb[j] + bStep}. Stored, not accumulated (the call is a pixel block's whole reduction).
   */
  static void phases12x2(float[] a, int a0, int ds, int[] pa, int[] pb, int np, float[] b, int b0, int bStep,
      float[] out, int at, int os) {
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
    for (int j = 0; j < np; j++) {
      int ai = a0 + pa[j];
      int bi = b0 + pb[j];
      FloatVector u0 = FloatVector.fromArray(S, b, bi);
      FloatVector u1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector v0 = FloatVector.fromArray(S, b, bi + bStep);
      FloatVector v1 = FloatVector.fromArray(S, b, bi + bStep + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = x0.fma(u0, c0_0);
      c0_1 = x0.fma(u1, c0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c1_0 = x1.fma(u0, c1_0);
      c1_1 = x1.fma(u1, c1_1);
      c0_0 = x1.fma(v0, c0_0);
      c0_1 = x1.fma(v1, c0_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c2_0 = x2.fma(u0, c2_0);
      c2_1 = x2.fma(u1, c2_1);
      c1_0 = x2.fma(v0, c1_0);
      c1_1 = x2.fma(v1, c1_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c3_0 = x3.fma(u0, c3_0);
      c3_1 = x3.fma(u1, c3_1);
      c2_0 = x3.fma(v0, c2_0);
      c2_1 = x3.fma(v1, c2_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c4_0 = x4.fma(u0, c4_0);
      c4_1 = x4.fma(u1, c4_1);
      c3_0 = x4.fma(v0, c3_0);
      c3_1 = x4.fma(v1, c3_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c5_0 = x5.fma(u0, c5_0);
      c5_1 = x5.fma(u1, c5_1);
      c4_0 = x5.fma(v0, c4_0);
      c4_1 = x5.fma(v1, c4_1);
      FloatVector x6 = FloatVector.broadcast(S, a[ai + 6 * ds]);
      c6_0 = x6.fma(u0, c6_0);
      c6_1 = x6.fma(u1, c6_1);
      c5_0 = x6.fma(v0, c5_0);
      c5_1 = x6.fma(v1, c5_1);
      FloatVector x7 = FloatVector.broadcast(S, a[ai + 7 * ds]);
      c7_0 = x7.fma(u0, c7_0);
      c7_1 = x7.fma(u1, c7_1);
      c6_0 = x7.fma(v0, c6_0);
      c6_1 = x7.fma(v1, c6_1);
      FloatVector x8 = FloatVector.broadcast(S, a[ai + 8 * ds]);
      c8_0 = x8.fma(u0, c8_0);
      c8_1 = x8.fma(u1, c8_1);
      c7_0 = x8.fma(v0, c7_0);
      c7_1 = x8.fma(v1, c7_1);
      FloatVector x9 = FloatVector.broadcast(S, a[ai + 9 * ds]);
      c9_0 = x9.fma(u0, c9_0);
      c9_1 = x9.fma(u1, c9_1);
      c8_0 = x9.fma(v0, c8_0);
      c8_1 = x9.fma(v1, c8_1);
      FloatVector x10 = FloatVector.broadcast(S, a[ai + 10 * ds]);
      c10_0 = x10.fma(u0, c10_0);
      c10_1 = x10.fma(u1, c10_1);
      c9_0 = x10.fma(v0, c9_0);
      c9_1 = x10.fma(v1, c9_1);
      FloatVector x11 = FloatVector.broadcast(S, a[ai + 11 * ds]);
      c11_0 = x11.fma(u0, c11_0);
      c11_1 = x11.fma(u1, c11_1);
      c10_0 = x11.fma(v0, c10_0);
      c10_1 = x11.fma(v1, c10_1);
      FloatVector x12 = FloatVector.broadcast(S, a[ai + 12 * ds]);
      c11_0 = x12.fma(v0, c11_0);
      c11_1 = x12.fma(v1, c11_1);
    }
    c0_0.intoArray(out, at);
    c0_1.intoArray(out, at + L);
    c1_0.intoArray(out, at + os);
    c1_1.intoArray(out, at + os + L);
    c2_0.intoArray(out, at + 2 * os);
    c2_1.intoArray(out, at + 2 * os + L);
    c3_0.intoArray(out, at + 3 * os);
    c3_1.intoArray(out, at + 3 * os + L);
    c4_0.intoArray(out, at + 4 * os);
    c4_1.intoArray(out, at + 4 * os + L);
    c5_0.intoArray(out, at + 5 * os);
    c5_1.intoArray(out, at + 5 * os + L);
    c6_0.intoArray(out, at + 6 * os);
    c6_1.intoArray(out, at + 6 * os + L);
    c7_0.intoArray(out, at + 7 * os);
    c7_1.intoArray(out, at + 7 * os + L);
    c8_0.intoArray(out, at + 8 * os);
    c8_1.intoArray(out, at + 8 * os + L);
    c9_0.intoArray(out, at + 9 * os);
    c9_1.intoArray(out, at + 9 * os + L);
    c10_0.intoArray(out, at + 10 * os);
    c10_1.intoArray(out, at + 10 * os + L);
    c11_0.intoArray(out, at + 11 * os);
    c11_1.intoArray(out, at + 11 * os + L);
  }

  /** {@link #phases12x2} for 8 pixels (rows of 16 columns: fcn8_full). */
  static void phases8x2(float[] a, int a0, int ds, int[] pa, int[] pb, int np, float[] b, int b0, int bStep,
      float[] out, int at, int os) {
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
    for (int j = 0; j < np; j++) {
      int ai = a0 + pa[j];
      int bi = b0 + pb[j];
      FloatVector u0 = FloatVector.fromArray(S, b, bi);
      FloatVector u1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector v0 = FloatVector.fromArray(S, b, bi + bStep);
      FloatVector v1 = FloatVector.fromArray(S, b, bi + bStep + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c0_0 = x0.fma(u0, c0_0);
      c0_1 = x0.fma(u1, c0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c1_0 = x1.fma(u0, c1_0);
      c1_1 = x1.fma(u1, c1_1);
      c0_0 = x1.fma(v0, c0_0);
      c0_1 = x1.fma(v1, c0_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c2_0 = x2.fma(u0, c2_0);
      c2_1 = x2.fma(u1, c2_1);
      c1_0 = x2.fma(v0, c1_0);
      c1_1 = x2.fma(v1, c1_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c3_0 = x3.fma(u0, c3_0);
      c3_1 = x3.fma(u1, c3_1);
      c2_0 = x3.fma(v0, c2_0);
      c2_1 = x3.fma(v1, c2_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c4_0 = x4.fma(u0, c4_0);
      c4_1 = x4.fma(u1, c4_1);
      c3_0 = x4.fma(v0, c3_0);
      c3_1 = x4.fma(v1, c3_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c5_0 = x5.fma(u0, c5_0);
      c5_1 = x5.fma(u1, c5_1);
      c4_0 = x5.fma(v0, c4_0);
      c4_1 = x5.fma(v1, c4_1);
      FloatVector x6 = FloatVector.broadcast(S, a[ai + 6 * ds]);
      c6_0 = x6.fma(u0, c6_0);
      c6_1 = x6.fma(u1, c6_1);
      c5_0 = x6.fma(v0, c5_0);
      c5_1 = x6.fma(v1, c5_1);
      FloatVector x7 = FloatVector.broadcast(S, a[ai + 7 * ds]);
      c7_0 = x7.fma(u0, c7_0);
      c7_1 = x7.fma(u1, c7_1);
      c6_0 = x7.fma(v0, c6_0);
      c6_1 = x7.fma(v1, c6_1);
      FloatVector x8 = FloatVector.broadcast(S, a[ai + 8 * ds]);
      c7_0 = x8.fma(v0, c7_0);
      c7_1 = x8.fma(v1, c7_1);
    }
    c0_0.intoArray(out, at);
    c0_1.intoArray(out, at + L);
    c1_0.intoArray(out, at + os);
    c1_1.intoArray(out, at + os + L);
    c2_0.intoArray(out, at + 2 * os);
    c2_1.intoArray(out, at + 2 * os + L);
    c3_0.intoArray(out, at + 3 * os);
    c3_1.intoArray(out, at + 3 * os + L);
    c4_0.intoArray(out, at + 4 * os);
    c4_1.intoArray(out, at + 4 * os + L);
    c5_0.intoArray(out, at + 5 * os);
    c5_1.intoArray(out, at + 5 * os + L);
    c6_0.intoArray(out, at + 6 * os);
    c6_1.intoArray(out, at + 6 * os + L);
    c7_0.intoArray(out, at + 7 * os);
    c7_1.intoArray(out, at + 7 * os + L);
  }
}

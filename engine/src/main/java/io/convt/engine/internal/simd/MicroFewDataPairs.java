package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register block of the few-output-channel data gradient ({@link SimdFewOutputs}) for two source rows at once, 2
 * vectors of channels: 6 pixels of row iy ("top") and the same 6 pixels of row iy+1 ("bottom"). With a kernel taller
 * than the row stride the two rows read some gradient rows in common (k4 s2: two of the four), and a term of such a
 * row is broadcast once for both rows' sums: 6 broadcasts per 24 FMAs there, instead of the 12 of {@link
 * MicroFewData2#data12x2}, which shares the FP pipes with the FMAs. Each row's sums take their kernel rows in
 * ascending order (bottom-only rows, then shared, then top-only), as the one-row block does, so the bits are the same.
 */
final class MicroFewDataPairs {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroFewDataPairs() {}

  /**
   * Stores the 6 × 2 pixels' sums: top pixel q at {@code out[at + q·os + k·L]}, bottom at {@code out[atU + q·os +
   * k·L]}. A stage is a padded gradient row ({@code a} from its index, {@code n} terms, 0 when outside the clip) with
   * the packed weights of the kernel row it meets: bottom-only stages u0, u1 (weights bu0, bu1), shared stages s0, s1
   * (bst for the top row's kernel row, bsu for the bottom's), top-only stages t0, t1; term i of pixel q is
   * {@code a[stage + q·ds + i]} against weights {@code b[w + i·2L + k·L]}.
   */
  static void data6x2x2(float[] a, int u0, int nu0, int bu0, int u1, int nu1, int bu1, int s0, int ns0, int bst0,
      int bsu0, int s1, int ns1, int bst1, int bsu1, int t0, int nt0, int bt0, int t1, int nt1, int bt1, int ds,
      float[] b, float[] out, int at, int atU, int os) {
    FloatVector t0_0 = FloatVector.zero(S);
    FloatVector t0_1 = FloatVector.zero(S);
    FloatVector t1_0 = FloatVector.zero(S);
    FloatVector t1_1 = FloatVector.zero(S);
    FloatVector t2_0 = FloatVector.zero(S);
    FloatVector t2_1 = FloatVector.zero(S);
    FloatVector t3_0 = FloatVector.zero(S);
    FloatVector t3_1 = FloatVector.zero(S);
    FloatVector t4_0 = FloatVector.zero(S);
    FloatVector t4_1 = FloatVector.zero(S);
    FloatVector t5_0 = FloatVector.zero(S);
    FloatVector t5_1 = FloatVector.zero(S);
    FloatVector u0_0 = FloatVector.zero(S);
    FloatVector u0_1 = FloatVector.zero(S);
    FloatVector u1_0 = FloatVector.zero(S);
    FloatVector u1_1 = FloatVector.zero(S);
    FloatVector u2_0 = FloatVector.zero(S);
    FloatVector u2_1 = FloatVector.zero(S);
    FloatVector u3_0 = FloatVector.zero(S);
    FloatVector u3_1 = FloatVector.zero(S);
    FloatVector u4_0 = FloatVector.zero(S);
    FloatVector u4_1 = FloatVector.zero(S);
    FloatVector u5_0 = FloatVector.zero(S);
    FloatVector u5_1 = FloatVector.zero(S);
    for (int i = 0; i < nu0; i++) {
      int ai = u0 + i;
      FloatVector uw0 = FloatVector.fromArray(S, b, bu0 + i * (2 * L));
      FloatVector uw1 = FloatVector.fromArray(S, b, bu0 + i * (2 * L) + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      u0_0 = x0.fma(uw0, u0_0);
      u0_1 = x0.fma(uw1, u0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      u1_0 = x1.fma(uw0, u1_0);
      u1_1 = x1.fma(uw1, u1_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      u2_0 = x2.fma(uw0, u2_0);
      u2_1 = x2.fma(uw1, u2_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      u3_0 = x3.fma(uw0, u3_0);
      u3_1 = x3.fma(uw1, u3_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      u4_0 = x4.fma(uw0, u4_0);
      u4_1 = x4.fma(uw1, u4_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      u5_0 = x5.fma(uw0, u5_0);
      u5_1 = x5.fma(uw1, u5_1);
    }
    for (int i = 0; i < nu1; i++) {
      int ai = u1 + i;
      FloatVector uw0 = FloatVector.fromArray(S, b, bu1 + i * (2 * L));
      FloatVector uw1 = FloatVector.fromArray(S, b, bu1 + i * (2 * L) + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      u0_0 = x0.fma(uw0, u0_0);
      u0_1 = x0.fma(uw1, u0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      u1_0 = x1.fma(uw0, u1_0);
      u1_1 = x1.fma(uw1, u1_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      u2_0 = x2.fma(uw0, u2_0);
      u2_1 = x2.fma(uw1, u2_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      u3_0 = x3.fma(uw0, u3_0);
      u3_1 = x3.fma(uw1, u3_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      u4_0 = x4.fma(uw0, u4_0);
      u4_1 = x4.fma(uw1, u4_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      u5_0 = x5.fma(uw0, u5_0);
      u5_1 = x5.fma(uw1, u5_1);
    }
    for (int i = 0; i < ns0; i++) {
      int ai = s0 + i;
      FloatVector tw0 = FloatVector.fromArray(S, b, bst0 + i * (2 * L));
      FloatVector tw1 = FloatVector.fromArray(S, b, bst0 + i * (2 * L) + L);
      FloatVector uw0 = FloatVector.fromArray(S, b, bsu0 + i * (2 * L));
      FloatVector uw1 = FloatVector.fromArray(S, b, bsu0 + i * (2 * L) + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      t0_0 = x0.fma(tw0, t0_0);
      t0_1 = x0.fma(tw1, t0_1);
      u0_0 = x0.fma(uw0, u0_0);
      u0_1 = x0.fma(uw1, u0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      t1_0 = x1.fma(tw0, t1_0);
      t1_1 = x1.fma(tw1, t1_1);
      u1_0 = x1.fma(uw0, u1_0);
      u1_1 = x1.fma(uw1, u1_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      t2_0 = x2.fma(tw0, t2_0);
      t2_1 = x2.fma(tw1, t2_1);
      u2_0 = x2.fma(uw0, u2_0);
      u2_1 = x2.fma(uw1, u2_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      t3_0 = x3.fma(tw0, t3_0);
      t3_1 = x3.fma(tw1, t3_1);
      u3_0 = x3.fma(uw0, u3_0);
      u3_1 = x3.fma(uw1, u3_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      t4_0 = x4.fma(tw0, t4_0);
      t4_1 = x4.fma(tw1, t4_1);
      u4_0 = x4.fma(uw0, u4_0);
      u4_1 = x4.fma(uw1, u4_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      t5_0 = x5.fma(tw0, t5_0);
      t5_1 = x5.fma(tw1, t5_1);
      u5_0 = x5.fma(uw0, u5_0);
      u5_1 = x5.fma(uw1, u5_1);
    }
    for (int i = 0; i < ns1; i++) {
      int ai = s1 + i;
      FloatVector tw0 = FloatVector.fromArray(S, b, bst1 + i * (2 * L));
      FloatVector tw1 = FloatVector.fromArray(S, b, bst1 + i * (2 * L) + L);
      FloatVector uw0 = FloatVector.fromArray(S, b, bsu1 + i * (2 * L));
      FloatVector uw1 = FloatVector.fromArray(S, b, bsu1 + i * (2 * L) + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      t0_0 = x0.fma(tw0, t0_0);
      t0_1 = x0.fma(tw1, t0_1);
      u0_0 = x0.fma(uw0, u0_0);
      u0_1 = x0.fma(uw1, u0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      t1_0 = x1.fma(tw0, t1_0);
      t1_1 = x1.fma(tw1, t1_1);
      u1_0 = x1.fma(uw0, u1_0);
      u1_1 = x1.fma(uw1, u1_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      t2_0 = x2.fma(tw0, t2_0);
      t2_1 = x2.fma(tw1, t2_1);
      u2_0 = x2.fma(uw0, u2_0);
      u2_1 = x2.fma(uw1, u2_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      t3_0 = x3.fma(tw0, t3_0);
      t3_1 = x3.fma(tw1, t3_1);
      u3_0 = x3.fma(uw0, u3_0);
      u3_1 = x3.fma(uw1, u3_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      t4_0 = x4.fma(tw0, t4_0);
      t4_1 = x4.fma(tw1, t4_1);
      u4_0 = x4.fma(uw0, u4_0);
      u4_1 = x4.fma(uw1, u4_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      t5_0 = x5.fma(tw0, t5_0);
      t5_1 = x5.fma(tw1, t5_1);
      u5_0 = x5.fma(uw0, u5_0);
      u5_1 = x5.fma(uw1, u5_1);
    }
    for (int i = 0; i < nt0; i++) {
      int ai = t0 + i;
      FloatVector tw0 = FloatVector.fromArray(S, b, bt0 + i * (2 * L));
      FloatVector tw1 = FloatVector.fromArray(S, b, bt0 + i * (2 * L) + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      t0_0 = x0.fma(tw0, t0_0);
      t0_1 = x0.fma(tw1, t0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      t1_0 = x1.fma(tw0, t1_0);
      t1_1 = x1.fma(tw1, t1_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      t2_0 = x2.fma(tw0, t2_0);
      t2_1 = x2.fma(tw1, t2_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      t3_0 = x3.fma(tw0, t3_0);
      t3_1 = x3.fma(tw1, t3_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      t4_0 = x4.fma(tw0, t4_0);
      t4_1 = x4.fma(tw1, t4_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      t5_0 = x5.fma(tw0, t5_0);
      t5_1 = x5.fma(tw1, t5_1);
    }
    for (int i = 0; i < nt1; i++) {
      int ai = t1 + i;
      FloatVector tw0 = FloatVector.fromArray(S, b, bt1 + i * (2 * L));
      FloatVector tw1 = FloatVector.fromArray(S, b, bt1 + i * (2 * L) + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      t0_0 = x0.fma(tw0, t0_0);
      t0_1 = x0.fma(tw1, t0_1);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      t1_0 = x1.fma(tw0, t1_0);
      t1_1 = x1.fma(tw1, t1_1);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      t2_0 = x2.fma(tw0, t2_0);
      t2_1 = x2.fma(tw1, t2_1);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      t3_0 = x3.fma(tw0, t3_0);
      t3_1 = x3.fma(tw1, t3_1);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      t4_0 = x4.fma(tw0, t4_0);
      t4_1 = x4.fma(tw1, t4_1);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      t5_0 = x5.fma(tw0, t5_0);
      t5_1 = x5.fma(tw1, t5_1);
    }
    t0_0.intoArray(out, at);
    t0_1.intoArray(out, at + L);
    t1_0.intoArray(out, at + os);
    t1_1.intoArray(out, at + os + L);
    t2_0.intoArray(out, at + 2 * os);
    t2_1.intoArray(out, at + 2 * os + L);
    t3_0.intoArray(out, at + 3 * os);
    t3_1.intoArray(out, at + 3 * os + L);
    t4_0.intoArray(out, at + 4 * os);
    t4_1.intoArray(out, at + 4 * os + L);
    t5_0.intoArray(out, at + 5 * os);
    t5_1.intoArray(out, at + 5 * os + L);
    u0_0.intoArray(out, atU);
    u0_1.intoArray(out, atU + L);
    u1_0.intoArray(out, atU + os);
    u1_1.intoArray(out, atU + os + L);
    u2_0.intoArray(out, atU + 2 * os);
    u2_1.intoArray(out, atU + 2 * os + L);
    u3_0.intoArray(out, atU + 3 * os);
    u3_1.intoArray(out, atU + 3 * os + L);
    u4_0.intoArray(out, atU + 4 * os);
    u4_1.intoArray(out, atU + 4 * os + L);
    u5_0.intoArray(out, atU + 5 * os);
    u5_1.intoArray(out, atU + 5 * os + L);
  }
}

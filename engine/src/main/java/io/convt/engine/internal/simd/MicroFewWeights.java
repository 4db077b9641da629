package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register blocks of the few-output-channel weight gradient ({@link SimdFewOutputs}), input-channel lanes: the layer
 * has so few sums (Cin·Cout·kH·kW, 1536 for sr_x2) that the 24 sums of one (kernel row, term group, channel block)
 * stay in registers while a whole source row streams past, each source vector loaded once for all of them. Spelled
 * out, as {@link MicroRows}, so the accumulators stay in registers.
 */
final class MicroFewWeights {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroFewWeights() {}

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

package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Four-pixel × two-vector register block of the DENSE data gradient summed over {@code nk} kernel rows in one call,
 * as {@link MicroRows8#rows8x2}: the tails of groups4's 31-column runs (8+8+8+4+3) otherwise ran
 * {@link MicroRows#rows4x2} once per kernel row, loading and storing their 8 accumulators each time (17 % of the
 * pass's samples for 11 % of its work). An absent pixel reads pixel 0's gradient and sums into a junk slot or, summing
 * in place, into pixel 0's own slot with pixel 0's own values, as {@link MicroRows#rows4x2} does.
 */
final class MicroRowsTail2 {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroRowsTail2() {}

  /**
   * {@code acc[at_q + k·L] += a[a0 + i + d_q] · b[b0 + 2L·i + k·L]} for pixels q &lt; 4 ({@code d_0 = 0}), vectors
   * k &lt; 2 and i &lt; n, summed over {@code nk} kernel rows (row k reads {@code a} at {@code a0 + k·aK} and
   * {@code b} at {@code b0 + k·bK}).
   */
  static void rows4x2(float[] a, int a0, int d1, int d2, int d3, int nk, int aK, float[] b, int b0, int bK, int n,
      float[] acc, int at0, int at1, int at2, int at3) {
    FloatVector c00 = FloatVector.fromArray(S, acc, at0);
    FloatVector c01 = FloatVector.fromArray(S, acc, at0 + L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at1);
    FloatVector c11 = FloatVector.fromArray(S, acc, at1 + L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at2);
    FloatVector c21 = FloatVector.fromArray(S, acc, at2 + L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at3);
    FloatVector c31 = FloatVector.fromArray(S, acc, at3 + L);
    for (int k = 0, ak = a0, bk = b0; k < nk; k++, ak += aK, bk += bK) {
      for (int i = 0; i < n; i++) {
        int ai = ak + i;
        int bi = bk + i * (2 * L);
        FloatVector w0 = FloatVector.fromArray(S, b, bi);
        FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
        FloatVector x0 = FloatVector.broadcast(S, a[ai]);
        c00 = x0.fma(w0, c00);
        c01 = x0.fma(w1, c01);
        FloatVector x1 = FloatVector.broadcast(S, a[ai + d1]);
        c10 = x1.fma(w0, c10);
        c11 = x1.fma(w1, c11);
        FloatVector x2 = FloatVector.broadcast(S, a[ai + d2]);
        c20 = x2.fma(w0, c20);
        c21 = x2.fma(w1, c21);
        FloatVector x3 = FloatVector.broadcast(S, a[ai + d3]);
        c30 = x3.fma(w0, c30);
        c31 = x3.fma(w1, c31);
      }
    }
    c00.intoArray(acc, at0);
    c01.intoArray(acc, at0 + L);
    c10.intoArray(acc, at1);
    c11.intoArray(acc, at1 + L);
    c20.intoArray(acc, at2);
    c21.intoArray(acc, at2 + L);
    c30.intoArray(acc, at3);
    c31.intoArray(acc, at3 + L);
  }
}

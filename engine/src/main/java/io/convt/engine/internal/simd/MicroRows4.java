package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Four-pixel × four-vector register block of the DENSE data gradient summed over {@code nk} kernel rows in one call,
 * as {@link MicroRows6#rows6x4}: the 4-pixel tails of the column runs (dil2_s2_op1's 32 columns cut 6+6+6+6+4+4)
 * otherwise ran {@link MicroRows#rows4x4} once per kernel row, loading and storing their 16 accumulators each time.
 */
final class MicroRows4 {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroRows4() {}

  /**
   * {@code acc[at + q·as + k·L] += a[a0 + i + q·ds] · b[b0 + 4L·i + k·L]} for pixels q &lt; 4, vectors k &lt; 4 and
   * i &lt; n, summed over {@code nk} kernel rows (row k reads {@code a} at {@code a0 + k·aK} and {@code b} at
   * {@code b0 + k·bK}).
   */
  static void rows4x4(float[] a, int a0, int ds, int nk, int aK, float[] b, int b0, int bK, int n, float[] acc,
      int at, int as) {
    final int at0 = at + 0 * as;
    final int at1 = at + 1 * as;
    final int at2 = at + 2 * as;
    final int at3 = at + 3 * as;
    FloatVector c00 = FloatVector.fromArray(S, acc, at0);
    FloatVector c01 = FloatVector.fromArray(S, acc, at0 + 1 * L);
    FloatVector c02 = FloatVector.fromArray(S, acc, at0 + 2 * L);
    FloatVector c03 = FloatVector.fromArray(S, acc, at0 + 3 * L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at1);
    FloatVector c11 = FloatVector.fromArray(S, acc, at1 + 1 * L);
    FloatVector c12 = FloatVector.fromArray(S, acc, at1 + 2 * L);
    FloatVector c13 = FloatVector.fromArray(S, acc, at1 + 3 * L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at2);
    FloatVector c21 = FloatVector.fromArray(S, acc, at2 + 1 * L);
    FloatVector c22 = FloatVector.fromArray(S, acc, at2 + 2 * L);
    FloatVector c23 = FloatVector.fromArray(S, acc, at2 + 3 * L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at3);
    FloatVector c31 = FloatVector.fromArray(S, acc, at3 + 1 * L);
    FloatVector c32 = FloatVector.fromArray(S, acc, at3 + 2 * L);
    FloatVector c33 = FloatVector.fromArray(S, acc, at3 + 3 * L);
    for (int k = 0, ak = a0, bk = b0; k < nk; k++, ak += aK, bk += bK) {
      for (int i = 0; i < n; i++) {
        int ai = ak + i;
        int bi = bk + i * (4 * L);
        FloatVector w0 = FloatVector.fromArray(S, b, bi);
        FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
        FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
        FloatVector w3 = FloatVector.fromArray(S, b, bi + 3 * L);
        FloatVector x0 = FloatVector.broadcast(S, a[ai]);
        c00 = x0.fma(w0, c00);
        c01 = x0.fma(w1, c01);
        c02 = x0.fma(w2, c02);
        c03 = x0.fma(w3, c03);
        FloatVector x1 = FloatVector.broadcast(S, a[ai + 1 * ds]);
        c10 = x1.fma(w0, c10);
        c11 = x1.fma(w1, c11);
        c12 = x1.fma(w2, c12);
        c13 = x1.fma(w3, c13);
        FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
        c20 = x2.fma(w0, c20);
        c21 = x2.fma(w1, c21);
        c22 = x2.fma(w2, c22);
        c23 = x2.fma(w3, c23);
        FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
        c30 = x3.fma(w0, c30);
        c31 = x3.fma(w1, c31);
        c32 = x3.fma(w2, c32);
        c33 = x3.fma(w3, c33);
      }
    }
    c00.intoArray(acc, at0);
    c01.intoArray(acc, at0 + 1 * L);
    c02.intoArray(acc, at0 + 2 * L);
    c03.intoArray(acc, at0 + 3 * L);
    c10.intoArray(acc, at1);
    c11.intoArray(acc, at1 + 1 * L);
    c12.intoArray(acc, at1 + 2 * L);
    c13.intoArray(acc, at1 + 3 * L);
    c20.intoArray(acc, at2);
    c21.intoArray(acc, at2 + 1 * L);
    c22.intoArray(acc, at2 + 2 * L);
    c23.intoArray(acc, at2 + 3 * L);
    c30.intoArray(acc, at3);
    c31.intoArray(acc, at3 + 1 * L);
    c32.intoArray(acc, at3 + 2 * L);
    c33.intoArray(acc, at3 + 3 * L);
  }
}

package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register blocks of the DENSE data gradient that sum every kernel tap of a source pixel block in one call: two
 * nested tap loops (kernel rows and kernel columns, in the order the tap-at-a-time path sums them) around the
 * channel loop, so a block's accumulators are loaded and stored once per call instead of once per tap
 * ({@link InteriorTapBlocks}). Same shapes as {@link MicroRows6#rows6x4} and {@link MicroRows4#rows4x4}, spelled
 * out so the accumulators stay in registers.
 */
final class MicroTapBlocks {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroTapBlocks() {}

  /**
   * {@code acc[at + q·as + k·L] += a[a0 + o·aO + j·aI + i + q·ds] · b[b0 + o·bO + j·bI + 4L·i + k·L]} for pixels
   * q &lt; np (5 or 6), vectors k &lt; 4, summed in the order o &lt; nO, j &lt; nI, i &lt; n; an absent sixth
   * pixel reads pixel 0's gradient and accumulates into {@code junk}.
   */
  static void taps6x4(float[] a, int a0, int ds, int np, int nO, int aO, int bO, int nI, int aI, int bI,
      float[] b, int b0, int n, float[] acc, int at, int as, int junk) {
    final int d5 = np > 5 ? 5 * ds : 0;
    final int at5 = np > 5 ? at + 5 * as : junk;
    final int at0 = at;
    final int at1 = at + 1 * as;
    final int at2 = at + 2 * as;
    final int at3 = at + 3 * as;
    final int at4 = at + 4 * as;
    FloatVector c00 = FloatVector.fromArray(S, acc, at0);
    FloatVector c01 = FloatVector.fromArray(S, acc, at0 + L);
    FloatVector c02 = FloatVector.fromArray(S, acc, at0 + 2 * L);
    FloatVector c03 = FloatVector.fromArray(S, acc, at0 + 3 * L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at1);
    FloatVector c11 = FloatVector.fromArray(S, acc, at1 + L);
    FloatVector c12 = FloatVector.fromArray(S, acc, at1 + 2 * L);
    FloatVector c13 = FloatVector.fromArray(S, acc, at1 + 3 * L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at2);
    FloatVector c21 = FloatVector.fromArray(S, acc, at2 + L);
    FloatVector c22 = FloatVector.fromArray(S, acc, at2 + 2 * L);
    FloatVector c23 = FloatVector.fromArray(S, acc, at2 + 3 * L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at3);
    FloatVector c31 = FloatVector.fromArray(S, acc, at3 + L);
    FloatVector c32 = FloatVector.fromArray(S, acc, at3 + 2 * L);
    FloatVector c33 = FloatVector.fromArray(S, acc, at3 + 3 * L);
    FloatVector c40 = FloatVector.fromArray(S, acc, at4);
    FloatVector c41 = FloatVector.fromArray(S, acc, at4 + L);
    FloatVector c42 = FloatVector.fromArray(S, acc, at4 + 2 * L);
    FloatVector c43 = FloatVector.fromArray(S, acc, at4 + 3 * L);
    FloatVector c50 = FloatVector.fromArray(S, acc, at5);
    FloatVector c51 = FloatVector.fromArray(S, acc, at5 + L);
    FloatVector c52 = FloatVector.fromArray(S, acc, at5 + 2 * L);
    FloatVector c53 = FloatVector.fromArray(S, acc, at5 + 3 * L);
    for (int o = 0, ao = a0, bo = b0; o < nO; o++, ao += aO, bo += bO) {
      for (int j = 0, aj = ao, bj = bo; j < nI; j++, aj += aI, bj += bI) {
        for (int i = 0; i < n; i++) {
          int ai = aj + i;
          int bi = bj + i * (4 * L);
          FloatVector w0 = FloatVector.fromArray(S, b, bi);
          FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
          FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
          FloatVector w3 = FloatVector.fromArray(S, b, bi + 3 * L);
          FloatVector x = FloatVector.broadcast(S, a[ai]);
          c00 = x.fma(w0, c00);
          c01 = x.fma(w1, c01);
          c02 = x.fma(w2, c02);
          c03 = x.fma(w3, c03);
          x = FloatVector.broadcast(S, a[ai + ds]);
          c10 = x.fma(w0, c10);
          c11 = x.fma(w1, c11);
          c12 = x.fma(w2, c12);
          c13 = x.fma(w3, c13);
          x = FloatVector.broadcast(S, a[ai + 2 * ds]);
          c20 = x.fma(w0, c20);
          c21 = x.fma(w1, c21);
          c22 = x.fma(w2, c22);
          c23 = x.fma(w3, c23);
          x = FloatVector.broadcast(S, a[ai + 3 * ds]);
          c30 = x.fma(w0, c30);
          c31 = x.fma(w1, c31);
          c32 = x.fma(w2, c32);
          c33 = x.fma(w3, c33);
          x = FloatVector.broadcast(S, a[ai + 4 * ds]);
          c40 = x.fma(w0, c40);
          c41 = x.fma(w1, c41);
          c42 = x.fma(w2, c42);
          c43 = x.fma(w3, c43);
          x = FloatVector.broadcast(S, a[ai + d5]);
          c50 = x.fma(w0, c50);
          c51 = x.fma(w1, c51);
          c52 = x.fma(w2, c52);
          c53 = x.fma(w3, c53);
        }
      }
    }
    c00.intoArray(acc, at0);
    c01.intoArray(acc, at0 + L);
    c02.intoArray(acc, at0 + 2 * L);
    c03.intoArray(acc, at0 + 3 * L);
    c10.intoArray(acc, at1);
    c11.intoArray(acc, at1 + L);
    c12.intoArray(acc, at1 + 2 * L);
    c13.intoArray(acc, at1 + 3 * L);
    c20.intoArray(acc, at2);
    c21.intoArray(acc, at2 + L);
    c22.intoArray(acc, at2 + 2 * L);
    c23.intoArray(acc, at2 + 3 * L);
    c30.intoArray(acc, at3);
    c31.intoArray(acc, at3 + L);
    c32.intoArray(acc, at3 + 2 * L);
    c33.intoArray(acc, at3 + 3 * L);
    c40.intoArray(acc, at4);
    c41.intoArray(acc, at4 + L);
    c42.intoArray(acc, at4 + 2 * L);
    c43.intoArray(acc, at4 + 3 * L);
    c50.intoArray(acc, at5);
    c51.intoArray(acc, at5 + L);
    c52.intoArray(acc, at5 + 2 * L);
    c53.intoArray(acc, at5 + 3 * L);
  }

  /**
   * {@link #taps6x4} for four pixels.
   */
  static void taps4x4(float[] a, int a0, int ds, int nO, int aO, int bO, int nI, int aI, int bI, float[] b,
      int b0, int n, float[] acc, int at, int as) {
    final int at0 = at;
    final int at1 = at + 1 * as;
    final int at2 = at + 2 * as;
    final int at3 = at + 3 * as;
    FloatVector c00 = FloatVector.fromArray(S, acc, at0);
    FloatVector c01 = FloatVector.fromArray(S, acc, at0 + L);
    FloatVector c02 = FloatVector.fromArray(S, acc, at0 + 2 * L);
    FloatVector c03 = FloatVector.fromArray(S, acc, at0 + 3 * L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at1);
    FloatVector c11 = FloatVector.fromArray(S, acc, at1 + L);
    FloatVector c12 = FloatVector.fromArray(S, acc, at1 + 2 * L);
    FloatVector c13 = FloatVector.fromArray(S, acc, at1 + 3 * L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at2);
    FloatVector c21 = FloatVector.fromArray(S, acc, at2 + L);
    FloatVector c22 = FloatVector.fromArray(S, acc, at2 + 2 * L);
    FloatVector c23 = FloatVector.fromArray(S, acc, at2 + 3 * L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at3);
    FloatVector c31 = FloatVector.fromArray(S, acc, at3 + L);
    FloatVector c32 = FloatVector.fromArray(S, acc, at3 + 2 * L);
    FloatVector c33 = FloatVector.fromArray(S, acc, at3 + 3 * L);
    for (int o = 0, ao = a0, bo = b0; o < nO; o++, ao += aO, bo += bO) {
      for (int j = 0, aj = ao, bj = bo; j < nI; j++, aj += aI, bj += bI) {
        for (int i = 0; i < n; i++) {
          int ai = aj + i;
          int bi = bj + i * (4 * L);
          FloatVector w0 = FloatVector.fromArray(S, b, bi);
          FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
          FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
          FloatVector w3 = FloatVector.fromArray(S, b, bi + 3 * L);
          FloatVector x = FloatVector.broadcast(S, a[ai]);
          c00 = x.fma(w0, c00);
          c01 = x.fma(w1, c01);
          c02 = x.fma(w2, c02);
          c03 = x.fma(w3, c03);
          x = FloatVector.broadcast(S, a[ai + ds]);
          c10 = x.fma(w0, c10);
          c11 = x.fma(w1, c11);
          c12 = x.fma(w2, c12);
          c13 = x.fma(w3, c13);
          x = FloatVector.broadcast(S, a[ai + 2 * ds]);
          c20 = x.fma(w0, c20);
          c21 = x.fma(w1, c21);
          c22 = x.fma(w2, c22);
          c23 = x.fma(w3, c23);
          x = FloatVector.broadcast(S, a[ai + 3 * ds]);
          c30 = x.fma(w0, c30);
          c31 = x.fma(w1, c31);
          c32 = x.fma(w2, c32);
          c33 = x.fma(w3, c33);
        }
      }
    }
    c00.intoArray(acc, at0);
    c01.intoArray(acc, at0 + L);
    c02.intoArray(acc, at0 + 2 * L);
    c03.intoArray(acc, at0 + 3 * L);
    c10.intoArray(acc, at1);
    c11.intoArray(acc, at1 + L);
    c12.intoArray(acc, at1 + 2 * L);
    c13.intoArray(acc, at1 + 3 * L);
    c20.intoArray(acc, at2);
    c21.intoArray(acc, at2 + L);
    c22.intoArray(acc, at2 + 2 * L);
    c23.intoArray(acc, at2 + 3 * L);
    c30.intoArray(acc, at3);
    c31.intoArray(acc, at3 + L);
    c32.intoArray(acc, at3 + 2 * L);
    c33.intoArray(acc, at3 + 3 * L);
  }
}

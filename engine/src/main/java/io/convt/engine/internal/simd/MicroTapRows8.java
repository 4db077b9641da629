package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Eight-pixel × two-vector register block of the DENSE data gradient that sums every kernel column and kernel row
 * of a source row in one call: short reductions per tap (groups4: 32 output channels per group, 2 kernel rows and 4
 * kernel columns per source row) otherwise load and store the 16 accumulators once per kernel column, a fourth of
 * the work of each call. Blocks of fewer than 8 pixels (the last block of a run) read pixel 0's gradient and
 * accumulate into a junk slot instead of running a half-empty four-pixel kernel. Spelled out, as in
 * {@link MicroRows8}, so the accumulators stay in registers.
 */
final class MicroTapRows8 {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroTapRows8() {}

  /**
   * {@code acc[at + q·as + j·L] += a[a0 + x·xA + k·aK + i + q·ds] · b[b0 + x·xB + k·bK + 2L·i + j·L]} for pixels
   * q &lt; np (1..8), vectors j &lt; 2, kernel columns x &lt; nx, kernel rows k &lt; nk and i &lt; n, summed in the
   * order x, k, i; pixels q &ge; np read {@code a} as pixel 0 and accumulate into {@code junk}.
   */
  static void taps8x2(float[] a, int a0, int ds, int np, int nx, int xA, int nk, int aK, float[] b, int b0, int xB,
      int bK, int n, float[] acc, int at, int as, int junk) {
    final int t0 = at;
    final int d1 = np > 1 ? 1 * ds : 0;
    final int t1 = np > 1 ? at + 1 * as : junk;
    final int d2 = np > 2 ? 2 * ds : 0;
    final int t2 = np > 2 ? at + 2 * as : junk;
    final int d3 = np > 3 ? 3 * ds : 0;
    final int t3 = np > 3 ? at + 3 * as : junk;
    final int d4 = np > 4 ? 4 * ds : 0;
    final int t4 = np > 4 ? at + 4 * as : junk;
    final int d5 = np > 5 ? 5 * ds : 0;
    final int t5 = np > 5 ? at + 5 * as : junk;
    final int d6 = np > 6 ? 6 * ds : 0;
    final int t6 = np > 6 ? at + 6 * as : junk;
    final int d7 = np > 7 ? 7 * ds : 0;
    final int t7 = np > 7 ? at + 7 * as : junk;
    FloatVector c00 = FloatVector.fromArray(S, acc, t0);
    FloatVector c01 = FloatVector.fromArray(S, acc, t0 + L);
    FloatVector c10 = FloatVector.fromArray(S, acc, t1);
    FloatVector c11 = FloatVector.fromArray(S, acc, t1 + L);
    FloatVector c20 = FloatVector.fromArray(S, acc, t2);
    FloatVector c21 = FloatVector.fromArray(S, acc, t2 + L);
    FloatVector c30 = FloatVector.fromArray(S, acc, t3);
    FloatVector c31 = FloatVector.fromArray(S, acc, t3 + L);
    FloatVector c40 = FloatVector.fromArray(S, acc, t4);
    FloatVector c41 = FloatVector.fromArray(S, acc, t4 + L);
    FloatVector c50 = FloatVector.fromArray(S, acc, t5);
    FloatVector c51 = FloatVector.fromArray(S, acc, t5 + L);
    FloatVector c60 = FloatVector.fromArray(S, acc, t6);
    FloatVector c61 = FloatVector.fromArray(S, acc, t6 + L);
    FloatVector c70 = FloatVector.fromArray(S, acc, t7);
    FloatVector c71 = FloatVector.fromArray(S, acc, t7 + L);
    for (int x = 0, ax = a0, bx = b0; x < nx; x++, ax += xA, bx += xB) {
      for (int k = 0, ak = ax, bk = bx; k < nk; k++, ak += aK, bk += bK) {
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
          FloatVector x4 = FloatVector.broadcast(S, a[ai + d4]);
          c40 = x4.fma(w0, c40);
          c41 = x4.fma(w1, c41);
          FloatVector x5 = FloatVector.broadcast(S, a[ai + d5]);
          c50 = x5.fma(w0, c50);
          c51 = x5.fma(w1, c51);
          FloatVector x6 = FloatVector.broadcast(S, a[ai + d6]);
          c60 = x6.fma(w0, c60);
          c61 = x6.fma(w1, c61);
          FloatVector x7 = FloatVector.broadcast(S, a[ai + d7]);
          c70 = x7.fma(w0, c70);
          c71 = x7.fma(w1, c71);
        }
      }
    }
    c00.intoArray(acc, t0);
    c01.intoArray(acc, t0 + L);
    c10.intoArray(acc, t1);
    c11.intoArray(acc, t1 + L);
    c20.intoArray(acc, t2);
    c21.intoArray(acc, t2 + L);
    c30.intoArray(acc, t3);
    c31.intoArray(acc, t3 + L);
    c40.intoArray(acc, t4);
    c41.intoArray(acc, t4 + L);
    c50.intoArray(acc, t5);
    c51.intoArray(acc, t5 + L);
    c60.intoArray(acc, t6);
    c61.intoArray(acc, t6 + L);
    c70.intoArray(acc, t7);
    c71.intoArray(acc, t7 + L);
  }
}

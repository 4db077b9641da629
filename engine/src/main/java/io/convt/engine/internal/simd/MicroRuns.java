package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register blocks of the DENSE forward over a run of {@code np} pixels of one stride phase ({@code ds} apart in the
 * source, {@code as} apart in the accumulators), summed over {@code nk} kernel rows in one call (kernel row k reads
 * {@code a} from {@code a0 + k·aK} and {@code b} from {@code b0 + k·bK}): on short reductions (groups4: 32 input
 * channels per tap; s1_k3: 64) the accumulators then stay in registers across the kernel rows instead of a load and
 * store per tap. Pixels q &gt;= np read {@code a[a0 + i]} and accumulate into {@code junk}, so an image edge that
 * breaks a block costs one call, not two. Spelled out, as in {@link MicroRows}, so the accumulators stay in
 * registers.
 */
final class MicroRuns {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroRuns() {}

  /**
   * {@code acc[at + q·as + j·L] += Σ_k Σ_i a[a0 + k·aK + i + q·ds] · b[b0 + k·bK + 2L·i + j·L]} for pixels
   * q &lt; np (5 to 8), vectors j &lt; 2, kernel rows k &lt; nk and i &lt; n.
   */
  static void rows8x2Run(float[] a, int a0, int ds, int np, int nk, int aK, float[] b, int b0, int bK, int n,
      float[] acc, int at, int as, int junk) {
    final int d1 = ds;
    final int d2 = 2 * ds;
    final int d3 = 3 * ds;
    final int d4 = 4 * ds;
    final int d5 = np > 5 ? 5 * ds : 0;
    final int at5 = np > 5 ? at + 5 * as : junk;
    final int d6 = np > 6 ? 6 * ds : 0;
    final int at6 = np > 6 ? at + 6 * as : junk;
    final int d7 = np > 7 ? 7 * ds : 0;
    final int at7 = np > 7 ? at + 7 * as : junk;
    FloatVector c00 = FloatVector.fromArray(S, acc, at);
    FloatVector c01 = FloatVector.fromArray(S, acc, at + L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at + as);
    FloatVector c11 = FloatVector.fromArray(S, acc, at + as + L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at + 2 * as);
    FloatVector c21 = FloatVector.fromArray(S, acc, at + 2 * as + L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at + 3 * as);
    FloatVector c31 = FloatVector.fromArray(S, acc, at + 3 * as + L);
    FloatVector c40 = FloatVector.fromArray(S, acc, at + 4 * as);
    FloatVector c41 = FloatVector.fromArray(S, acc, at + 4 * as + L);
    FloatVector c50 = FloatVector.fromArray(S, acc, at5);
    FloatVector c51 = FloatVector.fromArray(S, acc, at5 + L);
    FloatVector c60 = FloatVector.fromArray(S, acc, at6);
    FloatVector c61 = FloatVector.fromArray(S, acc, at6 + L);
    FloatVector c70 = FloatVector.fromArray(S, acc, at7);
    FloatVector c71 = FloatVector.fromArray(S, acc, at7 + L);
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
    c00.intoArray(acc, at);
    c01.intoArray(acc, at + L);
    c10.intoArray(acc, at + as);
    c11.intoArray(acc, at + as + L);
    c20.intoArray(acc, at + 2 * as);
    c21.intoArray(acc, at + 2 * as + L);
    c30.intoArray(acc, at + 3 * as);
    c31.intoArray(acc, at + 3 * as + L);
    c40.intoArray(acc, at + 4 * as);
    c41.intoArray(acc, at + 4 * as + L);
    c50.intoArray(acc, at5);
    c51.intoArray(acc, at5 + L);
    c60.intoArray(acc, at6);
    c61.intoArray(acc, at6 + L);
    c70.intoArray(acc, at7);
    c71.intoArray(acc, at7 + L);
  }

  /** {@link #rows8x2Run} for runs of 1 to 4 pixels. */
  static void rows4x2Run(float[] a, int a0, int ds, int np, int nk, int aK, float[] b, int b0, int bK, int n,
      float[] acc, int at, int as, int junk) {
    final int d1 = np > 1 ? 1 * ds : 0;
    final int at1 = np > 1 ? at + 1 * as : junk;
    final int d2 = np > 2 ? 2 * ds : 0;
    final int at2 = np > 2 ? at + 2 * as : junk;
    final int d3 = np > 3 ? 3 * ds : 0;
    final int at3 = np > 3 ? at + 3 * as : junk;
    FloatVector c00 = FloatVector.fromArray(S, acc, at);
    FloatVector c01 = FloatVector.fromArray(S, acc, at + L);
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
    c00.intoArray(acc, at);
    c01.intoArray(acc, at + L);
    c10.intoArray(acc, at1);
    c11.intoArray(acc, at1 + L);
    c20.intoArray(acc, at2);
    c21.intoArray(acc, at2 + L);
    c30.intoArray(acc, at3);
    c31.intoArray(acc, at3 + L);
  }

  /** {@link #rows8x2Run}'s four-pixel form with four vectors per pixel ({@code b} step 4L), runs of 1 to 4 pixels. */
  static void rows4x4Run(float[] a, int a0, int ds, int np, int nk, int aK, float[] b, int b0, int bK, int n,
      float[] acc, int at, int as, int junk) {
    final int d1 = np > 1 ? 1 * ds : 0;
    final int at1 = np > 1 ? at + 1 * as : junk;
    final int d2 = np > 2 ? 2 * ds : 0;
    final int at2 = np > 2 ? at + 2 * as : junk;
    final int d3 = np > 3 ? 3 * ds : 0;
    final int at3 = np > 3 ? at + 3 * as : junk;
    FloatVector c00 = FloatVector.fromArray(S, acc, at);
    FloatVector c01 = FloatVector.fromArray(S, acc, at + L);
    FloatVector c02 = FloatVector.fromArray(S, acc, at + 2 * L);
    FloatVector c03 = FloatVector.fromArray(S, acc, at + 3 * L);
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
        FloatVector x1 = FloatVector.broadcast(S, a[ai + d1]);
        c10 = x1.fma(w0, c10);
        c11 = x1.fma(w1, c11);
        c12 = x1.fma(w2, c12);
        c13 = x1.fma(w3, c13);
        FloatVector x2 = FloatVector.broadcast(S, a[ai + d2]);
        c20 = x2.fma(w0, c20);
        c21 = x2.fma(w1, c21);
        c22 = x2.fma(w2, c22);
        c23 = x2.fma(w3, c23);
        FloatVector x3 = FloatVector.broadcast(S, a[ai + d3]);
        c30 = x3.fma(w0, c30);
        c31 = x3.fma(w1, c31);
        c32 = x3.fma(w2, c32);
        c33 = x3.fma(w3, c33);
      }
    }
    c00.intoArray(acc, at);
    c01.intoArray(acc, at + L);
    c02.intoArray(acc, at + 2 * L);
    c03.intoArray(acc, at + 3 * L);
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

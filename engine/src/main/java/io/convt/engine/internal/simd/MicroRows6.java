package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Six-pixel × four-vector register block of the DENSE data gradient, for register files of 32 vectors (AVX-512,
 * whose preferred species is 512 bits): 24 accumulators, 4 weight vectors and a broadcast fill 29 of them, and each
 * weight load feeds 6 FMAs instead of {@link MicroRows#rows4x4}'s 4, so fewer loads and bounds checks share the
 * FMA ports. Spelled out, as in {@link MicroRows}, so the accumulators stay in registers.
 */
final class MicroRows6 {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroRows6() {}

  /**
   * {@code acc[at + q·as + k·L] += a[a0 + i + q·ds] · b[b0 + 4L·i + k·L]} for pixels q &lt; np (5 or 6), vectors
   * k &lt; 4 and i &lt; n, summed over {@code nk} kernel rows (row k reads {@code a} at {@code a0 + k·aK} and
   * {@code b} at {@code b0 + k·bK}, as {@link MicroRows8#rows8x2}); an absent sixth pixel reads {@code a[a0 + i]}
   * and accumulates into {@code junk}.
   */
  static void rows6x4(float[] a, int a0, int ds, int np, int nk, int aK, float[] b, int b0, int bK, int n,
      float[] acc, int at, int as, int junk) {
    final int d5 = np > 5 ? 5 * ds : 0;
    final int at5 = np > 5 ? at + 5 * as : junk;
    final int at1 = at + as;
    final int at2 = at + 2 * as;
    final int at3 = at + 3 * as;
    final int at4 = at + 4 * as;
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
    FloatVector c40 = FloatVector.fromArray(S, acc, at4);
    FloatVector c41 = FloatVector.fromArray(S, acc, at4 + L);
    FloatVector c42 = FloatVector.fromArray(S, acc, at4 + 2 * L);
    FloatVector c43 = FloatVector.fromArray(S, acc, at4 + 3 * L);
    FloatVector c50 = FloatVector.fromArray(S, acc, at5);
    FloatVector c51 = FloatVector.fromArray(S, acc, at5 + L);
    FloatVector c52 = FloatVector.fromArray(S, acc, at5 + 2 * L);
    FloatVector c53 = FloatVector.fromArray(S, acc, at5 + 3 * L);
    for (int k = 0, ak = a0, bk = b0; k < nk; k++, ak += aK, bk += bK) {
      for (int i = 0; i < n; i++) {
        int ai = ak + i;
        int bi = bk + i * (4 * L);
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
    c40.intoArray(acc, at4);
    c41.intoArray(acc, at4 + L);
    c42.intoArray(acc, at4 + 2 * L);
    c43.intoArray(acc, at4 + 3 * L);
    c50.intoArray(acc, at5);
    c51.intoArray(acc, at5 + L);
    c52.intoArray(acc, at5 + 2 * L);
    c53.intoArray(acc, at5 + 3 * L);
  }
}

package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Eight-pixel register blocks for the DENSE forward and data-gradient rows whose channel blocks are two vectors wide
 * (groups4, FCN heads: 32 or fewer channels per group): two adjacent four-pixel blocks with the same taps run as one,
 * so each weight load feeds 16 FMAs instead of 8 and the accumulators are loaded and stored once per 8 pixels. Their
 * reductions are short (one tap's Cin/group, e.g. 32 terms), where per-call costs weigh, so halving the calls pays
 * (at long reductions the two shapes run alike). Spelled out, as
 * in {@link MicroRows}, so the 16 accumulators stay in registers.
 */
final class MicroRows8 {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroRows8() {}

  /**
   * {@code acc[at + q·as + k·L] += a[a0 + i + q·ds] · b[b0 + 2L·i + k·L]} for pixels q &lt; 8, vectors k &lt; 2 and
   * i &lt; n.
   */
  static void rows8x2(float[] a, int a0, int ds, float[] b, int b0, int n, float[] acc, int at, int as) {
    rows8x2(a, a0, ds, 1, 0, b, b0, 0, n, acc, at, as);
  }

  /**
   * {@link #rows8x2} over {@code nk} kernel rows in one call, kernel row k reading {@code a} from {@code a0 + k·aK}
   * and {@code b} from {@code b0 + k·bK}: the data gradient's reductions over one tap are short (groups4: 32 output
   * channels), so the accumulators stay in registers across the kernel rows instead of a load and store per tap.
   */
  static void rows8x2(float[] a, int a0, int ds, int nk, int aK, float[] b, int b0, int bK, int n, float[] acc,
      int at, int as) {
    FloatVector c00 = FloatVector.fromArray(S, acc, at + 0 * as);
    FloatVector c01 = FloatVector.fromArray(S, acc, at + 0 * as + L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at + 1 * as);
    FloatVector c11 = FloatVector.fromArray(S, acc, at + 1 * as + L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at + 2 * as);
    FloatVector c21 = FloatVector.fromArray(S, acc, at + 2 * as + L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at + 3 * as);
    FloatVector c31 = FloatVector.fromArray(S, acc, at + 3 * as + L);
    FloatVector c40 = FloatVector.fromArray(S, acc, at + 4 * as);
    FloatVector c41 = FloatVector.fromArray(S, acc, at + 4 * as + L);
    FloatVector c50 = FloatVector.fromArray(S, acc, at + 5 * as);
    FloatVector c51 = FloatVector.fromArray(S, acc, at + 5 * as + L);
    FloatVector c60 = FloatVector.fromArray(S, acc, at + 6 * as);
    FloatVector c61 = FloatVector.fromArray(S, acc, at + 6 * as + L);
    FloatVector c70 = FloatVector.fromArray(S, acc, at + 7 * as);
    FloatVector c71 = FloatVector.fromArray(S, acc, at + 7 * as + L);
    for (int k = 0, ak = a0, bk = b0; k < nk; k++, ak += aK, bk += bK) {
      for (int i = 0; i < n; i++) {
        int ai = ak + i;
        int bi = bk + i * (2 * L);
        FloatVector w0 = FloatVector.fromArray(S, b, bi);
        FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
        FloatVector x0 = FloatVector.broadcast(S, a[ai]);
        c00 = x0.fma(w0, c00);
        c01 = x0.fma(w1, c01);
        FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
        c10 = x1.fma(w0, c10);
        c11 = x1.fma(w1, c11);
        FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
        c20 = x2.fma(w0, c20);
        c21 = x2.fma(w1, c21);
        FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
        c30 = x3.fma(w0, c30);
        c31 = x3.fma(w1, c31);
        FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
        c40 = x4.fma(w0, c40);
        c41 = x4.fma(w1, c41);
        FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
        c50 = x5.fma(w0, c50);
        c51 = x5.fma(w1, c51);
        FloatVector x6 = FloatVector.broadcast(S, a[ai + 6 * ds]);
        c60 = x6.fma(w0, c60);
        c61 = x6.fma(w1, c61);
        FloatVector x7 = FloatVector.broadcast(S, a[ai + 7 * ds]);
        c70 = x7.fma(w0, c70);
        c71 = x7.fma(w1, c71);
      }
    }
    c00.intoArray(acc, at + 0 * as);
    c01.intoArray(acc, at + 0 * as + L);
    c10.intoArray(acc, at + 1 * as);
    c11.intoArray(acc, at + 1 * as + L);
    c20.intoArray(acc, at + 2 * as);
    c21.intoArray(acc, at + 2 * as + L);
    c30.intoArray(acc, at + 3 * as);
    c31.intoArray(acc, at + 3 * as + L);
    c40.intoArray(acc, at + 4 * as);
    c41.intoArray(acc, at + 4 * as + L);
    c50.intoArray(acc, at + 5 * as);
    c51.intoArray(acc, at + 5 * as + L);
    c60.intoArray(acc, at + 6 * as);
    c61.intoArray(acc, at + 6 * as + L);
    c70.intoArray(acc, at + 7 * as);
    c71.intoArray(acc, at + 7 * as + L);
  }

  /**
   * {@link MicroRows#list4x2} for eight pixels (offsets {@code q·d}): two adjacent four-pixel blocks of a data
   * gradient with few output channels share each weight load, which halves the loads per FMA of two-vector blocks.
   */
  static void list8x2(float[] a, int aBase, int[] aOff, int d, float[] b, int[] bOff, int n, float[] acc, int at,
      int as) {
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
    FloatVector c50 = FloatVector.fromArray(S, acc, at + 5 * as);
    FloatVector c51 = FloatVector.fromArray(S, acc, at + 5 * as + L);
    FloatVector c60 = FloatVector.fromArray(S, acc, at + 6 * as);
    FloatVector c61 = FloatVector.fromArray(S, acc, at + 6 * as + L);
    FloatVector c70 = FloatVector.fromArray(S, acc, at + 7 * as);
    FloatVector c71 = FloatVector.fromArray(S, acc, at + 7 * as + L);
    for (int j = 0; j < n; j++) {
      int ai = aBase + aOff[j];
      int bi = bOff[j];
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c00 = x0.fma(w0, c00);
      c01 = x0.fma(w1, c01);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + d]);
      c10 = x1.fma(w0, c10);
      c11 = x1.fma(w1, c11);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * d]);
      c20 = x2.fma(w0, c20);
      c21 = x2.fma(w1, c21);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * d]);
      c30 = x3.fma(w0, c30);
      c31 = x3.fma(w1, c31);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * d]);
      c40 = x4.fma(w0, c40);
      c41 = x4.fma(w1, c41);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * d]);
      c50 = x5.fma(w0, c50);
      c51 = x5.fma(w1, c51);
      FloatVector x6 = FloatVector.broadcast(S, a[ai + 6 * d]);
      c60 = x6.fma(w0, c60);
      c61 = x6.fma(w1, c61);
      FloatVector x7 = FloatVector.broadcast(S, a[ai + 7 * d]);
      c70 = x7.fma(w0, c70);
      c71 = x7.fma(w1, c71);
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
    c50.intoArray(acc, at + 5 * as);
    c51.intoArray(acc, at + 5 * as + L);
    c60.intoArray(acc, at + 6 * as);
    c61.intoArray(acc, at + 6 * as + L);
    c70.intoArray(acc, at + 7 * as);
    c71.intoArray(acc, at + 7 * as + L);
  }
}

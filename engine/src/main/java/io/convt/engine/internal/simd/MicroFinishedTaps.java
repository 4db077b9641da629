package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The DENSE forward's whole sum for a block of up to eight pixels of one stride phase and a two-vector channel block,
 * every kernel tap reaching them in one call, stored finished with the bias ({@link DenseFinishedRows}). The sums
 * stay in registers from the first term to the store: no row buffer to zero, reload per kernel column and copy out
 * (groups4: ~13 % of its forward finished rows, plus a load and store per kernel column).
 */
final class MicroFinishedTaps {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroFinishedTaps() {}

  /**
   * {@code dst[at + q·as + j·L] = Σ_t Σ_i a[xs[t] + i + q·ds] · b[ws[t] + 2L·i + j·L] + bias[o + j·L ..]} for pixels
   * q &lt; np (1 to 8), vectors j &lt; 2, terms t in [t0, t1) in that order (one per kernel tap and row) and
   * i &lt; n, summed in that order from +0.0 (the row-buffer path's order and bits). Pixels q &gt;= np read pixel
   * 0's source and are not stored. One loop over the terms, not one per kernel column and row: with three loops
   * around the FMAs C2 kept the sums at half the speed.
   */
  static void taps8x2(float[] a, int[] xs, float[] b, int[] ws, int t0, int t1, int ds, int np, int n, float[] dst,
      int at, int as, float[] bias, int o) {
    final int d1 = np > 1 ? ds : 0;
    final int d2 = np > 2 ? 2 * ds : 0;
    final int d3 = np > 3 ? 3 * ds : 0;
    final int d4 = np > 4 ? 4 * ds : 0;
    final int d5 = np > 5 ? 5 * ds : 0;
    final int d6 = np > 6 ? 6 * ds : 0;
    final int d7 = np > 7 ? 7 * ds : 0;
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    for (int t = t0; t < t1; t++) {
      final int ak = xs[t];
      final int bk = ws[t];
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
    FloatVector e0 = FloatVector.fromArray(S, bias, o);
    FloatVector e1 = FloatVector.fromArray(S, bias, o + L);
    c00.add(e0).intoArray(dst, at);
    c01.add(e1).intoArray(dst, at + L);
    if (np > 1) {
      c10.add(e0).intoArray(dst, at + as);
      c11.add(e1).intoArray(dst, at + as + L);
    }
    if (np > 2) {
      c20.add(e0).intoArray(dst, at + 2 * as);
      c21.add(e1).intoArray(dst, at + 2 * as + L);
    }
    if (np > 3) {
      c30.add(e0).intoArray(dst, at + 3 * as);
      c31.add(e1).intoArray(dst, at + 3 * as + L);
    }
    if (np > 4) {
      c40.add(e0).intoArray(dst, at + 4 * as);
      c41.add(e1).intoArray(dst, at + 4 * as + L);
    }
    if (np > 5) {
      c50.add(e0).intoArray(dst, at + 5 * as);
      c51.add(e1).intoArray(dst, at + 5 * as + L);
    }
    if (np > 6) {
      c60.add(e0).intoArray(dst, at + 6 * as);
      c61.add(e1).intoArray(dst, at + 6 * as + L);
    }
    if (np > 7) {
      c70.add(e0).intoArray(dst, at + 7 * as);
      c71.add(e1).intoArray(dst, at + 7 * as + L);
    }
  }

  /** {@link #taps8x2} for one pixel: the same terms in the same order. */
  static void taps1x2(float[] a, int[] xs, float[] b, int[] ws, int t0, int t1, int n, float[] dst, int at,
      float[] bias, int o) {
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    for (int t = t0; t < t1; t++) {
      final int ak = xs[t];
      final int bk = ws[t];
      for (int i = 0; i < n; i++) {
        int bi = bk + i * (2 * L);
        FloatVector x = FloatVector.broadcast(S, a[ak + i]);
        c0 = x.fma(FloatVector.fromArray(S, b, bi), c0);
        c1 = x.fma(FloatVector.fromArray(S, b, bi + L), c1);
      }
    }
    c0.add(FloatVector.fromArray(S, bias, o)).intoArray(dst, at);
    c1.add(FloatVector.fromArray(S, bias, o + L)).intoArray(dst, at + L);
  }
}

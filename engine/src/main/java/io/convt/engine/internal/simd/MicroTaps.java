package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register blocks of the TAPS forward path ({@link SimdForwardTaps}): eight source pixels, each a broadcast of one
 * input channel, against one to three vectors of packed weights whose lanes are (kernel tap, output channel) pairs,
 * so no lane is spent on absent output channels and no horizontal sum is needed. The sums start at zero and are
 * stored, not accumulated: each call computes whole rows of the tap matrix. As in {@link MicroRows}, each block
 * shape is spelled out so that its accumulators stay in registers; every index is the loop counter times a
 * constant plus an invariant, so C2 hoists the bounds checks.
 */
final class MicroTaps {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroTaps() {}

  /** {@code y[at + q·ys + k·L] = Σ_{i<n} a[a0 + q·ds + i] · b[b0 + 3L·i + k·L]} for pixels q &lt; 8, vectors k &lt; 3. */
  static void y8x3(float[] a, int a0, int ds, float[] b, int b0, int n, float[] y, int at, int ys) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c02 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c12 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c22 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c32 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    FloatVector c42 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c51 = FloatVector.zero(S);
    FloatVector c52 = FloatVector.zero(S);
    FloatVector c60 = FloatVector.zero(S);
    FloatVector c61 = FloatVector.zero(S);
    FloatVector c62 = FloatVector.zero(S);
    FloatVector c70 = FloatVector.zero(S);
    FloatVector c71 = FloatVector.zero(S);
    FloatVector c72 = FloatVector.zero(S);
    for (int i = 0; i < n; i++) {
      int ai = a0 + i;
      int bi = b0 + i * (3 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c00 = x0.fma(w0, c00);
      c01 = x0.fma(w1, c01);
      c02 = x0.fma(w2, c02);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c10 = x1.fma(w0, c10);
      c11 = x1.fma(w1, c11);
      c12 = x1.fma(w2, c12);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c20 = x2.fma(w0, c20);
      c21 = x2.fma(w1, c21);
      c22 = x2.fma(w2, c22);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c30 = x3.fma(w0, c30);
      c31 = x3.fma(w1, c31);
      c32 = x3.fma(w2, c32);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c40 = x4.fma(w0, c40);
      c41 = x4.fma(w1, c41);
      c42 = x4.fma(w2, c42);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c50 = x5.fma(w0, c50);
      c51 = x5.fma(w1, c51);
      c52 = x5.fma(w2, c52);
      FloatVector x6 = FloatVector.broadcast(S, a[ai + 6 * ds]);
      c60 = x6.fma(w0, c60);
      c61 = x6.fma(w1, c61);
      c62 = x6.fma(w2, c62);
      FloatVector x7 = FloatVector.broadcast(S, a[ai + 7 * ds]);
      c70 = x7.fma(w0, c70);
      c71 = x7.fma(w1, c71);
      c72 = x7.fma(w2, c72);
    }
    c00.intoArray(y, at);
    c01.intoArray(y, at + L);
    c02.intoArray(y, at + 2 * L);
    c10.intoArray(y, at + ys);
    c11.intoArray(y, at + ys + L);
    c12.intoArray(y, at + ys + 2 * L);
    c20.intoArray(y, at + 2 * ys);
    c21.intoArray(y, at + 2 * ys + L);
    c22.intoArray(y, at + 2 * ys + 2 * L);
    c30.intoArray(y, at + 3 * ys);
    c31.intoArray(y, at + 3 * ys + L);
    c32.intoArray(y, at + 3 * ys + 2 * L);
    c40.intoArray(y, at + 4 * ys);
    c41.intoArray(y, at + 4 * ys + L);
    c42.intoArray(y, at + 4 * ys + 2 * L);
    c50.intoArray(y, at + 5 * ys);
    c51.intoArray(y, at + 5 * ys + L);
    c52.intoArray(y, at + 5 * ys + 2 * L);
    c60.intoArray(y, at + 6 * ys);
    c61.intoArray(y, at + 6 * ys + L);
    c62.intoArray(y, at + 6 * ys + 2 * L);
    c70.intoArray(y, at + 7 * ys);
    c71.intoArray(y, at + 7 * ys + L);
    c72.intoArray(y, at + 7 * ys + 2 * L);
  }

  /** {@code y[at + q·ys + k·L] = Σ_{i<n} a[a0 + q·ds + i] · b[b0 + 2L·i + k·L]} for pixels q &lt; 8, vectors k &lt; 2. */
  static void y8x2(float[] a, int a0, int ds, float[] b, int b0, int n, float[] y, int at, int ys) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c51 = FloatVector.zero(S);
    FloatVector c60 = FloatVector.zero(S);
    FloatVector c61 = FloatVector.zero(S);
    FloatVector c70 = FloatVector.zero(S);
    FloatVector c71 = FloatVector.zero(S);
    for (int i = 0; i < n; i++) {
      int ai = a0 + i;
      int bi = b0 + i * (2 * L);
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
    c00.intoArray(y, at);
    c01.intoArray(y, at + L);
    c10.intoArray(y, at + ys);
    c11.intoArray(y, at + ys + L);
    c20.intoArray(y, at + 2 * ys);
    c21.intoArray(y, at + 2 * ys + L);
    c30.intoArray(y, at + 3 * ys);
    c31.intoArray(y, at + 3 * ys + L);
    c40.intoArray(y, at + 4 * ys);
    c41.intoArray(y, at + 4 * ys + L);
    c50.intoArray(y, at + 5 * ys);
    c51.intoArray(y, at + 5 * ys + L);
    c60.intoArray(y, at + 6 * ys);
    c61.intoArray(y, at + 6 * ys + L);
    c70.intoArray(y, at + 7 * ys);
    c71.intoArray(y, at + 7 * ys + L);
  }

  /** {@code y[at + q·ys + k·L] = Σ_{i<n} a[a0 + q·ds + i] · b[b0 + 1L·i + k·L]} for pixels q &lt; 8, vectors k &lt; 1. */
  static void y8x1(float[] a, int a0, int ds, float[] b, int b0, int n, float[] y, int at, int ys) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c60 = FloatVector.zero(S);
    FloatVector c70 = FloatVector.zero(S);
    for (int i = 0; i < n; i++) {
      int ai = a0 + i;
      int bi = b0 + i * L;
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c00 = x0.fma(w0, c00);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + ds]);
      c10 = x1.fma(w0, c10);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c20 = x2.fma(w0, c20);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c30 = x3.fma(w0, c30);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c40 = x4.fma(w0, c40);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5 * ds]);
      c50 = x5.fma(w0, c50);
      FloatVector x6 = FloatVector.broadcast(S, a[ai + 6 * ds]);
      c60 = x6.fma(w0, c60);
      FloatVector x7 = FloatVector.broadcast(S, a[ai + 7 * ds]);
      c70 = x7.fma(w0, c70);
    }
    c00.intoArray(y, at);
    c10.intoArray(y, at + ys);
    c20.intoArray(y, at + 2 * ys);
    c30.intoArray(y, at + 3 * ys);
    c40.intoArray(y, at + 4 * ys);
    c50.intoArray(y, at + 5 * ys);
    c60.intoArray(y, at + 6 * ys);
    c70.intoArray(y, at + 7 * ys);
  }
}

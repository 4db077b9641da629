package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MicroPanels}' register blocks for an accumulator's first chunk of a call: the sums start from zero registers
 * and are stored, instead of being loaded from accumulators zeroed beforehand. Why: at N = 1 most accumulators see
 * one or a few chunks, so zeroing them (dcgan_l2: the whole 8 MB gradient) and loading them back was a pass over
 * memory the size of the gradient, run by each worker before its sums. The same fused multiply-adds from the same
 * +0.0 start, in the same order, so the bits are those of zeroed accumulators (including the sign of a zero sum).
 */
final class MicroFirstPanels {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;
  static final int QW = MicroPanels.QW;

  private MicroFirstPanels() {}

  /** As {@link MicroPanels#quad4x4}, the sums starting from zero: {@code acc[at + q·cs + k·L] = Σ a·b}. */
  static void quad4x4(float[] a, int a0, float[] b, int b0, int n, float[] acc, int at, int cs) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c02 = FloatVector.zero(S);
    FloatVector c03 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c12 = FloatVector.zero(S);
    FloatVector c13 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c22 = FloatVector.zero(S);
    FloatVector c23 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c32 = FloatVector.zero(S);
    FloatVector c33 = FloatVector.zero(S);
    for (int i = 0; i < n; i++) {
      int ai = a0 + QW * i;
      int bi = b0 + i * (4 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
      FloatVector w3 = FloatVector.fromArray(S, b, bi + 3 * L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c00 = x0.fma(w0, c00);
      c01 = x0.fma(w1, c01);
      c02 = x0.fma(w2, c02);
      c03 = x0.fma(w3, c03);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + 1]);
      c10 = x1.fma(w0, c10);
      c11 = x1.fma(w1, c11);
      c12 = x1.fma(w2, c12);
      c13 = x1.fma(w3, c13);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2]);
      c20 = x2.fma(w0, c20);
      c21 = x2.fma(w1, c21);
      c22 = x2.fma(w2, c22);
      c23 = x2.fma(w3, c23);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3]);
      c30 = x3.fma(w0, c30);
      c31 = x3.fma(w1, c31);
      c32 = x3.fma(w2, c32);
      c33 = x3.fma(w3, c33);
    }
    c00.intoArray(acc, at);
    c01.intoArray(acc, at + L);
    c02.intoArray(acc, at + 2 * L);
    c03.intoArray(acc, at + 3 * L);
    c10.intoArray(acc, at + cs);
    c11.intoArray(acc, at + cs + L);
    c12.intoArray(acc, at + cs + 2 * L);
    c13.intoArray(acc, at + cs + 3 * L);
    c20.intoArray(acc, at + 2 * cs);
    c21.intoArray(acc, at + 2 * cs + L);
    c22.intoArray(acc, at + 2 * cs + 2 * L);
    c23.intoArray(acc, at + 2 * cs + 3 * L);
    c30.intoArray(acc, at + 3 * cs);
    c31.intoArray(acc, at + 3 * cs + L);
    c32.intoArray(acc, at + 3 * cs + 2 * L);
    c33.intoArray(acc, at + 3 * cs + 3 * L);
  }

  /** As {@link MicroPanels#quad4x2}, the sums starting from zero. */
  static void quad4x2(float[] a, int a0, float[] b, int b0, int n, float[] acc, int at, int cs) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    for (int i = 0; i < n; i++) {
      int ai = a0 + QW * i;
      int bi = b0 + i * (2 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c00 = x0.fma(w0, c00);
      c01 = x0.fma(w1, c01);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + 1]);
      c10 = x1.fma(w0, c10);
      c11 = x1.fma(w1, c11);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2]);
      c20 = x2.fma(w0, c20);
      c21 = x2.fma(w1, c21);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3]);
      c30 = x3.fma(w0, c30);
      c31 = x3.fma(w1, c31);
    }
    c00.intoArray(acc, at);
    c01.intoArray(acc, at + L);
    c10.intoArray(acc, at + cs);
    c11.intoArray(acc, at + cs + L);
    c20.intoArray(acc, at + 2 * cs);
    c21.intoArray(acc, at + 2 * cs + L);
    c30.intoArray(acc, at + 3 * cs);
    c31.intoArray(acc, at + 3 * cs + L);
  }

  /** As {@link MicroPanels#quad8x2}, the sums starting from zero. */
  static void quad8x2(float[] a, int a0, float[] b, int b0, int n, float[] acc, int at0, int at1, int cs) {
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
      int ai = a0 + QW * i;
      int bi = b0 + i * (2 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c00 = x0.fma(w0, c00);
      c01 = x0.fma(w1, c01);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + 1]);
      c10 = x1.fma(w0, c10);
      c11 = x1.fma(w1, c11);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + 2]);
      c20 = x2.fma(w0, c20);
      c21 = x2.fma(w1, c21);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + 3]);
      c30 = x3.fma(w0, c30);
      c31 = x3.fma(w1, c31);
      FloatVector x4 = FloatVector.broadcast(S, a[ai + 4]);
      c40 = x4.fma(w0, c40);
      c41 = x4.fma(w1, c41);
      FloatVector x5 = FloatVector.broadcast(S, a[ai + 5]);
      c50 = x5.fma(w0, c50);
      c51 = x5.fma(w1, c51);
      FloatVector x6 = FloatVector.broadcast(S, a[ai + 6]);
      c60 = x6.fma(w0, c60);
      c61 = x6.fma(w1, c61);
      FloatVector x7 = FloatVector.broadcast(S, a[ai + 7]);
      c70 = x7.fma(w0, c70);
      c71 = x7.fma(w1, c71);
    }
    c00.intoArray(acc, at0);
    c01.intoArray(acc, at0 + L);
    c10.intoArray(acc, at0 + cs);
    c11.intoArray(acc, at0 + cs + L);
    c20.intoArray(acc, at0 + 2 * cs);
    c21.intoArray(acc, at0 + 2 * cs + L);
    c30.intoArray(acc, at0 + 3 * cs);
    c31.intoArray(acc, at0 + 3 * cs + L);
    c40.intoArray(acc, at1);
    c41.intoArray(acc, at1 + L);
    c50.intoArray(acc, at1 + cs);
    c51.intoArray(acc, at1 + cs + L);
    c60.intoArray(acc, at1 + 2 * cs);
    c61.intoArray(acc, at1 + 2 * cs + L);
    c70.intoArray(acc, at1 + 3 * cs);
    c71.intoArray(acc, at1 + 3 * cs + L);
  }
}

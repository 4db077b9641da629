package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MicroPanels#quad8x2} reading the output gradient in place instead of a packed panel: output channels
 * broadcast from {@code a[a0 + r·aRow + i·aPix + q]} (NHWC pixels a stride apart), input channels from a packed
 * source panel at {@code b[b0 + r·bRow + 2L·i ..+2L)}, over {@code rows} rows of {@code n} pixels with the
 * accumulators held in registers across all of them. Each sum runs over the rows, then the pixels, in order, with the
 * same fused multiply-adds as {@link MicroPanels#quad8x2}: a caller that feeds the pixels in the packed path's order
 * gets its bits.
 *
 * <p>The gradient's steps are arguments, so C2 keeps a bounds check on its loads (the packed kernels' constant steps
 * let it hoist them); that costs less than packing the gradient ({@link InPlaceRunWeights}).
 */
final class MicroStridedPanels {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroStridedPanels() {}

  /**
   * 8 channels × 2 vectors (32 vector registers only, {@link MicroPanels#PAIRS}), channels 0–3 at
   * {@code acc[at0 + q·cs ..]}, 4–7 at {@code acc[at1 + …]}.
   */
  static void pair8x2(float[] a, int a0, int aPix, int aRow, float[] b, int b0, int bRow, int n, int rows,
      float[] acc, int at0, int at1, int cs) {
    FloatVector c00 = FloatVector.fromArray(S, acc, at0);
    FloatVector c01 = FloatVector.fromArray(S, acc, at0 + L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at0 + cs);
    FloatVector c11 = FloatVector.fromArray(S, acc, at0 + cs + L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at0 + 2 * cs);
    FloatVector c21 = FloatVector.fromArray(S, acc, at0 + 2 * cs + L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at0 + 3 * cs);
    FloatVector c31 = FloatVector.fromArray(S, acc, at0 + 3 * cs + L);
    FloatVector c40 = FloatVector.fromArray(S, acc, at1);
    FloatVector c41 = FloatVector.fromArray(S, acc, at1 + L);
    FloatVector c50 = FloatVector.fromArray(S, acc, at1 + cs);
    FloatVector c51 = FloatVector.fromArray(S, acc, at1 + cs + L);
    FloatVector c60 = FloatVector.fromArray(S, acc, at1 + 2 * cs);
    FloatVector c61 = FloatVector.fromArray(S, acc, at1 + 2 * cs + L);
    FloatVector c70 = FloatVector.fromArray(S, acc, at1 + 3 * cs);
    FloatVector c71 = FloatVector.fromArray(S, acc, at1 + 3 * cs + L);
    for (int r = 0; r < rows; r++) {
      int ar = a0 + r * aRow;
      int br = b0 + r * bRow;
      for (int i = 0; i < n; i++) {
        int ai = ar + i * aPix;
        int bi = br + i * (2 * L);
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

package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient's register blocks over packed panels: four output channels of a gradient panel with
 * {@link #QW} channels per pixel ({@code a[a0 + QW·i + q]}) broadcast against a source slab of two or four vectors
 * per pixel ({@code b[b0 + w·i ..+w)}, w = 2L or 4L). Every index is the loop counter times a constant plus an
 * invariant, so C2 hoists the bounds checks out of the loop; with steps passed as arguments (such as a pixel
 * stride equal to the task's channel count) it checks every load, which slows even an L1-resident block. The
 * accumulators' channel stride {@code cs} is an argument (4L or 2L in a task's own accumulators, a weight row
 * kH·kW·Cin/group when a task sums straight into the OHWI gradient): they are loaded and stored once per call. As in {@link MicroRows}, each block shape is spelled out so its accumulators stay in registers.
 */
final class MicroPanels {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;
  /**
   * Output channels per pixel in a gradient panel: a panel holds [channel group][pixel][QW], packed with whole-vector
   * copies (the pixel's gradient channels are contiguous). A layout of 4-channel quads would need scalar copies (a
   * 128-bit species next to the preferred one makes C2 drop the Vector API intrinsics in the kernels), and packing
   * would then weigh on small-channel weight gradients.
   */
  static final int QW = Math.max(16, L);
  /** Whether {@link #quad8x2}'s 16 accumulators and their operands fit the registers: 512-bit vectors (32 of them). */
  static final boolean PAIRS = L == 16;

  private MicroPanels() {}

  /** 4 channels × 4 vectors: {@code acc[at + q·cs + k·L] += a[a0 + QW·i + q] · b[b0 + 4L·i + k·L]} for i &lt; n. */
  static void quad4x4(float[] a, int a0, float[] b, int b0, int n, float[] acc, int at, int cs) {
    FloatVector c00 = FloatVector.fromArray(S, acc, at);
    FloatVector c01 = FloatVector.fromArray(S, acc, at + L);
    FloatVector c02 = FloatVector.fromArray(S, acc, at + 2 * L);
    FloatVector c03 = FloatVector.fromArray(S, acc, at + 3 * L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at + cs);
    FloatVector c11 = FloatVector.fromArray(S, acc, at + cs + L);
    FloatVector c12 = FloatVector.fromArray(S, acc, at + cs + 2 * L);
    FloatVector c13 = FloatVector.fromArray(S, acc, at + cs + 3 * L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at + 2 * cs);
    FloatVector c21 = FloatVector.fromArray(S, acc, at + 2 * cs + L);
    FloatVector c22 = FloatVector.fromArray(S, acc, at + 2 * cs + 2 * L);
    FloatVector c23 = FloatVector.fromArray(S, acc, at + 2 * cs + 3 * L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at + 3 * cs);
    FloatVector c31 = FloatVector.fromArray(S, acc, at + 3 * cs + L);
    FloatVector c32 = FloatVector.fromArray(S, acc, at + 3 * cs + 2 * L);
    FloatVector c33 = FloatVector.fromArray(S, acc, at + 3 * cs + 3 * L);
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

  /**
   * 4 channels × 2 vectors: {@code acc[at + q·cs + k·L] += a[a0 + QW·i + q] · b[b0 + 2L·i + k·L]} for i &lt; n. (Not
   * eight channels per call, two quads against the same two source vectors: that needs more registers than there
   * are and is slower.)
   */
  static void quad4x2(float[] a, int a0, float[] b, int b0, int n, float[] acc, int at, int cs) {
    FloatVector c00 = FloatVector.fromArray(S, acc, at);
    FloatVector c01 = FloatVector.fromArray(S, acc, at + L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at + cs);
    FloatVector c11 = FloatVector.fromArray(S, acc, at + cs + L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at + 2 * cs);
    FloatVector c21 = FloatVector.fromArray(S, acc, at + 2 * cs + L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at + 3 * cs);
    FloatVector c31 = FloatVector.fromArray(S, acc, at + 3 * cs + L);
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

  /**
   * 8 channels × 2 vectors, two 4-channel blocks against the same source vectors ({@code acc[at0 + …]} for channels
   * 0–3, {@code acc[at1 + …]} for 4–7, each laid out as in {@link #quad4x2}): 16 accumulators keep both FMA ports
   * busy where {@link #quad4x2}'s 8 leave them waiting on the FMA latency. Only with 32 vector registers (AVX-512);
   * each sum runs over the pixels in the same order as in {@link #quad4x2}, so the bits are the same.
   */
  static void quad8x2(float[] a, int a0, float[] b, int b0, int n, float[] acc, int at0, int at1, int cs) {
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

  /**
   * Every output block of a task against one source slab over {@code m} pixels of a chunk: block j's channels are
   * at {@code a[j·4/QW·pch·QW + j·4 % QW]} of the gradient panel, its accumulators at {@code acc[j·per + at]}.
   * Pairs of blocks in one QW group run as {@link #quad8x2} where there are 32 vector registers (L = 16). With
   * {@code fresh} the sums start from zero and overwrite the accumulators ({@link MicroFirstPanels}).
   */
  static void blocks(float[] a, int pch, float[] b, int b0, int m, int w, float[] acc, int at, int obs, int per,
      int cs, boolean fresh) {
    for (int j = 0; j < obs; j++) {
      int a0 = j * 4 / QW * pch * QW + j * 4 % QW;
      if (w == 4 * L) {
        quad4x4(a, a0, b, b0, m, acc, j * per + at, cs, fresh);
      } else if (PAIRS && j % 2 == 0 && j + 1 < obs) {
        quad8x2(a, a0, b, b0, m, acc, j * per + at, (j + 1) * per + at, cs, fresh);
        j++;
      } else {
        quad4x2(a, a0, b, b0, m, acc, j * per + at, cs, fresh);
      }
    }
  }

  /**
   * As {@link #blocks}, for blocks {@code ob0..ob0+obs} of a panel holding every channel of a group: block ob0 + j's
   * channels are at {@code a[a0 + c / QW · chunkStride + c % QW]}, c = 4·(ob0 + j). Pairs of blocks run as
   * {@link #quad8x2} where both lie in one QW chunk.
   */
  static void blocksAt(float[] a, int a0, int chunkStride, int ob0, float[] b, int b0, int m, int w, float[] acc,
      int at, int obs, int per, int cs, boolean fresh) {
    for (int j = 0; j < obs; j++) {
      int c = 4 * (ob0 + j);
      int ai = a0 + c / QW * chunkStride + c % QW;
      if (w == 4 * L) {
        quad4x4(a, ai, b, b0, m, acc, j * per + at, cs, fresh);
      } else if (PAIRS && c % QW + 8 <= QW && j + 1 < obs) {
        quad8x2(a, ai, b, b0, m, acc, j * per + at, (j + 1) * per + at, cs, fresh);
        j++;
      } else {
        quad4x2(a, ai, b, b0, m, acc, j * per + at, cs, fresh);
      }
    }
  }

  private static void quad4x4(float[] a, int a0, float[] b, int b0, int n, float[] acc, int at, int cs,
      boolean fresh) {
    if (fresh) {
      MicroFirstPanels.quad4x4(a, a0, b, b0, n, acc, at, cs);
    } else {
      quad4x4(a, a0, b, b0, n, acc, at, cs);
    }
  }

  private static void quad4x2(float[] a, int a0, float[] b, int b0, int n, float[] acc, int at, int cs,
      boolean fresh) {
    if (fresh) {
      MicroFirstPanels.quad4x2(a, a0, b, b0, n, acc, at, cs);
    } else {
      quad4x2(a, a0, b, b0, n, acc, at, cs);
    }
  }

  private static void quad8x2(float[] a, int a0, float[] b, int b0, int n, float[] acc, int at0, int at1, int cs,
      boolean fresh) {
    if (fresh) {
      MicroFirstPanels.quad8x2(a, a0, b, b0, n, acc, at0, at1, cs);
    } else {
      quad8x2(a, a0, b, b0, n, acc, at0, at1, cs);
    }
  }
}

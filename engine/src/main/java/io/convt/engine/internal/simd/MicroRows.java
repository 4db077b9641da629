package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The broadcast × weight-vector register blocks of the DENSE paths: a scalar operand (a source or gradient value) is
 * broadcast against one to four vectors of packed weights (or packed source) for up to four pixels. Like
 * {@link Micro}, each is one flat loop whose accumulators are loaded from and stored back to a buffer around it.
 * The variants repeat their bodies on purpose: every accumulator must be its own local variable for C2 to keep it in
 * a register (arrays of vectors or a generic width would box them), so each block shape is spelled out.
 */
final class MicroRows {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroRows() {}

  /**
   * {@code acc[q][0..2L) += a[a0 + d_q + i·aStep] · b[b0 + i·bStep .. +2L)} for i &lt; n and the 4 broadcast rows
   * q (offsets 0, d1, d2, d3). Accumulators: {@code acc[at + q·2L + j]}.
   */
  static void bcast4x2(float[] a, int a0, int d1, int d2, int d3, int aStep, float[] b, int b0, int bStep, int n,
      float[] acc, int at) {
    FloatVector c00 = FloatVector.fromArray(S, acc, at + 0);
    FloatVector c01 = FloatVector.fromArray(S, acc, at + L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at + 2 * L);
    FloatVector c11 = FloatVector.fromArray(S, acc, at + 3 * L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at + 4 * L);
    FloatVector c21 = FloatVector.fromArray(S, acc, at + 5 * L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at + 6 * L);
    FloatVector c31 = FloatVector.fromArray(S, acc, at + 7 * L);
    int ai = a0;
    int bi = b0;
    for (int i = 0; i < n; i++, ai += aStep, bi += bStep) {
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector x = FloatVector.broadcast(S, a[ai]);
      c00 = x.fma(w0, c00);
      c01 = x.fma(w1, c01);
      x = FloatVector.broadcast(S, a[ai + d1]);
      c10 = x.fma(w0, c10);
      c11 = x.fma(w1, c11);
      x = FloatVector.broadcast(S, a[ai + d2]);
      c20 = x.fma(w0, c20);
      c21 = x.fma(w1, c21);
      x = FloatVector.broadcast(S, a[ai + d3]);
      c30 = x.fma(w0, c30);
      c31 = x.fma(w1, c31);
    }
    c00.intoArray(acc, at + 0);
    c01.intoArray(acc, at + L);
    c10.intoArray(acc, at + 2 * L);
    c11.intoArray(acc, at + 3 * L);
    c20.intoArray(acc, at + 4 * L);
    c21.intoArray(acc, at + 5 * L);
    c30.intoArray(acc, at + 6 * L);
    c31.intoArray(acc, at + 7 * L);
  }

  /**
   * {@link #bcast4x2} over contiguous operands ({@code a} step 1, {@code b} step 2L) whose four pixel rows accumulate
   * at their own offsets {@code at0..at3} of {@code acc} (a row buffer; absent pixels point at a junk slot), so
   * one weight panel can serve every pixel block of a row while it sits in L1.
   */
  static void rows4x2(float[] a, int a0, int d1, int d2, int d3, float[] b, int b0, int n, float[] acc, int at0,
      int at1, int at2, int at3) {
    FloatVector c00 = FloatVector.fromArray(S, acc, at0);
    FloatVector c01 = FloatVector.fromArray(S, acc, at0 + L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at1);
    FloatVector c11 = FloatVector.fromArray(S, acc, at1 + L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at2);
    FloatVector c21 = FloatVector.fromArray(S, acc, at2 + L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at3);
    FloatVector c31 = FloatVector.fromArray(S, acc, at3 + L);
    for (int i = 0; i < n; i++) {
      int ai = a0 + i;
      int bi = b0 + i * (2 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector x = FloatVector.broadcast(S, a[ai]);
      c00 = x.fma(w0, c00);
      c01 = x.fma(w1, c01);
      x = FloatVector.broadcast(S, a[ai + d1]);
      c10 = x.fma(w0, c10);
      c11 = x.fma(w1, c11);
      x = FloatVector.broadcast(S, a[ai + d2]);
      c20 = x.fma(w0, c20);
      c21 = x.fma(w1, c21);
      x = FloatVector.broadcast(S, a[ai + d3]);
      c30 = x.fma(w0, c30);
      c31 = x.fma(w1, c31);
    }
    c00.intoArray(acc, at0);
    c01.intoArray(acc, at0 + L);
    c10.intoArray(acc, at1);
    c11.intoArray(acc, at1 + L);
    c20.intoArray(acc, at2);
    c21.intoArray(acc, at2 + L);
    c30.intoArray(acc, at3);
    c31.intoArray(acc, at3 + L);
  }

  /**
   * {@link #rows4x2} for blocks of {@code cb} = 2L channels, {@link #rows4x4} for 4L; blocks of one or two pixels (row
   * edges, narrow images: dcgan_l2's 8-column rows split 1+4+2+1) run a two-pixel kernel instead of wasting half to
   * three quarters of a four-pixel one.
   */
  static void rows(int cb, int np, float[] a, int a0, int d1, int d2, int d3, float[] b, int b0, int n, float[] acc,
      int at0, int at1, int at2, int at3) {
    if (np <= 2) {
      rows2(cb / L, a, a0, d1, b, b0, n, acc, at0, at1);
    } else if (cb == 4 * L) {
      rows4x4(a, a0, d1, d2, d3, b, b0, n, acc, at0, at1, at2, at3);
    } else {
      rows4x2(a, a0, d1, d2, d3, b, b0, n, acc, at0, at1, at2, at3);
    }
  }

  /** Two pixels × {@code nv} (2 or 4) vectors; {@code b} step nv·L. */
  static void rows2(int nv, float[] a, int a0, int d1, float[] b, int b0, int n, float[] acc, int at0, int at1) {
    if (nv == 4) {
      FloatVector c00 = FloatVector.fromArray(S, acc, at0);
      FloatVector c01 = FloatVector.fromArray(S, acc, at0 + L);
      FloatVector c02 = FloatVector.fromArray(S, acc, at0 + 2 * L);
      FloatVector c03 = FloatVector.fromArray(S, acc, at0 + 3 * L);
      FloatVector c10 = FloatVector.fromArray(S, acc, at1);
      FloatVector c11 = FloatVector.fromArray(S, acc, at1 + L);
      FloatVector c12 = FloatVector.fromArray(S, acc, at1 + 2 * L);
      FloatVector c13 = FloatVector.fromArray(S, acc, at1 + 3 * L);
      for (int i = 0; i < n; i++) {
        int bi = b0 + i * (4 * L);
        FloatVector w0 = FloatVector.fromArray(S, b, bi);
        FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
        FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
        FloatVector w3 = FloatVector.fromArray(S, b, bi + 3 * L);
        FloatVector x0 = FloatVector.broadcast(S, a[a0 + i]);
        FloatVector x1 = FloatVector.broadcast(S, a[a0 + i + d1]);
        c00 = x0.fma(w0, c00);
        c01 = x0.fma(w1, c01);
        c02 = x0.fma(w2, c02);
        c03 = x0.fma(w3, c03);
        c10 = x1.fma(w0, c10);
        c11 = x1.fma(w1, c11);
        c12 = x1.fma(w2, c12);
        c13 = x1.fma(w3, c13);
      }
      c00.intoArray(acc, at0);
      c01.intoArray(acc, at0 + L);
      c02.intoArray(acc, at0 + 2 * L);
      c03.intoArray(acc, at0 + 3 * L);
      c10.intoArray(acc, at1);
      c11.intoArray(acc, at1 + L);
      c12.intoArray(acc, at1 + 2 * L);
      c13.intoArray(acc, at1 + 3 * L);
      return;
    }
    FloatVector c00 = FloatVector.fromArray(S, acc, at0);
    FloatVector c01 = FloatVector.fromArray(S, acc, at0 + L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at1);
    FloatVector c11 = FloatVector.fromArray(S, acc, at1 + L);
    for (int i = 0; i < n; i++) {
      int bi = b0 + i * (2 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector x0 = FloatVector.broadcast(S, a[a0 + i]);
      FloatVector x1 = FloatVector.broadcast(S, a[a0 + i + d1]);
      c00 = x0.fma(w0, c00);
      c01 = x0.fma(w1, c01);
      c10 = x1.fma(w0, c10);
      c11 = x1.fma(w1, c11);
    }
    c00.intoArray(acc, at0);
    c01.intoArray(acc, at0 + L);
    c10.intoArray(acc, at1);
    c11.intoArray(acc, at1 + L);
  }

  /** {@link #rows4x2} with four vectors per pixel ({@code b} step 4L): 16 accumulators, 4 loads per 16 FMAs. */
  static void rows4x4(float[] a, int a0, int d1, int d2, int d3, float[] b, int b0, int n, float[] acc, int at0,
      int at1, int at2, int at3) {
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
    for (int i = 0; i < n; i++) {
      int ai = a0 + i;
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

  /**
   * A register block over a flat list of (broadcast offset, weight offset) pairs:
   * {@code acc[q] += a[aBase + aOff[j] + d_q] · b[bOff[j] .. +cb)} for j &lt; n. For data gradients with few output
   * channels (64→3 layers), where a per-tap call would reduce over only Cout values and its accumulator loads and
   * stores would dominate: one call per block covers every tap and channel.
   */
  static void list(int cb, float[] a, int aBase, int[] aOff, int d1, int d2, int d3, float[] b, int[] bOff, int n,
      float[] acc, int at0, int at1, int at2, int at3) {
    if (cb == 4 * L) {
      list4x4(a, aBase, aOff, d1, d2, d3, b, bOff, n, acc, at0, at1, at2, at3);
    } else {
      list4x2(a, aBase, aOff, d1, d2, d3, b, bOff, n, acc, at0, at1, at2, at3);
    }
  }

  /** {@link #list} with 2 vectors per pixel. */
  static void list4x2(float[] a, int aBase, int[] aOff, int d1, int d2, int d3, float[] b, int[] bOff, int n,
      float[] acc, int at0, int at1, int at2, int at3) {
    FloatVector c00 = FloatVector.fromArray(S, acc, at0);
    FloatVector c01 = FloatVector.fromArray(S, acc, at0 + L);
    FloatVector c10 = FloatVector.fromArray(S, acc, at1);
    FloatVector c11 = FloatVector.fromArray(S, acc, at1 + L);
    FloatVector c20 = FloatVector.fromArray(S, acc, at2);
    FloatVector c21 = FloatVector.fromArray(S, acc, at2 + L);
    FloatVector c30 = FloatVector.fromArray(S, acc, at3);
    FloatVector c31 = FloatVector.fromArray(S, acc, at3 + L);
    for (int j = 0; j < n; j++) {
      int ai = aBase + aOff[j];
      int bi = bOff[j];
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
    c00.intoArray(acc, at0);
    c01.intoArray(acc, at0 + L);
    c10.intoArray(acc, at1);
    c11.intoArray(acc, at1 + L);
    c20.intoArray(acc, at2);
    c21.intoArray(acc, at2 + L);
    c30.intoArray(acc, at3);
    c31.intoArray(acc, at3 + L);
  }

  /** {@link #list} with 4 vectors per pixel. */
  static void list4x4(float[] a, int aBase, int[] aOff, int d1, int d2, int d3, float[] b, int[] bOff, int n,
      float[] acc, int at0, int at1, int at2, int at3) {
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
    for (int j = 0; j < n; j++) {
      int ai = aBase + aOff[j];
      int bi = bOff[j];
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

package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register blocks of {@link SimdPointwise} along input channels, up to {@link #W8} of them per call ({@code 8}
 * vectors): the data gradient on padded OHWI rows ({@link PointwiseOnePixel#padRows}), unmasked; the weight gradient
 * straight into the OHWI gradient, the last vectors masked to {@code width} (masked lanes load as 0 and are never
 * stored). Each accumulator is its own local variable so C2 keeps it in a register (see {@link MicroRows}).
 */
final class MicroPointwise {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;
  /** Input channels per call: eight vectors. */
  static final int W8 = 8 * L;

  private MicroPointwise() {}

  /**
   * Data gradient, one source pixel: {@code acc[at ..+W8) += Σ_{r<n} gv[g0 + r] · w[w0 + r·wStep ..+W8)}. Unmasked:
   * lanes past the caller's channels sum whatever follows them (padding, the next row) and are never read; the
   * padded rows end in slack that keeps every read inside {@code w} ({@link PointwiseOnePixel#padRows}). (Eight live
   * masks made C2 box the vectors.)
   */
  static void rows8x1(float[] w, int w0, int wStep, float[] gv, int g0, int n, float[] acc, int at) {
    FloatVector c0 = FloatVector.fromArray(S, acc, at);
    FloatVector c1 = FloatVector.fromArray(S, acc, at + L);
    FloatVector c2 = FloatVector.fromArray(S, acc, at + 2 * L);
    FloatVector c3 = FloatVector.fromArray(S, acc, at + 3 * L);
    FloatVector c4 = FloatVector.fromArray(S, acc, at + 4 * L);
    FloatVector c5 = FloatVector.fromArray(S, acc, at + 5 * L);
    FloatVector c6 = FloatVector.fromArray(S, acc, at + 6 * L);
    FloatVector c7 = FloatVector.fromArray(S, acc, at + 7 * L);
    for (int r = 0, j = w0; r < n; r++, j += wStep) {
      FloatVector g = FloatVector.broadcast(S, gv[g0 + r]);
      c0 = g.fma(FloatVector.fromArray(S, w, j), c0);
      c1 = g.fma(FloatVector.fromArray(S, w, j + L), c1);
      c2 = g.fma(FloatVector.fromArray(S, w, j + 2 * L), c2);
      c3 = g.fma(FloatVector.fromArray(S, w, j + 3 * L), c3);
      c4 = g.fma(FloatVector.fromArray(S, w, j + 4 * L), c4);
      c5 = g.fma(FloatVector.fromArray(S, w, j + 5 * L), c5);
      c6 = g.fma(FloatVector.fromArray(S, w, j + 6 * L), c6);
      c7 = g.fma(FloatVector.fromArray(S, w, j + 7 * L), c7);
    }
    c0.intoArray(acc, at);
    c1.intoArray(acc, at + L);
    c2.intoArray(acc, at + 2 * L);
    c3.intoArray(acc, at + 3 * L);
    c4.intoArray(acc, at + 4 * L);
    c5.intoArray(acc, at + 5 * L);
    c6.intoArray(acc, at + 6 * L);
    c7.intoArray(acc, at + 7 * L);
  }

  /**
   * Data gradient, three source pixels q: {@code acc[at_q ..+4L) += Σ_{r<n} g[g_q + r] · w[w0 + r·wStep ..+4L)}
   * with {@code g_q} = g0, g1, g2 and {@code at_q} = at0, at1, at2: every weight vector serves three pixels. Unmasked
   * like {@link #rows8x1}. One flat loop: C2 boxed the vectors of a version with an outer loop over two halves.
   */
  static void rows4x3(float[] w, int w0, int wStep, float[] g, int g0, int g1, int g2, int n,
      float[] acc, int at0, int at1, int at2) {
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
    for (int r = 0, j = w0; r < n; r++, j += wStep) {
      FloatVector v0 = FloatVector.fromArray(S, w, j);
      FloatVector v1 = FloatVector.fromArray(S, w, j + L);
      FloatVector v2 = FloatVector.fromArray(S, w, j + 2 * L);
      FloatVector v3 = FloatVector.fromArray(S, w, j + 3 * L);
      FloatVector b = FloatVector.broadcast(S, g[g0 + r]);
      c00 = b.fma(v0, c00);
      c01 = b.fma(v1, c01);
      c02 = b.fma(v2, c02);
      c03 = b.fma(v3, c03);
      b = FloatVector.broadcast(S, g[g1 + r]);
      c10 = b.fma(v0, c10);
      c11 = b.fma(v1, c11);
      c12 = b.fma(v2, c12);
      c13 = b.fma(v3, c13);
      b = FloatVector.broadcast(S, g[g2 + r]);
      c20 = b.fma(v0, c20);
      c21 = b.fma(v1, c21);
      c22 = b.fma(v2, c22);
      c23 = b.fma(v3, c23);
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
  }

  /**
   * Weight gradient of three weight rows (output channels o, o+d1, o+d2 of one tap; rows at gW offsets w0, w0+f1,
   * w0+f2) over 4L input channels: {@code gW[w0 + f_r + j] = Σ_{i<n} g[gOff[i] + o + d_r] · x[xOff[i] + c + j]},
   * pairs in list order, stored once. A row repeated (d = f = 0) stores the same sums twice. Narrower blocks:
   * {@link #grad3x4Tail}. No masks here: with sixteen masked loads and stores C1 runs out of virtual registers, and a
   * kernel C1 cannot compile can be left as tier-2 code (Vector API not intrinsified, ~50× slower) when C2 compiles
   * its caller without inlining it.
   */
  static void grad3x4(float[] x, int[] xOff, int c, float[] g, int[] gOff, int o, int d1, int d2, int n,
      float[] gW, int w0, int f1, int f2) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c02 = c00;
    FloatVector c03 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c12 = c00;
    FloatVector c13 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c22 = c00;
    FloatVector c23 = c00;
    for (int i = 0; i < n; i++) {
      int xi = xOff[i] + c;
      int gi = gOff[i] + o;
      FloatVector v0 = FloatVector.fromArray(S, x, xi);
      FloatVector v1 = FloatVector.fromArray(S, x, xi + L);
      FloatVector v2 = FloatVector.fromArray(S, x, xi + 2 * L);
      FloatVector v3 = FloatVector.fromArray(S, x, xi + 3 * L);
      FloatVector b = FloatVector.broadcast(S, g[gi]);
      c00 = b.fma(v0, c00);
      c01 = b.fma(v1, c01);
      c02 = b.fma(v2, c02);
      c03 = b.fma(v3, c03);
      b = FloatVector.broadcast(S, g[gi + d1]);
      c10 = b.fma(v0, c10);
      c11 = b.fma(v1, c11);
      c12 = b.fma(v2, c12);
      c13 = b.fma(v3, c13);
      b = FloatVector.broadcast(S, g[gi + d2]);
      c20 = b.fma(v0, c20);
      c21 = b.fma(v1, c21);
      c22 = b.fma(v2, c22);
      c23 = b.fma(v3, c23);
    }
    c00.intoArray(gW, w0);
    c01.intoArray(gW, w0 + L);
    c02.intoArray(gW, w0 + 2 * L);
    c03.intoArray(gW, w0 + 3 * L);
    c10.intoArray(gW, w0 + f1);
    c11.intoArray(gW, w0 + f1 + L);
    c12.intoArray(gW, w0 + f1 + 2 * L);
    c13.intoArray(gW, w0 + f1 + 3 * L);
    c20.intoArray(gW, w0 + f2);
    c21.intoArray(gW, w0 + f2 + L);
    c22.intoArray(gW, w0 + f2 + 2 * L);
    c23.intoArray(gW, w0 + f2 + 3 * L);
  }

  /**
   * {@link #grad3x4} over {@code width} &lt; 4L input channels (loads masked to width), the three rows' sums stored
   * whole into {@code sums[0 ..12L)} (row r at {@code 4L·r}) for the caller to copy: masked stores too would put the
   * kernel past C1's register limit.
   */
  static void grad3x4Tail(float[] x, int[] xOff, int c, float[] g, int[] gOff, int o, int d1, int d2, int n,
      int width, float[] sums) {
    VectorMask<Float> m0 = S.indexInRange(0, width);
    VectorMask<Float> m1 = S.indexInRange(L, width);
    VectorMask<Float> m2 = S.indexInRange(2 * L, width);
    VectorMask<Float> m3 = S.indexInRange(3 * L, width);
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c02 = c00;
    FloatVector c03 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c12 = c00;
    FloatVector c13 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c22 = c00;
    FloatVector c23 = c00;
    for (int i = 0; i < n; i++) {
      int xi = xOff[i] + c;
      int gi = gOff[i] + o;
      FloatVector v0 = FloatVector.fromArray(S, x, xi, m0);
      FloatVector v1 = FloatVector.fromArray(S, x, xi + L, m1);
      FloatVector v2 = FloatVector.fromArray(S, x, xi + 2 * L, m2);
      FloatVector v3 = FloatVector.fromArray(S, x, xi + 3 * L, m3);
      FloatVector b = FloatVector.broadcast(S, g[gi]);
      c00 = b.fma(v0, c00);
      c01 = b.fma(v1, c01);
      c02 = b.fma(v2, c02);
      c03 = b.fma(v3, c03);
      b = FloatVector.broadcast(S, g[gi + d1]);
      c10 = b.fma(v0, c10);
      c11 = b.fma(v1, c11);
      c12 = b.fma(v2, c12);
      c13 = b.fma(v3, c13);
      b = FloatVector.broadcast(S, g[gi + d2]);
      c20 = b.fma(v0, c20);
      c21 = b.fma(v1, c21);
      c22 = b.fma(v2, c22);
      c23 = b.fma(v3, c23);
    }
    c00.intoArray(sums, 0);
    c01.intoArray(sums, L);
    c02.intoArray(sums, 2 * L);
    c03.intoArray(sums, 3 * L);
    c10.intoArray(sums, 4 * L);
    c11.intoArray(sums, 5 * L);
    c12.intoArray(sums, 6 * L);
    c13.intoArray(sums, 7 * L);
    c20.intoArray(sums, 8 * L);
    c21.intoArray(sums, 9 * L);
    c22.intoArray(sums, 10 * L);
    c23.intoArray(sums, 11 * L);
  }

  /**
   * Weight gradient of one source pixel: {@code gW[w0 + r·wStep ..+width) = gv[g0 + r] · xp[0 ..+width)} for r &lt; n,
   * width ≤ {@link #W8}. {@code xp} holds the pixel's channels in {@link #W8} floats (zero-padded), loaded into
   * registers once; whole vectors are stored as they are, the partial one under the only mask (a store must not
   * touch the next row; eight live masks made C2 box the vectors).
   */
  static void outer(float[] xp, int width, float[] gv, int g0, int n, float[] gW, int w0, int wStep) {
    final int full = width / L;
    final int rest = full * L;
    final boolean partial = rest < width;
    VectorMask<Float> tail = S.indexInRange(rest, width);
    FloatVector x0 = FloatVector.fromArray(S, xp, 0);
    FloatVector x1 = FloatVector.fromArray(S, xp, L);
    FloatVector x2 = FloatVector.fromArray(S, xp, 2 * L);
    FloatVector x3 = FloatVector.fromArray(S, xp, 3 * L);
    FloatVector x4 = FloatVector.fromArray(S, xp, 4 * L);
    FloatVector x5 = FloatVector.fromArray(S, xp, 5 * L);
    FloatVector x6 = FloatVector.fromArray(S, xp, 6 * L);
    FloatVector x7 = FloatVector.fromArray(S, xp, 7 * L);
    FloatVector xt = FloatVector.fromArray(S, xp, Math.min(rest, 7 * L));
    for (int r = 0, j = w0; r < n; r++, j += wStep) {
      float b = gv[g0 + r];
      if (full > 0) {
        x0.mul(b).intoArray(gW, j);
      }
      if (full > 1) {
        x1.mul(b).intoArray(gW, j + L);
      }
      if (full > 2) {
        x2.mul(b).intoArray(gW, j + 2 * L);
      }
      if (full > 3) {
        x3.mul(b).intoArray(gW, j + 3 * L);
      }
      if (full > 4) {
        x4.mul(b).intoArray(gW, j + 4 * L);
      }
      if (full > 5) {
        x5.mul(b).intoArray(gW, j + 5 * L);
      }
      if (full > 6) {
        x6.mul(b).intoArray(gW, j + 6 * L);
      }
      if (full > 7) {
        x7.mul(b).intoArray(gW, j + 7 * L);
      }
      if (partial) {
        xt.mul(b).intoArray(gW, j + rest, tail);
      }
    }
  }
}

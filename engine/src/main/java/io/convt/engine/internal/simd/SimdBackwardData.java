package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised data gradient: the adjoint of the forward pass written as a gather, so each source pixel is owned by
 * one task and summed in a fixed order. Source columns {@code ix..ix+3} use the same kernel columns with destination
 * columns {@code sX} apart: a 4-pixel register block × two vectors of input channels (DENSE), or channel lanes for
 * depthwise.
 */
final class SimdBackwardData {
  private static final VectorSpecies<Float> S = SimdForward.S;
  private static final int L = SimdForward.L;
  private static final int PB = SimdForward.PB;

  private SimdBackwardData() {}

  static void run(SimdPlan plan, ConvProblem p, float[] gradOut, float[] w, float[] gradIn, int threads) {
    final float[] packed = plan.packBackwardData(w);
    final long[] colMask = plan.backwardColumnMasks();
    int rows = p.images() * p.srcH();
    Parallel.forRange(rows, threads, (from, to) -> {
      int[] vs = new int[p.kH()];
      int[] kys = new int[p.kH()];
      int stride = Math.max(p.cin(), p.cout()) + 2 * L;
      float[] out = new float[PB * stride];
      for (int r = from; r < to; r++) {
        int t = r / p.srcH();
        int iy = r % p.srcH();
        int nTaps = 0;
        for (int ky = 0; ky < p.kH(); ky++) {
          int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
          if (v >= 0 && v < p.clipH()) {
            kys[nTaps] = ky;
            vs[nTaps++] = v;
          }
        }
        int dstBase = (p.dstImage0() + t) * p.dstImageSize() + p.clipX() * p.dstC() + p.dfo();
        int srcRow = (p.srcImage0() + t) * p.srcImageSize() + iy * p.srcW() * p.srcC() + p.sfo();
        int ix = 0;
        while (ix < p.srcW()) {
          long m = colMask[ix];
          int np = 1;
          while (np < PB && ix + np < p.srcW() && colMask[ix + np] == m) {
            np++;
          }
          if (plan.backwardDataKind() == SimdPlan.Kind.DEPTHWISE) {
            depthwise(p, gradOut, packed, dstBase, kys, vs, nTaps, m, ix, np, out, stride);
          } else {
            dense(plan, p, gradOut, packed, dstBase, kys, vs, nTaps, m, ix, np, out, stride);
          }
          for (int q = 0; q < np; q++) {
            System.arraycopy(out, q * stride, gradIn, srcRow + (ix + q) * p.srcC(), p.cinRead());
          }
          ix += np;
        }
      }
    });
  }

  /** Destination column (inside the clip) that kernel column kx of source column ix lands on. */
  private static int u(ConvProblem p, int ix, int kx) {
    return ix * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
  }

  private static void dense(SimdPlan plan, ConvProblem p, float[] g, float[] wq, int dstBase, int[] kys, int[] vs,
      int nTaps, long mask, int ix, int np, float[] out, int stride) {
    final int cig = p.cig();
    final int cog = p.cog();
    final int cigPad = plan.cigPad();
    final int dc = p.dstC();
    final int step = p.strideX() * dc;
    final int d1 = np > 1 ? step : 0;
    final int d2 = np > 2 ? 2 * step : 0;
    final int d3 = np > 3 ? 3 * step : 0;
    for (int gr = 0; gr < p.groups(); gr++) {
      int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      for (int il0 = 0; il0 < ilEnd; il0 += 2 * L) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
        FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int ti = 0; ti < nTaps; ti++) {
          int ky = kys[ti];
          int rowBase = dstBase + (p.clipY() + vs[ti]) * p.dstW() * dc + gr * cog;
          for (long bits = mask; bits != 0; bits &= bits - 1) {
            int kx = Long.numberOfTrailingZeros(bits);
            int g0 = rowBase + u(p, ix, kx) * dc;
            int wb = ((gr * p.kH() + ky) * p.kW() + kx) * cog * cigPad + il0;
            for (int oc = 0; oc < cog; oc++, wb += cigPad) {
              FloatVector w0 = FloatVector.fromArray(S, wq, wb);
              FloatVector w1 = FloatVector.fromArray(S, wq, wb + L);
              FloatVector b = FloatVector.broadcast(S, g[g0 + oc]);
              a00 = b.fma(w0, a00);
              a01 = b.fma(w1, a01);
              b = FloatVector.broadcast(S, g[g0 + d1 + oc]);
              a10 = b.fma(w0, a10);
              a11 = b.fma(w1, a11);
              b = FloatVector.broadcast(S, g[g0 + d2 + oc]);
              a20 = b.fma(w0, a20);
              a21 = b.fma(w1, a21);
              b = FloatVector.broadcast(S, g[g0 + d3 + oc]);
              a30 = b.fma(w0, a30);
              a31 = b.fma(w1, a31);
            }
          }
        }
        int c = gr * cig + il0;
        a00.intoArray(out, c);
        a01.intoArray(out, c + L);
        a10.intoArray(out, stride + c);
        a11.intoArray(out, stride + c + L);
        a20.intoArray(out, 2 * stride + c);
        a21.intoArray(out, 2 * stride + c + L);
        a30.intoArray(out, 3 * stride + c);
        a31.intoArray(out, 3 * stride + c + L);
      }
    }
  }

  private static void depthwise(ConvProblem p, float[] g, float[] wd, int dstBase, int[] kys, int[] vs, int nTaps,
      long mask, int ix, int np, float[] out, int stride) {
    final int dc = p.dstC();
    final int step = p.strideX() * dc;
    final int d1 = np > 1 ? step : 0;
    final int d2 = np > 2 ? 2 * step : 0;
    final int d3 = np > 3 ? 3 * step : 0;
    final int coutPad = SimdForward.coutPadOf(p);
    for (int c0 = 0; c0 < p.cinRead(); c0 += L) {
      VectorMask<Float> m = S.indexInRange(c0, p.cout());
      boolean full = c0 + L <= p.cout();
      FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
      for (int ti = 0; ti < nTaps; ti++) {
        int ky = kys[ti];
        int rowBase = dstBase + (p.clipY() + vs[ti]) * p.dstW() * dc + c0;
        for (long bits = mask; bits != 0; bits &= bits - 1) {
          int kx = Long.numberOfTrailingZeros(bits);
          int g0 = rowBase + u(p, ix, kx) * dc;
          FloatVector wv = FloatVector.fromArray(S, wd, (ky * p.kW() + kx) * coutPad + c0);
          if (full) {
            a0 = FloatVector.fromArray(S, g, g0).fma(wv, a0);
            a1 = FloatVector.fromArray(S, g, g0 + d1).fma(wv, a1);
            a2 = FloatVector.fromArray(S, g, g0 + d2).fma(wv, a2);
            a3 = FloatVector.fromArray(S, g, g0 + d3).fma(wv, a3);
          } else {
            a0 = FloatVector.fromArray(S, g, g0, m).fma(wv, a0);
            a1 = FloatVector.fromArray(S, g, g0 + d1, m).fma(wv, a1);
            a2 = FloatVector.fromArray(S, g, g0 + d2, m).fma(wv, a2);
            a3 = FloatVector.fromArray(S, g, g0 + d3, m).fma(wv, a3);
          }
        }
      }
      a0.intoArray(out, c0);
      a1.intoArray(out, stride + c0);
      a2.intoArray(out, 2 * stride + c0);
      a3.intoArray(out, 3 * stride + c0);
    }
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
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
    final float[] packed = plan.backwardDataWeights(w);
    final long[] colMask = plan.backwardColumnMasks();
    final int rows = p.images() * p.srcH();
    // DENSE: like the forward pass, input-channel blocks run over a chunk of rows so their weights stay in L2
    final boolean depthwise = plan.backwardDataKind() == SimdPlan.Kind.DEPTHWISE;
    final int chunk = depthwise ? rows : SimdForward.rowChunk(p.dstW() * p.dstC() * p.strideY());
    Parallel.forRange(rows, threads, (from, to) -> {
      int[] vs = new int[p.kH()];
      int[] kys = new int[p.kH()];
      int stride = Math.max(p.cin(), p.cout()) + 2 * L;
      int[] blocks = new int[2 * p.srcW()];
      int nb = 0;
      for (int ix = 0; ix < p.srcW(); ) {
        long m = colMask[ix];
        int np = 1;
        while (np < PB && ix + np < p.srcW() && colMask[ix + np] == m) {
          np++;
        }
        blocks[nb++] = ix;
        blocks[nb++] = np;
        ix += np;
      }
      // destination column of each block's first pixel per kernel column, or -1 where the column does not reach it
      int[] blockU = new int[nb / 2 * p.kW()];
      for (int bi = 0; bi < nb / 2; bi++) {
        for (int kx = 0; kx < p.kW(); kx++) {
          blockU[bi * p.kW() + kx] = (colMask[blocks[2 * bi]] >>> kx & 1) != 0 ? u(p, blocks[2 * bi], kx) : -1;
        }
      }
      float[] out = depthwise ? new float[p.srcW() * stride + 2 * L] : new float[(p.srcW() + 1) * plan.cbi()];
      float[] acc = new float[8 * L];
      int[] aOff = new int[p.kH() * p.kW()];
      int[] bOff = new int[p.kH() * p.kW()];
      for (int r0 = from; r0 < to; r0 += chunk) {
        int r1 = Math.min(to, r0 + chunk);
        for (int gr = 0; gr < (depthwise ? 1 : p.groups()); gr++) {
          int ilEnd = Math.max(0, Math.min(p.cig(), p.cinRead() - gr * p.cig()));
          for (int il0 = 0; il0 < (depthwise ? 1 : ilEnd); il0 += depthwise ? 1 : plan.cbi()) {
            for (int r = r0; r < r1; r++) {
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
              if (depthwise) {
                for (int b = 0; b < nb; b += 2) {
                  depthwise(p, gradOut, packed, dstBase, kys, vs, nTaps, colMask[blocks[b]], blocks[b], blocks[b + 1],
                      out, stride, acc, aOff, bOff);
                }
                for (int ix = 0; ix < p.srcW(); ix++) {
                  System.arraycopy(out, ix * stride, gradIn, srcRow + ix * p.srcC(), p.cinRead());
                }
              } else {
                denseRow(plan, p, gradOut, packed, dstBase, kys, vs, nTaps, blocks, nb, blockU, out, gr, il0);
                int c = gr * p.cig() + il0;
                int nc = Math.min(plan.cbi(), ilEnd - il0);
                for (int ix = 0; ix < p.srcW(); ix++) {
                  System.arraycopy(out, ix * plan.cbi(), gradIn, srcRow + ix * p.srcC() + c, nc);
                }
              }
            }
          }
        }
      }
    });
  }

  /** Destination column (inside the clip) that kernel column kx of source column ix lands on. */
  private static int u(ConvProblem p, int ix, int kx) {
    return ix * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
  }

  /**
   * One source row, one block of cbi input channels: {@code out[ix·cbi ..]} = the sums for source column ix. Output
   * channels are cut into chunks of {@link SimdForward#kc} so each tap's weight panel serves the whole row from L1.
   */
  private static void denseRow(SimdPlan plan, ConvProblem p, float[] g, float[] wq, int dstBase, int[] kys, int[] vs,
      int nTaps, int[] blocks, int nb, int[] blockU, float[] out, int gr, int il0) {
    final int cog = p.cog();
    final int dc = p.dstC();
    final int kW = p.kW();
    final int step = p.strideX() * dc;
    final int cb = plan.cbi();
    final int kc = SimdForward.kc(cb);
    final int junk = p.srcW() * cb;
    final int wGroup = gr * (plan.cigPad() / cb) + il0 / cb;
    java.util.Arrays.fill(out, 0, junk, 0f);
    for (int k0 = 0; k0 < cog; k0 += kc) {
      int n = Math.min(kc, cog - k0);
      for (int ti = 0; ti < nTaps; ti++) {
        int rowBase = dstBase + (p.clipY() + vs[ti]) * p.dstW() * dc + gr * cog + k0;
        for (int kx = 0; kx < kW; kx++) {
          int wb = (((wGroup * p.kH() + kys[ti]) * kW + kx) * cog + k0) * cb;
          for (int b = 0; b < nb; b += 2) {
            int u = blockU[b / 2 * kW + kx];
            if (u < 0) {
              continue;
            }
            int np = blocks[b + 1];
            int at = blocks[b] * cb;
            Micro.rows(cb, g, rowBase + u * dc, np > 1 ? step : 0, np > 2 ? 2 * step : 0, np > 3 ? 3 * step : 0, wq,
                wb, n, out, at, np > 1 ? at + cb : junk, np > 2 ? at + 2 * cb : junk, np > 3 ? at + 3 * cb : junk);
          }
        }
      }
    }
  }

  private static void depthwise(ConvProblem p, float[] g, float[] wd, int dstBase, int[] kys, int[] vs, int nTaps,
      long mask, int ix, int np, float[] out, int stride, float[] acc, int[] aOff, int[] bOff) {
    final int dc = p.dstC();
    final int step = p.strideX() * dc;
    final int d1 = np > 1 ? step : 0;
    final int d2 = np > 2 ? 2 * step : 0;
    final int d3 = np > 3 ? 3 * step : 0;
    final int coutPad = SimdForward.coutPadOf(p);
    int n = 0;
    for (int ti = 0; ti < nTaps; ti++) {
      int rowBase = dstBase + (p.clipY() + vs[ti]) * p.dstW() * dc;
      for (long bits = mask; bits != 0; bits &= bits - 1) {
        int kx = Long.numberOfTrailingZeros(bits);
        aOff[n] = rowBase + u(p, ix, kx) * dc;
        bOff[n++] = (kys[ti] * p.kW() + kx) * coutPad;
      }
    }
    for (int c0 = 0; c0 < p.cinRead(); c0 += L) {
      java.util.Arrays.fill(acc, 0, 4 * L, 0f);
      Micro.lanes4(g, aOff, c0, d1, d2, d3, wd, bOff, c0, n, Math.min(L, p.cout() - c0), acc);
      for (int q = 0; q < np; q++) {
        System.arraycopy(acc, q * L, out, (ix + q) * stride + c0, L);
      }
    }
  }
}

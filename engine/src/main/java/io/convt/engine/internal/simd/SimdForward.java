package io.convt.engine.internal.simd;

import io.convt.engine.Neuron;
import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised forward pass (FLOAT accumulation). Stride decomposition: destination columns {@code u, u+sX, u+2sX,
 * u+3sX} hit the same kernel columns with source columns one apart, so four such pixels form a register block
 * and no tap ever multiplies an inserted zero. Three micro-kernels, chosen by {@link SimdPlan}: Cout lanes × 4
 * pixels (dense), input-channel lanes with a horizontal sum (small Cout such as 64→3), channel lanes (depthwise).
 */
final class SimdForward {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();
  /** Pixels per register block. */
  static final int PB = 4;

  private SimdForward() {}

  static void run(SimdPlan plan, ConvProblem p, float[] src, float[] w, float[] bias, Neuron neuron, float[] dst,
      int threads) {
    final float[] packed = plan.forwardWeights(w);
    final int[] blocks = plan.forwardBlocks();
    final long[] colMask = plan.forwardColumnMasks();
    final int rs = p.cout() + 2 * L;
    int rows = p.images() * p.clipH();
    Parallel.forRange(rows, threads, (from, to) -> {
      int[] iys = new int[p.kH()];
      int[] kys = new int[p.kH()];
      float[] rowOut = new float[p.clipW() * rs + 2 * L];
      float[] acc = new float[12 * L];
      int[] aOff = new int[p.kH() * p.kW()];
      int[] bOff = new int[p.kH() * p.kW()];
      for (int r = from; r < to; r++) {
        int t = r / p.clipH();
        int v = r % p.clipH();
        int nTaps = 0;
        for (int ky = 0; ky < p.kH(); ky++) {
          int zy = p.tY() + v - p.cy() + p.dilY() * ky;
          if (zy >= 0 && zy < p.zH() && zy % p.strideY() == 0) {
            kys[nTaps] = ky;
            iys[nTaps++] = zy / p.strideY();
          }
        }
        int srcBase = (p.srcImage0() + t) * p.srcImageSize();
        switch (plan.forwardKind()) {
          case DEPTHWISE:
            for (int b = 0; b < blocks.length; b += 3) {
              depthwise(p, src, packed, srcBase, kys, iys, nTaps, colMask[blocks[b]], blocks[b], blocks[b + 1], rowOut,
                  rs, acc, aOff, bOff);
            }
            break;
          case DOT:
            for (int b = 0; b < blocks.length; b += 3) {
              dot(p, src, w, srcBase, kys, iys, nTaps, colMask[blocks[b]], blocks[b], blocks[b + 1], rowOut, rs, acc);
            }
            break;
          default:
            // channel blocks outermost: one weight slice stays in cache while the whole row streams past it
            for (int gr = 0; gr < p.groups(); gr++) {
              for (int oc0 = 0; oc0 < p.cog(); oc0 += 2 * L) {
                for (int b = 0; b < blocks.length; b += 3) {
                  dense(plan, p, src, packed, srcBase, kys, iys, nTaps, colMask[blocks[b]], blocks[b], blocks[b + 1],
                      rowOut, rs, acc, gr, oc0);
                }
              }
            }
        }
        int dstRow = (p.dstImage0() + t) * p.dstImageSize() + ((p.clipY() + v) * p.dstW() + p.clipX()) * p.dstC()
            + p.dfo();
        boolean identity = neuron.isIdentity();
        for (int u = 0; u < p.clipW(); u++) {
          int o0 = dstRow + u * p.dstC();
          int ob = u * rs;
          if (identity) {
            // no per-element call: Neuron.apply is too big for C2 to inline
            if (bias == null) {
              System.arraycopy(rowOut, ob, dst, o0, p.cout());
            } else {
              for (int o = 0; o < p.cout(); o++) {
                dst[o0 + o] = rowOut[ob + o] + bias[o];
              }
            }
            continue;
          }
          for (int o = 0; o < p.cout(); o++) {
            float y = rowOut[ob + o];
            if (bias != null) {
              y += bias[o];
            }
            dst[o0 + o] = neuron.apply(y, o);
          }
        }
      }
    });
  }

  /** Source column of kernel column kx for destination column u (valid when kx is in the column's mask). */
  private static int ix(ConvProblem p, int u, int kx) {
    return (p.tX() + u - p.cx() + p.dilX() * kx) / p.strideX();
  }

  /** Cout lanes (two vectors) × 4 pixels; packed weights [g][Cout block of 2L][ky][kx][il][2L]. */
  private static void dense(SimdPlan plan, ConvProblem p, float[] src, float[] wp, int srcBase, int[] kys, int[] iys,
      int nTaps, long mask, int u, int np, float[] out, int rs, float[] acc, int gr, int oc0) {
    final int cig = p.cig();
    final int cog = p.cog();
    final int cogPad = plan.cogPad();
    final int sc = p.srcC();
    final int d1 = np > 1 ? sc : 0;
    final int d2 = np > 2 ? 2 * sc : 0;
    final int d3 = np > 3 ? 3 * sc : 0;
    final int ps = p.strideX() * rs;
    {
      final int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      {
        java.util.Arrays.fill(acc, 0, 8 * L, 0f);
        for (int ti = 0; ti < nTaps && ilEnd > 0; ti++) {
          int ky = kys[ti];
          int rowBase = srcBase + iys[ti] * p.srcW() * sc + p.sfo() + gr * cig;
          for (long bits = mask; bits != 0; bits &= bits - 1) {
            int kx = Long.numberOfTrailingZeros(bits);
            int wb = (((gr * (cogPad / (2 * L)) + oc0 / (2 * L)) * p.kH() + ky) * p.kW() + kx) * cig * 2 * L;
            Micro.bcast4x2(src, rowBase + ix(p, u, kx) * sc, d1, d2, d3, 1, wp, wb, 2 * L, ilEnd, acc, 0);
          }
        }
        int o = gr * cog + oc0;
        for (int q = 0; q < np; q++) {
          System.arraycopy(acc, q * 2 * L, out, u * rs + q * ps + o, 2 * L);
        }
      }
    }
  }

  /** Small Cout: input-channel lanes, one horizontal sum per (pixel, o); weights read in place (OHWI). */
  private static void dot(ConvProblem p, float[] src, float[] w, int srcBase, int[] kys, int[] iys, int nTaps,
      long mask, int u, int np, float[] out, int rs, float[] acc) {
    final int cig = p.cig();
    final int cog = p.cog();
    final int sc = p.srcC();
    final int d1 = np > 1 ? sc : 0;
    final int d2 = np > 2 ? 2 * sc : 0;
    final int d3 = np > 3 ? 3 * sc : 0;
    // three output channels of one group per pass; a short last block repeats its first channel (discarded)
    for (int gr = 0; gr < p.groups(); gr++) {
      final int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      for (int oc = 0; oc < cog; oc += 3) {
        int o = gr * cog + oc;
        int no = Math.min(3, cog - oc);
        int kk = p.kH() * p.kW() * cig;
        int f1 = no > 1 ? kk : 0;
        int f2 = no > 2 ? 2 * kk : 0;
        java.util.Arrays.fill(acc, 0, 12 * L, 0f);
        for (int ti = 0; ti < nTaps && ilEnd > 0; ti++) {
          int ky = kys[ti];
          int rowBase = srcBase + iys[ti] * p.srcW() * sc + p.sfo() + gr * cig;
          for (long bits = mask; bits != 0; bits &= bits - 1) {
            int kx = Long.numberOfTrailingZeros(bits);
            int wb = ((o * p.kH() + ky) * p.kW() + kx) * cig;
            Micro.dot4x3(w, wb, f1, f2, src, rowBase + ix(p, u, kx) * sc, d1, d2, d3, ilEnd, acc);
          }
        }
        for (int q = 0; q < np; q++) {
          for (int r = 0; r < no; r++) {
            out[u * rs + q * p.strideX() * rs + o + r] = Micro.sum(acc, 3 * q + r);
          }
        }
      }
    }
  }

  /** Depthwise (one input and one output channel per group): channel lanes; packed weights [ky][kx][coutPad]. */
  private static void depthwise(ConvProblem p, float[] src, float[] wd, int srcBase, int[] kys, int[] iys,
      int nTaps, long mask, int u, int np, float[] out, int rs, float[] acc, int[] aOff, int[] bOff) {
    final int sc = p.srcC();
    final int d1 = np > 1 ? sc : 0;
    final int d2 = np > 2 ? 2 * sc : 0;
    final int d3 = np > 3 ? 3 * sc : 0;
    final int readable = Math.min(p.cout(), p.cinRead());
    final int coutPad = coutPadOf(p);
    int n = 0;
    for (int ti = 0; ti < nTaps; ti++) {
      int rowBase = srcBase + iys[ti] * p.srcW() * sc + p.sfo();
      for (long bits = mask; bits != 0; bits &= bits - 1) {
        int kx = Long.numberOfTrailingZeros(bits);
        aOff[n] = rowBase + ix(p, u, kx) * sc;
        bOff[n++] = (kys[ti] * p.kW() + kx) * coutPad;
      }
    }
    for (int c0 = 0; c0 < p.cout(); c0 += L) {
      java.util.Arrays.fill(acc, 0, 4 * L, 0f);
      if (c0 < readable) {
        boolean full = c0 + L <= readable;
        // JDK 17 builds masks slowly: only the channel tail needs one
        Micro.lanes4(src, aOff, c0, d1, d2, d3, wd, bOff, c0, n, full, full ? null : S.indexInRange(c0, readable),
            acc);
      }
      for (int q = 0; q < np; q++) {
        System.arraycopy(acc, q * L, out, u * rs + q * p.strideX() * rs + c0, L);
      }
    }
  }

  /** Padded channel count of depthwise packed weights. */
  static int coutPadOf(ConvProblem p) {
    return (p.cout() + L - 1) / L * L;
  }
}

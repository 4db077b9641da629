package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * The sums of a group of DENSE forward rows for one output-channel block ({@link SimdForward}'s row tasks), in one
 * of two fixed orders chosen per problem:
 * <ul>
 *   <li>taps outermost (channel chunk, kernel row, kernel column, row, register block): each tap's weight panel of
 *       a chunk ({@link SimdForward#forwardKc} channels, 2/3 of the L1D) serves every register block of every row
 *       from L1;
 *   <li>kernel rows inside the micro-kernel (channel chunk, kernel column, row, register block, then every kernel
 *       row reaching the row in one call): when the reductions per tap are short (groups4: 32 input channels per
 *       group; s1_k3: 64), with chunks cut so that a kernel column's panels of all kernel rows share that L1 part
 *       ({@link #kernelRowsKc}). The accumulators then stay in registers across the kernel rows instead of a load
 *       and store per tap, which weigh most on short reductions.
 * </ul>
 * Either way every output is summed in one fixed order whatever the thread count or task split.
 */
final class DenseForwardRows {
  private static final int PB = SimdForward.PB;
  private static final int L = SimdForward.L;

  private DenseForwardRows() {}

  /**
   * A group of output rows, one Cout block of cb channels: {@code acc[r·rowFloats + u·cb ..]} = the sums for row r,
   * clip column u. {@code tapRows[r·kH + ky]} is the first index of the source row kernel row ky reads for row r
   * (channel offset and group included), or -1.
   */
  static void sum(SimdPlan plan, DenseColumns cols, ConvProblem p, float[] src, float[] wp, int[] tapRows, int nRows,
      float[] acc, int rowFloats, int gr, int oc0) {
    final int cig = p.cig();
    final int kW = p.kW();
    final int kH = p.kH();
    final int cb = plan.cb();
    final int kc = SimdForward.forwardKc(cb);
    final int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
    final int wGroup = gr * (plan.cogPad() / cb) + oc0 / cb;
    java.util.Arrays.fill(acc, 0, nRows * rowFloats, 0f);
    final int kcRows = kernelRowsKc(p, cb);
    if (kcRows > 0) {
      for (int k0 = 0; k0 < ilEnd; k0 += kcRows) {
        int n = Math.min(kcRows, ilEnd - k0);
        for (int kx = 0; kx < kW; kx++) {
          for (int r = 0; r < nRows; r++) {
            kernelRows(cols, p, src, wp, tapRows, r, kx, wGroup, k0, n, acc, r * rowFloats, cb);
          }
        }
      }
      return;
    }
    for (int k0 = 0; k0 < ilEnd; k0 += kc) {
      int n = Math.min(kc, ilEnd - k0);
      for (int ky = 0; ky < kH; ky++) {
        for (int kx = 0; kx < kW; kx++) {
          int wb = weights(p, wGroup, ky, kx, cb) + k0 * cb;
          for (int r = 0; r < nRows; r++) {
            int rowBase = tapRows[r * kH + ky];
            if (rowBase >= 0) {
              blocks(cols, p, src, rowBase + k0, wp, wb, 1, 0, 0, n, kx, acc, r * rowFloats, cb);
            }
          }
        }
      }
    }
  }

  /**
   * {@link #sum} for layers whose every output is one call's sum ({@link SimdForward#direct}: one kernel tap per
   * output pixel, one channel chunk, four-vector blocks, no neuron), written finished into the destination
   * ({@link MicroStores}): unet_up (k2 s2: each output pixel takes exactly one tap, 128 input channels) spent ~8 %
   * of its forward zeroing the row buffers and copying them out with the bias. {@code dstRows[r]}: the destination
   * index of row r's clip column 0; {@code bias}: never null (-0.0 where the layer has none, which adds nothing).
   */
  static void sumDirect(DenseColumns cols, ConvProblem p, float[] src, float[] wp, int[] tapRows, int nRows,
      int gr, int oc0, int cb, float[] dst, int[] dstRows, int o, float[] bias) {
    final int kH = p.kH();
    final int kW = p.kW();
    final int n = Math.max(0, Math.min(p.cig(), p.cinRead() - gr * p.cig()));
    final int wGroup = gr * (p.cog() / cb) + oc0 / cb;
    for (int ky = 0; ky < kH; ky++) {
      for (int kx = 0; kx < kW; kx++) {
        int wb = weights(p, wGroup, ky, kx, cb);
        for (int r = 0; r < nRows; r++) {
          int rowBase = tapRows[r * kH + ky];
          if (rowBase >= 0) {
            storeBlocks(cols, p, src, rowBase, wp, wb, n, kx, dst, dstRows[r] + o, bias, o);
          }
        }
      }
    }
  }

  /** Every register block of kernel column kx for one row, stored finished from destination index {@code d0}. */
  private static void storeBlocks(DenseColumns cols, ConvProblem p, float[] src, int x0, float[] wp, int wb, int n,
      int kx, float[] dst, int d0, float[] bias, int o) {
    final int kW = p.kW();
    final int sc = p.srcC();
    final int dc = p.dstC();
    final int as = p.strideX() * dc;
    for (int bi = 0; bi < cols.pairs.length; bi++) {
      int t = bi * kW + kx;
      int np = cols.runPixels[t];
      if (np == 0) {
        continue;
      }
      int at = d0 + cols.runColumn[t] * dc;
      int x = x0 + cols.runSource[t] * sc;
      if (np > PB) {
        MicroStores.store6x4(src, x, sc, np, wp, wb, n, bias, o, dst, at, as);
      } else {
        MicroStores.store4x4(src, x, np > 1 ? sc : 0, np > 2 ? 2 * sc : 0, np > 3 ? 3 * sc : 0, wp, wb, n, bias, o,
            dst, at, np > 1 ? at + as : at, np > 2 ? at + 2 * as : at, np > 3 ? at + 3 * as : at);
      }
    }
  }

  /**
   * Input channels per chunk when {@code p} runs its kernel rows inside the micro-kernel, else 0: the panels of
   * every kernel row reaching an output row share {@link L1Data#panelFloats}, and the reduction per call (kernel
   * rows × chunk) must come out at least 3/2 of the per-tap order's (its chunk, or all of a short Cin/group).
   * dcgan_l2 (512 channels, two kernel rows) gains nothing (128 terms either way); groups4 (32, two) and s1_k3 (64,
   * three kernel rows, 42-channel chunks) sum 64 and 126 terms per call instead of 32 and 64.
   */
  static int kernelRowsKc(ConvProblem p, int cb) {
    int step = p.strideY() / gcd(p.strideY(), p.dilY());
    int rowTaps = (p.kH() + step - 1) / step;
    int kc = Math.min(p.cig(), L1Data.panelFloats() / (rowTaps * cb));
    int perTap = Math.min(p.cig(), SimdForward.forwardKc(cb));
    return rowTaps > 1 && 2 * rowTaps * kc >= 3 * perTap ? kc : 0;
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /**
   * Kernel column kx of row r, every kernel row in one call per register block. The kernel rows reaching a row are
   * evenly spaced and their source rows too (both linear in ky), so one call walks them with two strides; the
   * order of terms per output is kernel column, kernel row, channel.
   */
  private static void kernelRows(DenseColumns cols, ConvProblem p, float[] src, float[] wp, int[] tapRows, int r,
      int kx, int wGroup, int k0, int n, float[] acc, int a0, int cb) {
    final int kH = p.kH();
    final int base = r * kH;
    int ky0 = 0;
    while (ky0 < kH && tapRows[base + ky0] < 0) {
      ky0++;
    }
    if (ky0 == kH) {
      return;
    }
    int ky1 = ky0 + 1;
    while (ky1 < kH && tapRows[base + ky1] < 0) {
      ky1++;
    }
    int nk = 1;
    int dk = ky1 - ky0;
    int aK = ky1 < kH ? tapRows[base + ky1] - tapRows[base + ky0] : 0;
    boolean even = true;
    for (int ky = ky1; ky < kH; ky++) {
      if (tapRows[base + ky] >= 0) {
        even &= ky == ky0 + nk * dk && tapRows[base + ky] == tapRows[base + ky0] + nk * aK;
        nk++;
      }
    }
    int tapW = p.kW() * p.cig() * cb;
    if (even) {
      blocks(cols, p, src, tapRows[base + ky0] + k0, wp, weights(p, wGroup, ky0, kx, cb) + k0 * cb, nk, aK,
          dk * tapW, n, kx, acc, a0, cb);
      return;
    }
    // not reached by rowTaps' geometry; kept so the order of terms stays the same if it ever is
    for (int ky = ky0; ky < kH; ky++) {
      if (tapRows[base + ky] >= 0) {
        blocks(cols, p, src, tapRows[base + ky] + k0, wp, weights(p, wGroup, ky, kx, cb) + k0 * cb, 1, 0, 0, n, kx,
            acc, a0, cb);
      }
    }
  }

  /** First packed weight of tap (ky, kx) of block {@code wGroup}, channel 0. */
  private static int weights(ConvProblem p, int wGroup, int ky, int kx, int cb) {
    return Micro.ALIGN_PAD + (((wGroup * p.kH() + ky) * p.kW() + kx) * p.cig()) * cb;
  }

  /**
   * Every register block of kernel column kx for one row: source row at {@code x0} (chunk start included), weights
   * at {@code wb}, {@code nk} kernel rows {@code aK}/{@code bK} apart, accumulators of the row from {@code a0}. The
   * runs of an eight-pixel pair are one run of the stride phase (adjacent when both are reached), so a pair broken
   * by an image edge is one call with a junk tail.
   */
  private static void blocks(DenseColumns cols, ConvProblem p, float[] src, int x0, float[] wp, int wb, int nk,
      int aK, int bK, int n, int kx, float[] acc, int a0, int cb) {
    final int kW = p.kW();
    final int sc = p.srcC();
    final int ps = p.strideX() * cb;
    final int junk = a0 + p.clipW() * cb;
    final int nb = cols.pairs.length;
    for (int bi = 0; bi < nb; bi++) {
      int t = bi * kW + kx;
      int np = cols.runPixels[t];
      if (cols.pairs[bi]) {
        int np2 = cols.runPixels[t + kW];
        t = np == 0 ? t + kW : t;
        np += np2;
        bi++;
      }
      if (np == 0) {
        continue;
      }
      int at = a0 + cols.runColumn[t] * cb;
      int x = x0 + cols.runSource[t] * sc;
      if (np == 2 * PB) {
        MicroRows8.rows8x2(src, x, sc, nk, aK, wp, wb, bK, n, acc, at, ps);
      } else if (np > PB && cb == 2 * L) {
        MicroRuns.rows8x2Run(src, x, sc, np, nk, aK, wp, wb, bK, n, acc, at, ps, junk);
      } else if (np > PB) {
        MicroRows6.rows6x4(src, x, sc, np, nk, aK, wp, wb, bK, n, acc, at, ps, junk);
      } else if (nk > 1 && cb == 2 * L) {
        MicroRuns.rows4x2Run(src, x, sc, np, nk, aK, wp, wb, bK, n, acc, at, ps, junk);
      } else if (nk > 1) {
        MicroRuns.rows4x4Run(src, x, sc, np, nk, aK, wp, wb, bK, n, acc, at, ps, junk);
      } else {
        MicroRows.rows(cb, np, src, x, np > 1 ? sc : 0, np > 2 ? 2 * sc : 0, np > 3 ? 3 * sc : 0, wp, wb, n, acc,
            at, np > 1 ? at + ps : junk, np > 2 ? at + 2 * ps : junk, np > 3 ? at + 3 * ps : junk);
      }
    }
  }
}

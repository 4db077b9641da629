package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * A dense weight-gradient task that gathers its own gradient channels (layers whose gradient is not packed once per
 * image, {@link PackedGradient#applies}): per kernel column it packs the gradient of the pixels the tap connects into
 * a panel of the task's channels and reduces it against the source, either the image's packed source read in place
 * (whole source rows) or a panel of gathered source pixels; tasks with fewer than 16 output channels run row by row on
 * the NHWC data. {@link PhaseRunWeights} is the task for packed gradients.
 */
final class GatheredWeights {
  private static final int L = SimdForward.L;
  private static final int OB = 4;

  private GatheredWeights() {}

  /**
   * One task: group gr, kernel row ky, output-channel blocks ob0..ob0+obs (4 channels each), source rows
   * iyFrom..iyTo of one image. For each kernel column the pixels it connects in those rows are listed, then cut into chunks of
   * {@link SimdBackwardWeights#chunkPixels}; a chunk's gradient (the task's channels: [group of QW][pixel][QW]) and each slab of its
   * source ([slab][pixel][w]) are packed into contiguous panels, and every (input slab, output block) pair reduces
   * over the chunk in one micro-kernel call
   * (sums in {@code acc}, see {@link WeightAccumulators}); tasks with fewer than 16 output channels skip the packing
   * and run row by row on the NHWC data (64→3 layers: each packed source float would serve only a few FMAs). With
   * {@code fresh} (the call's first image of this task) every sum of the task is written from zero: the first chunk of a
   * kernel column stores its sums ({@link MicroFirstPanels}), a column no pixel reaches is zeroed.
   * Packing matters: NHWC rows with power-of-two channel counts
   * put every pixel of a strided walk in the same few L1 sets (conflict misses on every load), and zero-padded panels
   * need no masks.
   */
  static void reduce(ConvProblem p, float[] x, PackedSource xs, float[] g, int gr, int ky, int ob0, int obs,
      WeightAccumulators acc, int image, int iyFrom, int iyTo, Scratch sc, boolean fresh) {
    final int w = SimdBackwardWeights.slab(p);
    final int cig = p.cig();
    final int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
    final int nIB = (ilEnd + w - 1) / w;
    if (nIB == 0) {
      return;
    }
    final int xImg = (p.srcImage0() + image) * p.srcImageSize() + p.sfo() + gr * cig;
    final int gImg = (p.dstImage0() + image) * p.dstImageSize() + p.dfo() + gr * p.cog();
    final int oFrom = ob0 * OB;
    final int oTo = Math.min(p.cog(), (ob0 + obs) * OB);
    final int[] offs = sc.offsets;
    final int gAt = sc.pixels;
    final float[] gP = sc.gPanel;
    final float[] xP = sc.xPanel;
    if (w == 2 * L && ilEnd % (2 * L) == 0 && oTo - oFrom < 16) {
      // row by row on the NHWC data, every kernel column and block while the source row sits in L1
      for (int kx = 0; kx < p.kW() && fresh; kx++) {
        acc.zeroColumn(kx, nIB, obs, w);
      }
      for (int iy = iyFrom; iy < iyTo; iy++) {
        int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
        if (v < 0 || v >= p.clipH()) {
          continue;
        }
        for (int kx = 0; kx < p.kW(); kx++) {
          int ixFrom = SimdBackwardWeights.ixFrom(p, kx);
          int ixTo = SimdBackwardWeights.ixTo(p, kx);
          if (ixFrom >= ixTo) {
            continue;
          }
          int u = ixFrom * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
          int gi = gImg + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC();
          int xi = xImg + (iy * p.srcW() + ixFrom) * p.srcC();
          for (int j = 0; j < obs; j++) {
            int oc0 = (ob0 + j) * OB;
            int no = Math.min(OB, p.cog() - oc0);
            for (int ib = 0; ib < nIB; ib++) {
              MicroRows.bcast4x2(g, gi + oc0, no > 1 ? 1 : 0, no > 2 ? 2 : 0, no > 3 ? 3 : 0, p.strideX() * p.dstC(), x,
                  xi + ib * 2 * L, p.srcC(), ixTo - ixFrom, acc.a(), j * acc.per() + acc.at(kx, ib));
            }
          }
        }
      }
      return;
    }
    final int pch = SimdBackwardWeights.chunkPixels(p);
    final int qw = MicroPanels.QW;
    for (int kx = 0; kx < p.kW(); kx++) {
      int ixFrom = SimdBackwardWeights.ixFrom(p, kx);
      int ixTo = SimdBackwardWeights.ixTo(p, kx);
      if (xs.finite() && ixFrom < ixTo && (ixTo - ixFrom) * 8 >= p.srcW() * 7) {
        // the tap reaches (nearly) every column: its pixels are whole source rows, one run of the packed source;
        // columns it does not reach get a zero gradient (at most 1/8 of the FMAs wasted)
        if (runs(p, xs, g, gr, ky, kx, ixFrom, ixTo, iyFrom, iyTo, nIB, gImg, oFrom, oTo, obs, acc, gP, fresh)) {
          acc.zeroColumn(kx, nIB, obs, w);
        }
        continue;
      }
      int n = 0;
      for (int iy = iyFrom; iy < iyTo && ixFrom < ixTo; iy++) {
        int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
        if (v < 0 || v >= p.clipH()) {
          continue;
        }
        int u = ixFrom * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
        int gi = gImg + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC();
        int xi = xImg + (iy * p.srcW() + ixFrom) * p.srcC();
        for (int ix = ixFrom; ix < ixTo; ix++, gi += p.strideX() * p.dstC(), xi += p.srcC()) {
          offs[n] = xi;
          offs[gAt + n++] = gi;
        }
      }
      for (int i0 = 0; i0 < n; i0 += pch) {
        int m = Math.min(pch, n - i0);
        for (int i = 0; i < m; i++) {
          Micro.copy(g, offs[gAt + i0 + i] + oFrom, gP, i * qw, oTo - oFrom, pch * qw, qw);
          Micro.copy(x, offs[i0 + i], xP, i * w, ilEnd, pch * w, w);
        }
        for (int ib = 0; ib < nIB; ib++) {
          MicroPanels.blocks(gP, pch, xP, ib * pch * w, m, w, acc.a(), acc.at(kx, ib), obs, acc.per(), acc.cs(),
              fresh && i0 == 0);
        }
      }
      if (fresh && n == 0) {
        acc.zeroColumn(kx, nIB, obs, w);
      }
    }
  }

  /**
   * One task's tap (ky, kx) over whole source rows: the rows it reaches are one contiguous run of the packed source,
   * cut into chunks of {@link SimdBackwardWeights#chunkPixels}; only the gradient is packed (zero where the tap does not reach a column).
   * With {@code fresh} the first chunk's sums overwrite the accumulators; returns whether they are still to be zeroed
   * (fresh, and no row reached).
   */
  private static boolean runs(ConvProblem p, PackedSource xs, float[] g, int gr, int ky, int kx, int ixFrom, int ixTo,
      int iyFrom, int iyTo, int nIB, int gImg, int oFrom, int oTo, int obs, WeightAccumulators acc, float[] gP,
      boolean fresh) {
    final int w = SimdBackwardWeights.slab(p);
    final int pch = SimdBackwardWeights.chunkPixels(p);
    final int qw = MicroPanels.QW;
    final int groupsQ = (oTo - oFrom + qw - 1) / qw;
    int iy0 = iyTo;
    int iy1 = iyFrom;
    for (int iy = iyFrom; iy < iyTo; iy++) {
      int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
      if (v >= 0 && v < p.clipH()) {
        iy0 = Math.min(iy0, iy);
        iy1 = iy + 1;
      }
    }
    final int u0 = -p.tX() + p.cx() - p.dilX() * kx; // u = ix·sX + u0
    for (int p0 = iy0 * p.srcW(); p0 < iy1 * p.srcW(); p0 += pch) {
      int m = Math.min(pch, iy1 * p.srcW() - p0);
      for (int i = 0, iy = p0 / p.srcW(), ix = p0 % p.srcW(); i < m; i++) {
        if (ix >= ixFrom && ix < ixTo) {
          int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
          int gi = gImg + ((p.clipY() + v) * p.dstW() + p.clipX() + ix * p.strideX() + u0) * p.dstC();
          Micro.copy(g, gi + oFrom, gP, i * qw, oTo - oFrom, pch * qw, qw);
        } else {
          for (int q = 0; q < groupsQ; q++) {
            java.util.Arrays.fill(gP, q * pch * qw + i * qw, q * pch * qw + (i + 1) * qw, 0f);
          }
        }
        if (++ix == p.srcW()) {
          ix = 0;
          iy++;
        }
      }
      for (int ib = 0; ib < nIB; ib++) {
        MicroPanels.blocks(gP, pch, xs.data, xs.base(gr, ib) + p0 * w, m, w, acc.a(), acc.at(kx, ib), obs, acc.per(),
            acc.cs(), fresh && p0 == iy0 * p.srcW());
      }
    }
    return fresh && iy0 >= iy1;
  }

  /**
   * A worker's scratch for one task: pixel lists and the two packed panels, taken from the thread's
   * {@link ThreadScratch} and given back by {@link #release} (the same arrays serve the worker's next task and call).
   */
  static final class Scratch {
    /** Source pixel offsets in {@code [0, pixels)}, gradient pixel offsets in {@code [pixels, 2·pixels)}. */
    private final int[] offsets;
    private final int pixels;
    /**
     * Gradient panel, [channel group][pixel][QW] (tails zero-filled). A task reads only the groups, pixels and
     * channels it wrote; the rest holds values of earlier tasks or calls and is never read.
     */
    final float[] gPanel;
    final float[] xPanel;

    Scratch(ConvProblem p, int obs) {
      int w = SimdBackwardWeights.slab(p);
      int pch = SimdBackwardWeights.chunkPixels(p);
      pixels = p.srcH() * p.srcW();
      offsets = ThreadScratch.ints(ThreadScratch.Slot.PIXEL_OFFSETS, 2 * pixels);
      gPanel = ThreadScratch.floats(ThreadScratch.Slot.GRADIENT_PANEL,
          pch * ((obs * OB + MicroPanels.QW - 1) / MicroPanels.QW) * MicroPanels.QW);
      xPanel = ThreadScratch.floats(ThreadScratch.Slot.SOURCE_PANEL, (p.cig() + w - 1) / w * pch * w);
    }

    /** Gives the arrays back to the thread for its next task. */
    void release() {
      ThreadScratch.keep(ThreadScratch.Slot.PIXEL_OFFSETS, offsets);
      ThreadScratch.keep(ThreadScratch.Slot.GRADIENT_PANEL, gPanel);
      ThreadScratch.keep(ThreadScratch.Slot.SOURCE_PANEL, xPanel);
    }
  }
}

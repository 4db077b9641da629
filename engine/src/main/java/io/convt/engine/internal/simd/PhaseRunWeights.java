package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * A dense weight-gradient task over panels packed once per image: the source ({@link PackedSource}) and the gradient
 * split by stride phase ({@link PackedGradient}), so a task copies nothing. For each kernel column kx the source rows
 * of the task's stripe that tap (ky, kx) reaches are contiguous runs in both panels (whole rows merge into one run
 * where both panels continue into the next row), cut into pieces of {@link SimdBackwardWeights#chunkPixels} that stay
 * in L1 while every (input slab, output block) pair reduces over them. A run holds exactly the pixels the tap
 * connects: no zero products, so non-finite values reach only their taps. Each sum runs over the images, the
 * stripe's rows and the columns in order, whatever the thread count.
 */
final class PhaseRunWeights {
  private PhaseRunWeights() {}

  /**
   * Reduces source rows {@code iyFrom..iyTo} of one packed image into the accumulators of group gr, kernel row ky,
   * output blocks ob0..ob0+obs ({@link WeightAccumulators}), adding to their sums.
   */
  static void reduce(ConvProblem p, PackedSource xs, PackedGradient gs, int gr, int ky, int ob0, int obs,
      WeightAccumulators acc, int iyFrom, int iyTo) {
    reduce(p, xs, gs, gr, ky, ob0, obs, acc, iyFrom, iyTo, false);
  }

  /**
   * As {@link #reduce(ConvProblem, PackedSource, PackedGradient, int, int, int, int, WeightAccumulators, int, int)};
   * with {@code fresh} (the call's first image of this task) every sum is written from zero instead: a kernel column's
   * first chunk stores its sums ({@link MicroFirstPanels}), a column no pixel reaches is zeroed.
   */
  static void reduce(ConvProblem p, PackedSource xs, PackedGradient gs, int gr, int ky, int ob0, int obs,
      WeightAccumulators acc, int iyFrom, int iyTo, boolean fresh) {
    final int w = SimdBackwardWeights.slab(p);
    final int ilEnd = Math.max(0, Math.min(p.cig(), p.cinRead() - gr * p.cig()));
    final int nIB = (ilEnd + w - 1) / w;
    final int qw = MicroPanels.QW;
    final int srcW = p.srcW();
    final int v0 = -p.tY() + p.cy() - p.dilY() * ky; // v = iy·sY + v0
    for (int kx = 0; kx < p.kW() && nIB > 0; kx++) {
      final int ixFrom = SimdBackwardWeights.ixFrom(p, kx);
      final int ixTo = SimdBackwardWeights.ixTo(p, kx);
      if (ixFrom >= ixTo) {
        if (fresh) {
          acc.zeroColumn(kx, nIB, obs, w);
        }
        continue;
      }
      final int u0 = -p.tX() + p.cx() - p.dilX() * kx; // u = ix·sX + u0
      final boolean whole = ixFrom == 0 && ixTo == srcW;
      int runPix = -1;
      int runG = 0;
      int runLen = 0;
      boolean first = fresh;
      for (int iy = iyFrom; iy < iyTo; iy++) {
        int v = iy * p.strideY() + v0;
        if (v < 0 || v >= p.clipH()) {
          continue;
        }
        int pix = iy * srcW + ixFrom;
        int gi = gs.at(gr, v, ixFrom * p.strideX() + u0);
        if (runLen > 0 && whole && pix == runPix + runLen && gi == runG + runLen * qw) {
          runLen += ixTo - ixFrom;
          continue;
        }
        if (runLen > 0) {
          run(p, xs, gs, gr, kx, nIB, w, ob0, obs, acc, runPix, runG, runLen, first);
          first = false;
        }
        runPix = pix;
        runG = gi;
        runLen = ixTo - ixFrom;
      }
      if (runLen > 0) {
        run(p, xs, gs, gr, kx, nIB, w, ob0, obs, acc, runPix, runG, runLen, first);
      } else if (first) {
        acc.zeroColumn(kx, nIB, obs, w);
      }
    }
  }

  private static void run(ConvProblem p, PackedSource xs, PackedGradient gs, int gr, int kx, int nIB, int w, int ob0,
      int obs, WeightAccumulators acc, int pix, int gi, int n, boolean fresh) {
    final int pch = SimdBackwardWeights.chunkPixels(p);
    for (int i0 = 0; i0 < n; i0 += pch) {
      int m = Math.min(pch, n - i0);
      for (int ib = 0; ib < nIB; ib++) {
        MicroPanels.blocksAt(gs.data, gi + i0 * MicroPanels.QW, gs.chunkStride(), ob0, xs.data,
            xs.base(gr, ib) + (pix + i0) * w, m, w, acc.a(), acc.at(kx, ib), obs, acc.per(), acc.cs(),
            fresh && i0 == 0);
      }
    }
  }
}

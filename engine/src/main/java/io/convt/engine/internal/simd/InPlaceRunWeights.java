package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * {@link PhaseRunWeights}' reduction for {@link GroupPhaseWeights} reading the NHWC output gradient in place (the
 * source still packed per group, {@link PackedSource#packGroup}), where a group's output channels fill whole
 * {@link MicroPanels#QW} chunks and its input channels whole two-vector slabs, all read (groups4: 32 and 32). A tap
 * (ky, kx) meets source pixel (iy, ix) at gradient pixel (iy·sY + v0, ix·sX + u0): fixed steps in the gradient, so the
 * kernel ({@link MicroStridedPanels}) walks several source rows per call with the accumulators in registers.
 *
 * <p>Why: the group-owning path packed each group's gradient of every image, reading each NHWC line once per group
 * for a quarter of it (groups4: 2 of the gradient's 8 lines per pixel) and writing phase panels that the kernels then
 * read back (about 15 % of the time at N = 1). Reading the source in place as well was slower (its 2 vectors per
 * pixel at the NHWC pixel step, bounds-checked, cost more than its pack). Sums run over the rows and then the columns
 * of the stripe in order, as in {@link PhaseRunWeights}, so the bits are the same.
 */
final class InPlaceRunWeights {
  private InPlaceRunWeights() {}

  /**
   * Whether {@link GroupPhaseWeights} reads the layer in place: 32 vector registers for the 8 × 2 block (with fewer,
   * such layers take four-vector slabs and stay packed).
   */
  static boolean applies(ConvProblem p) {
    return MicroPanels.PAIRS && p.cog() % MicroPanels.QW == 0 && SimdBackwardWeights.slab(p) == 2 * Micro.L
        && p.cig() % (2 * Micro.L) == 0 && p.cinRead() >= p.cin();
  }

  /**
   * Reduces source rows {@code iyFrom..iyTo} of image {@code image} (packed in {@code xs}) into the accumulators of
   * group gr, output blocks 0..obs, kernel row ky at {@code acc[acc0 + ky]} ({@link WeightAccumulators}). The rows are walked
   * in chunks, every tap of a chunk before the next: the gradient rows a chunk's taps read (groups4: 11 rows of the
   * group's two lines per pixel, ~90 KB) stay in L2 while all 16 taps use them, where a tap-by-tap walk over the
   * stripe streamed them in again for every tap (the pixels are 1 KiB apart, so they fill only a quarter of the L2's
   * sets). Each sum still runs over the rows in order, then the columns, with the sums kept in {@code acc} between
   * chunks: the same bits.
   */
  static void reduce(ConvProblem p, PackedSource xs, float[] g, int image, int gr, int obs, WeightAccumulators[] acc,
      int acc0, int iyFrom, int iyTo) {
    int widest = 1;
    for (int kx = 0; kx < p.kW(); kx++) {
      widest = Math.max(widest, SimdBackwardWeights.ixTo(p, kx) - SimdBackwardWeights.ixFrom(p, kx));
    }
    // rows per chunk: a call's source pixels stay in L1 while every output block reduces over them
    final int rowsPer = Math.max(1, SimdBackwardWeights.chunkPixels(p) / widest);
    for (int iy = iyFrom; iy < iyTo; iy += rowsPer) {
      int to = Math.min(iyTo, iy + rowsPer);
      for (int ky = 0; ky < p.kH(); ky++) {
        reduceTap(p, xs, g, image, gr, ky, obs, acc[acc0 + ky], iy, to);
      }
    }
  }

  /** Rows {@code iyFrom..iyTo} (one chunk) of kernel row ky, every kernel column. */
  private static void reduceTap(ConvProblem p, PackedSource xs, float[] g, int image, int gr, int ky, int obs,
      WeightAccumulators acc, int iyFrom, int iyTo) {
    final int w = 2 * Micro.L;
    final int nIB = p.cig() / w;
    final int sY = p.strideY();
    final int v0 = -p.tY() + p.cy() - p.dilY() * ky; // v = iy·sY + v0
    final int lo = Math.max(iyFrom, Math.floorDiv(-v0 + sY - 1, sY));
    final int hi = Math.min(iyTo, Math.floorDiv(p.clipH() - 1 - v0, sY) + 1);
    if (lo >= hi) {
      return;
    }
    final int rows = hi - lo;
    final int gImg = (p.dstImage0() + image) * p.dstImageSize() + p.dfo() + gr * p.cog();
    final int aPix = p.strideX() * p.dstC();
    final int aRow = sY * p.dstW() * p.dstC();
    final int bRow = p.srcW() * w;
    for (int kx = 0; kx < p.kW(); kx++) {
      final int ixFrom = SimdBackwardWeights.ixFrom(p, kx);
      final int n = SimdBackwardWeights.ixTo(p, kx) - ixFrom;
      if (n <= 0) {
        continue;
      }
      final int u = ixFrom * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
      int a = gImg + ((p.clipY() + lo * sY + v0) * p.dstW() + p.clipX() + u) * p.dstC();
      int b = (lo * p.srcW() + ixFrom) * w;
      for (int ib = 0; ib < nIB; ib++) {
        int at = acc.at(kx, ib);
        for (int j = 0; j < obs; j += 2) { // obs is even: whole chunks of QW channels
          MicroStridedPanels.pair8x2(g, a + 4 * j, aPix, aRow, xs.data, xs.base(gr, ib) + b, bRow, n, rows, acc.a(),
              j * acc.per() + at, (j + 1) * acc.per() + at, acc.cs());
        }
      }
    }
  }
}

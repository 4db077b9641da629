package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * Both gradients of a layer with few output channels on one group (sr_x2: 32→3, dcgan_out: 64→3), input-channel
 * lanes. Each gradient row a kernel row reads is first copied into a padded row (zeros outside the clip, channels
 * packed), so that for source column ix the kW·Cout (kernel column, output channel) terms of that kernel row are the
 * consecutive floats from {@code ix·sX·Cout}, kernel columns in reverse order: no tap masks, no border cases, one
 * list shared by every pixel.
 *
 * <p>Data gradient: a block of 12 (or 6) pixels × 2 (or 4) vectors of input channels runs its whole reduction
 * (kH·kW·Cout terms, 48 for a 4×4 kernel) in registers against weights packed [channel block][ky][term][block]
 * (6 KiB for sr_x2, in L1); with a kernel exactly two strides wide (k4 s2) and two vectors, neighbouring pixels share
 * each broadcast gradient value ({@link MicroFewDataPhases}), for any number of kernel rows, which also serves large
 * sparse kernels with many outputs ({@link #dataFits}: fcn8_full). Weight gradient: Cin·Cout·kH·kW sums only (1536
 * for sr_x2), so the sums of one (kernel row, term group, channel block) stay in 24 registers while a whole source
 * row streams past; rows are cut into stripes fixed by the geometry (never by the thread count) whose partial sums
 * are added in stripe order, so the bits do not depend on the thread count.
 *
 * <p>Zero padding multiplies terms the reference never forms ({@code 0·w}, {@code 0·x}): with a non-finite weight
 * (data gradient) or a non-finite result (weight gradient) the call returns false and the caller runs the general
 * path, whose kernels never touch taps outside the clip.
 */
final class SimdFewOutputs {
  private static final int L = SimdForward.L;
  /** Output channels below which the layer takes this path. */
  static final int MAX_COUT = 8;
  /** Source rows per weight-gradient stripe at least, and stripes at most (partials are small: Cin·Cout·kH·kW). */
  private static final int MIN_STRIPE_ROWS = 8;
  private static final int MAX_STRIPES = 64;

  private SimdFewOutputs() {}

  /** Whether this path handles both gradients of {@code p}: one group, fewer than 8 outputs, no column dilation. */
  static boolean fits(ConvProblem p) {
    return p.groups() == 1 && p.cog() < MAX_COUT && p.dilX() == 1 && p.kW() <= SimdPlan.MAX_KERNEL_WIDTH;
  }

  /**
   * Whether this path handles the data gradient of {@code p}: the layers of {@link #fits}, and kernels exactly two
   * strides wide with a stride of 4 or more on at most two vectors of input channels (fcn8_full: 21 → 21, k16 s8),
   * whose reduction (kH·kW·Cout terms, 5376 for fcn8_full) dwarfs the output block's loads and stores, however many
   * output channels there are, while their packed weights fit an L2 cache: every pixel block streams all of them
   * (688 KiB for fcn8_full; fcn16_full's 2.7 MiB came from L3 for each block, slower than the general path).
   */
  static boolean dataFits(ConvProblem p) {
    return fits(p) || p.groups() == 1 && p.dilX() == 1 && p.kW() == 2 * p.strideX() && p.strideX() >= 4
        && p.kW() <= SimdPlan.MAX_KERNEL_WIDTH && p.cig() <= 2 * L
        && 4L * p.kH() * p.kW() * p.cog() * 2 * L <= MAX_WIDE_WEIGHT_BYTES;
  }

  /** Bytes of packed weights up to which large sparse kernels take this path (an L2 cache holds them). */
  static final long MAX_WIDE_WEIGHT_BYTES = 1L << 20;

  /** Vectors per input-channel block: four where the padded channels fill them, else two. */
  private static int vectors(ConvProblem p) {
    return SimdPlan.roundUp(p.cig(), 2 * L) % (4 * L) == 0 ? 4 : 2;
  }

  /**
   * Data gradient into {@code gradIn} (channels below {@code cinRead}) of a layer {@link #dataFits} accepts; false,
   * having written nothing, when the kernel has more than four rows and is not two strides wide (the register blocks
   * of other kernels run four rows) or a weight is not finite.
   */
  static boolean data(ConvProblem p, float[] g, float[] w, float[] gradIn, int threads) {
    return data(p, g, w, WeightPack.unbound(), gradIn, threads);
  }

  /** {@link #data(ConvProblem, float[], float[], float[], int)}, the packed weights kept in {@code pack}. */
  static boolean data(ConvProblem p, float[] g, float[] w, WeightPack pack, float[] gradIn, int threads) {
    final int v = vectors(p);
    // kernels two strides wide on two-vector blocks: neighbouring pixels share each broadcast gradient value
    final boolean phases = v == 2 && p.kW() == 2 * p.strideX();
    if (p.kH() > 4 && !phases) {
      return false;
    }
    final int kH = p.kH();
    final int kW = p.kW();
    final int cog = p.cog();
    final int cig = p.cig();
    final int n = kW * cog;
    final int bw = v * L;
    final int blocks = SimdPlan.roundUp(cig, bw) / bw;
    final int pixels = v == 4 ? 6 : phases && eightPixels(p.srcW()) ? 8 : 12;
    final float[] b = pack.fewOutputsData(p, w, bw);
    if (b == null) {
      return false;
    }
    final int read = p.cinRead();
    final int rows = p.images() * p.srcH();
    final int ds = p.strideX() * cog;
    final int width = (p.srcW() + pixels - 1) / pixels * pixels;
    final int padCols = (width - 1) * p.strideX() + kW;
    final int padLen = padCols * cog;
    final int rowsPerTask = Math.max(1, Math.min(8, rows / (8 * Math.max(1, threads))));
    final int tasks = (rows + rowsPerTask - 1) / rowsPerTask;
    // per-kernel-row lengths and starts: at least four (the four-row blocks read four, zero beyond kH)
    final int kRows = Math.max(4, kH);
    Parallel.forClaimed(tasks, threads, task -> {
      // all scratch is the thread's (ThreadScratch): allocated per task it zeroed fresh memory every call (memset and
      // page faults were 7 % of sr_x2's data-gradient samples); every entry read is written first in this task
      FewOutputsPaddedRows pad = new FewOutputsPaddedRows(p, padCols, padLen, rowsPerTask);
      float[] tmp = ThreadScratch.floats(ThreadScratch.Slot.FEW_TEMP, pixels * bw);
      int[] len = ThreadScratch.ints(ThreadScratch.Slot.FEW_LENGTHS, kRows);
      int[] at = ThreadScratch.ints(ThreadScratch.Slot.FEW_STARTS, kRows);
      int[] pa = phases ? ThreadScratch.ints(ThreadScratch.Slot.FEW_PASSES_A, kH * n) : null;
      int[] pb = phases ? ThreadScratch.ints(ThreadScratch.Slot.FEW_PASSES_B, kH * n) : null;
      final int rEnd = Math.min(rows, (task + 1) * rowsPerTask);
      // every gradient row of the task padded first, in address order: one row at a time between kernel calls each
      // row's lines came from memory at full latency (the hardware prefetchers stop at 4 KiB pages, 2.7 rows of
      // dcgan_out): at N = 32, where the 6 MiB gradient is no longer in cache, 12 % of the call
      for (int r = task * rowsPerTask; r < rEnd; r++) {
        int iy = r % p.srcH();
        for (int ky = kH - 1; ky >= 0; ky--) {
          int vy = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
          if (vy >= 0 && vy < p.clipH()) {
            pad.row(g, r / p.srcH(), vy);
          }
        }
      }
      for (int r = task * rowsPerTask; r < rEnd; r++) {
        int image = r / p.srcH();
        int iy = r % p.srcH();
        for (int ky = 0; ky < kRows; ky++) {
          int vy = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
          len[ky] = ky < kH && vy >= 0 && vy < p.clipH() ? n : 0;
          at[ky] = len[ky] > 0 ? pad.row(g, image, vy) : 0;
        }
        int passes = phases ? phasePasses(p, at, len, bw, pa, pb) : 0;
        int srcRow = (p.srcImage0() + image) * p.srcImageSize() + iy * p.srcW() * p.srcC() + p.sfo();
        for (int blk = 0; blk < blocks && blk * bw < read; blk++) {
          int c0 = blk * bw;
          int b0 = blk * kH * n * bw;
          boolean fullChannels = c0 + bw <= read;
          for (int ix0 = 0; ix0 < p.srcW(); ix0 += pixels) {
            // the row's last, partial block: a whole block ending at the row's end, stored in place (its first
            // pixels again, the same bits: every pixel of a block is summed in the same order wherever it sits),
            // eight pixels on the phase path where they cover it; through the scratch block only on rows narrower
            // than a block or channel blocks cut by cinRead
            int start = ix0;
            int kp = pixels;
            boolean partial = ix0 + pixels > p.srcW();
            if (partial && fullChannels) {
              kp = phases && pixels == 12 && p.srcW() - ix0 <= 8 && p.srcW() >= 8 ? 8 : pixels;
              start = p.srcW() >= kp ? p.srcW() - kp : ix0;
            }
            boolean direct = fullChannels && start + kp <= p.srcW();
            float[] out = direct ? gradIn : tmp;
            int to = direct ? srcRow + start * p.srcC() + c0 : 0;
            int os = direct ? p.srcC() : bw;
            int a0 = start * ds;
            if (phases && kp == 8) {
              MicroFewDataPhases.phases8x2(pad.data, a0, ds, pa, pb, passes, b, b0, p.strideX() * cog * bw, out, to,
                  os);
            } else if (phases) {
              MicroFewDataPhases.phases12x2(pad.data, a0, ds, pa, pb, passes, b, b0, p.strideX() * cog * bw, out, to,
                  os);
            } else if (v == 4) {
              MicroFewData4.data6x4(pad.data, at[0] + a0, at[1] + a0, at[2] + a0, at[3] + a0, len[0], len[1], len[2],
                  len[3], ds, b, b0, n * bw, out, to, os);
            } else {
              MicroFewData2.data12x2(pad.data, at[0] + a0, at[1] + a0, at[2] + a0, at[3] + a0, len[0], len[1], len[2],
                  len[3], ds, b, b0, n * bw, out, to, os);
            }
            if (!direct) {
              int nc = Math.min(bw, read - c0);
              for (int q = 0; q < pixels && ix0 + q < p.srcW(); q++) {
                System.arraycopy(tmp, q * bw, gradIn, srcRow + (ix0 + q) * p.srcC() + c0, nc);
              }
            }
          }
        }
      }
      pad.release();
      ThreadScratch.keep(ThreadScratch.Slot.FEW_TEMP, tmp);
      ThreadScratch.keep(ThreadScratch.Slot.FEW_LENGTHS, len);
      ThreadScratch.keep(ThreadScratch.Slot.FEW_STARTS, at);
      if (phases) {
        ThreadScratch.keep(ThreadScratch.Slot.FEW_PASSES_A, pa);
        ThreadScratch.keep(ThreadScratch.Slot.FEW_PASSES_B, pb);
      }
    });
    return true;
  }

  /**
   * Whether rows of {@code width} columns take 8-pixel blocks: when 12-pixel blocks would compute more than an
   * eighth of the row in padding columns and 8-pixel blocks less (fcn8_full's 16 columns: 24 against 16).
   */
  private static boolean eightPixels(int width) {
    int waste12 = SimdPlan.roundUp(width, 12) - width;
    return waste12 * 8 > width && SimdPlan.roundUp(width, 8) - width < waste12;
  }

  /**
   * The passes of {@link MicroFewDataPhases} for one source row, kernel row, stride phase and output channel in that
   * order (kernel rows outside the clip left out): gradient offset in {@code pa}, weight offset in {@code pb}, both
   * for the pass's first kernel column {@code t = phase} of the padded-row order; returns how many.
   */
  private static int phasePasses(ConvProblem p, int[] at, int[] len, int bw, int[] pa, int[] pb) {
    final int cog = p.cog();
    final int n = p.kW() * cog;
    int np = 0;
    for (int ky = 0; ky < p.kH(); ky++) {
      if (len[ky] == 0) {
        continue;
      }
      for (int ph = 0; ph < p.strideX(); ph++) {
        for (int co = 0; co < cog; co++, np++) {
          pa[np] = at[ky] + ph * cog + co;
          pb[np] = (ky * n + ph * cog + co) * bw;
        }
      }
    }
    return np;
  }

  /**
   * Weight gradient into {@code gW} (OHWI, zeros for input channels not read); false when a sum is not finite (a
   * non-finite source or gradient value: the caller recomputes on the general path, which skips the padding).
   */
  static boolean weights(ConvProblem p, float[] x, float[] g, float[] gW, int threads) {
    final int kH = p.kH();
    final int kW = p.kW();
    final int cog = p.cog();
    final int cig = p.cig();
    final int n = kW * cog;
    final int v = vectors(p);
    final int bw = v * L;
    final int cinPad = SimdPlan.roundUp(cig, bw);
    final int blocks = cinPad / bw;
    final int terms = v == 4 ? 6 : 12;
    final int termGroups = (n + terms - 1) / terms;
    final int perKy = termGroups * blocks * terms * bw;
    final int ds = p.strideX() * cog;
    final int padCols = (p.srcW() - 1) * p.strideX() + kW;
    final int padLen = padCols * cog + terms;
    final int rows = p.images() * p.srcH();
    final int stripeRows = Math.max(MIN_STRIPE_ROWS, (rows + MAX_STRIPES - 1) / MAX_STRIPES);
    final int stripes = (rows + stripeRows - 1) / stripeRows;
    // the source is read in place when its channels fill whole blocks, else packed row by row with zeros
    final boolean inPlace = p.cinRead() == cig && cig == cinPad;
    final int size = kH * perKy;
    // the stripes' sums (calling thread) and each task's padded rows and packed source row are the threads'
    // (ThreadScratch); each stripe zeroes its sums, every padded or packed value read is written first
    final float[] partial = ThreadScratch.floats(ThreadScratch.Slot.STRIPE_SUMS, Math.max(1, stripes) * size);
    Parallel.forClaimed(stripes, threads, s -> {
      final float[] acc = partial;
      final int base = s * size;
      java.util.Arrays.fill(acc, base, base + size, 0f);
      FewOutputsPaddedRows pad = new FewOutputsPaddedRows(p, padCols, padLen, 1);
      float[] xRow = inPlace ? null : ThreadScratch.floats(ThreadScratch.Slot.FEW_TEMP, p.srcW() * cinPad);
      for (int r = s * stripeRows; r < Math.min(rows, (s + 1) * stripeRows); r++) {
        int image = r / p.srcH();
        int iy = r % p.srcH();
        int srcRow = (p.srcImage0() + image) * p.srcImageSize() + iy * p.srcW() * p.srcC() + p.sfo();
        float[] xa = x;
        int x0 = srcRow;
        int xs = p.srcC();
        boolean packed = false;
        for (int ky = 0; ky < kH; ky++) {
          int vy = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
          if (vy < 0 || vy >= p.clipH()) {
            continue;
          }
          if (!inPlace && !packed) {
            packRow(p, x, srcRow, xRow, cinPad);
            xa = xRow;
            x0 = 0;
            xs = cinPad;
            packed = true;
          }
          int a0 = pad.row(g, image, vy);
          for (int tg = 0; tg < termGroups; tg++) {
            for (int blk = 0; blk < blocks; blk++) {
              int at = base + ky * perKy + (tg * blocks + blk) * terms * bw;
              if (v == 4) {
                MicroFewWeights.weights6x4(pad.data, a0 + tg * terms, ds, xa, x0 + blk * bw, xs, p.srcW(), acc, at);
              } else {
                MicroFewWeights.weights12x2(pad.data, a0 + tg * terms, ds, xa, x0 + blk * bw, xs, p.srcW(), acc, at);
              }
            }
          }
        }
      }
      pad.release();
      if (xRow != null) {
        ThreadScratch.keep(ThreadScratch.Slot.FEW_TEMP, xRow);
      }
    });
    try {
      return store(p, partial, stripes, size, perKy, terms, blocks, bw, gW);
    } finally {
      ThreadScratch.keep(ThreadScratch.Slot.STRIPE_SUMS, partial);
    }
  }

  /**
   * The stripes' sums added in stripe order into stripe 0's, whichever worker computed them, then stored as OHWI
   * into {@code gW}; false at the first sum that is not finite.
   */
  private static boolean store(ConvProblem p, float[] partial, int stripes, int size, int perKy, int terms, int blocks,
      int bw, float[] gW) {
    final int kH = p.kH();
    final int kW = p.kW();
    final int cog = p.cog();
    final int cig = p.cig();
    final int n = kW * cog;
    final float[] sum = partial;
    if (stripes == 0) {
      java.util.Arrays.fill(sum, 0, size, 0f);
    }
    for (int s = 1; s < stripes; s++) {
      for (int k = 0, a = s * size; k < size; k++, a++) {
        sum[k] += partial[a];
      }
    }
    final int read = Math.min(cig, p.cinRead());
    for (int ky = 0; ky < kH; ky++) {
      for (int i = 0; i < n; i++) {
        int tg = i / terms;
        int kx = kW - 1 - i / cog;
        int co = i % cog;
        int to = ((co * kH + ky) * kW + kx) * cig;
        for (int ci = 0; ci < read; ci++) {
          float value = sum[ky * perKy + ((tg * blocks + ci / bw) * terms + i % terms) * bw + ci % bw];
          if (!Float.isFinite(value)) {
            return false;
          }
          gW[to + ci] = value;
        }
        java.util.Arrays.fill(gW, to + read, to + cig, 0f);
      }
    }
    return true;
  }

  /** Source row at {@code srcRow} into {@code xRow} as [column][cinPad], zeros for channels not read. */
  private static void packRow(ConvProblem p, float[] x, int srcRow, float[] xRow, int cinPad) {
    final int read = Math.min(p.cig(), p.cinRead());
    for (int ix = 0; ix < p.srcW(); ix++) {
      System.arraycopy(x, srcRow + ix * p.srcC(), xRow, ix * cinPad, read);
      java.util.Arrays.fill(xRow, ix * cinPad + read, (ix + 1) * cinPad, 0f);
    }
  }
}

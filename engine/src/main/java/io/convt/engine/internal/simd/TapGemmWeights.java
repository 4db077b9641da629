package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * The weight gradient of layers whose kernel taps never overlap (stride ≥ the dilated kernel on both axes, such as
 * U-Net's k2 s2 up-convolutions) as plain GEMMs: for a kernel row ky, the gradient pixels a source row reaches are
 * one gradient row, so {@code gW[o][ky][kx][i] = Σ_pixels G[pixel][kx, o] · X[pixel][i]} with the kernel columns
 * folded into the output dimension. A task (row stripe, chunk of output channels) packs each source row of its stripe
 * once and, for each kernel row, the gradient row it meets, reading both in order (the whole row of every kernel column
 * at once), and reduces every (kernel column, input slab, output block) over the row's pixels in L1-resident panels.
 *
 * <p>The gathering path ({@link GatheredWeights}) copied each task's gradient channels per kernel column, pixel by
 * pixel from a strided walk (a quarter of unet_up's time at N = 32), packed the whole source image (2 MB, past L2)
 * and took the bias in a second pass over the gradient.
 *
 * <p>Sums run over images, the stripe's rows and their columns in order inside a task; the stripes' partial sums of a
 * tile are added in stripe order; the stripes and chunks come from the geometry alone, so the bits do not depend on
 * the thread count. The bias gradient's rows are summed as the rows are packed ({@link FusedBias}) where every clip row
 * meets a tap.
 */
final class TapGemmWeights {
  private static final int L = SimdForward.L;
  private static final int QW = MicroPanels.QW;
  private static final int OB = 4;
  /** Accumulator floats of one task: 256 KiB, so they stay in L2 while the task's rows stream past. */
  static final int MAX_TASK_FLOATS = 1 << 16;
  /** Fewest source pixels a stripe holds (fewer: the stripes' partial sums cost too much to add). */
  static final int MIN_STRIPE_PIXELS = 512;
  /** Most stripes per image. */
  static final int MAX_STRIPES = 8;
  /** Row sums the fused bias may keep (images × clip rows × channels): 16 MiB. */
  static final long MAX_BIAS_FLOATS = 1 << 22;

  private final ConvProblem p;
  private final int w;
  /** Input slabs of w channels. */
  private final int slabs;
  /** Accumulator floats of one 4-channel output block and kernel tap: [slab][4][w], see {@link #at}. */
  private final int perBlock;
  private final int oBlocks;
  /** Output blocks per chunk (the last may hold fewer). */
  private final int obs;
  private final int chunks;
  private final int stripes;
  private final int taskFloats;

  private TapGemmWeights(ConvProblem p) {
    this.p = p;
    this.w = SimdBackwardWeights.slab(p);
    this.slabs = p.cig() / w;
    this.perBlock = slabs * OB * w;
    this.oBlocks = (p.cog() + OB - 1) / OB;
    this.obs = Math.max(1, Math.min(oBlocks, MAX_TASK_FLOATS / (p.kH() * p.kW() * perBlock)));
    this.chunks = (oBlocks + obs - 1) / obs;
    int rowsMin = Math.max(1, (MIN_STRIPE_PIXELS + p.srcW() - 1) / p.srcW());
    // the stripes never multiply a large gradient: at most MAX_PARTIAL_FLOATS partial sums in all
    long gradient = (long) chunks * p.kH() * p.kW() * obs * perBlock;
    long byMemory = Math.max(1, WeightGradientPartition.MAX_PARTIAL_FLOATS / gradient);
    this.stripes = (int) Math.max(1, Math.min(Math.min(p.srcH() / rowsMin, MAX_STRIPES), byMemory));
    this.taskFloats = p.kH() * p.kW() * obs * perBlock;
  }

  /** Fewest source columns: a micro-kernel call runs over one row's columns and loads its sums once per call. */
  static final int MIN_COLUMNS = 32;

  /**
   * Whether the weight gradient of {@code p} takes this path: one group, taps that never overlap, rows of at least
   * {@link #MIN_COLUMNS} columns (unet_up_deep's 16 columns ran at 0.75× the gathering path), four-vector input slabs
   * with every input channel read, and a layer the phase-run path ({@link PackedGradient#applies}) does not take.
   */
  static boolean applies(ConvProblem p) {
    return p.groups() == 1 && p.kH() * p.kW() > 1 && p.srcW() >= MIN_COLUMNS
        && p.strideX() >= p.dilX() * (p.kW() - 1) + 1 && p.strideY() >= p.dilY() * (p.kH() - 1) + 1
        && SimdBackwardWeights.slab(p) == 4 * L && p.cinRead() >= p.cin() && !PackedGradient.applies(p);
  }

  /**
   * Computes the weight gradient into {@code gW} and, where every clip row meets exactly one tap row, the bias
   * gradient into {@code gB} (returns whether it did).
   */
  static boolean run(ConvProblem p, float[] src, float[] g, float[] gW, float[] gB, int threads) {
    return new TapGemmWeights(p).run(src, g, gW, gB, threads);
  }

  private int tiles() {
    return chunks;
  }

  private boolean run(float[] src, float[] g, float[] gW, float[] gB, int threads) {
    final int tasks = stripes * tiles();
    final float[] accs = WeightScratch.floats(WeightScratch.Slot.ACCUMULATORS, tasks * taskFloats);
    final FusedBias bias = gB != null && biasFused() ? new FusedBias(p, p.images()) : null;
    for (int t = 0; t < p.images(); t++) {
      final int image = t;
      // a round per image: a task packs each source row of its stripe once for every kernel row
      Parallel.forClaimed(tasks, threads, i -> task(src, g, accs, i, image, bias));
    }
    Parallel.forClaimed(tiles(), threads, tile -> combineAndStore(accs, tile, gW));
    WeightScratch.keep(WeightScratch.Slot.ACCUMULATORS, accs);
    if (bias != null) {
      for (int t = 0; t < p.images(); t++) {
        bias.add(t, 0, p.cout());
      }
      bias.store(gB);
    }
    return bias != null;
  }

  /** Whether every clip row meets exactly one (source row, kernel row), so its bias sums are taken as it is packed. */
  private boolean biasFused() {
    if ((long) p.images() * p.clipH() * p.cout() > MAX_BIAS_FLOATS) {
      return false;
    }
    int[] met = new int[p.clipH()];
    for (int ky = 0; ky < p.kH(); ky++) {
      for (int iy = 0; iy < p.srcH(); iy++) {
        int v = row(iy, ky);
        if (v >= 0 && v < p.clipH()) {
          met[v]++;
        }
      }
    }
    for (int m : met) {
      if (m != 1) {
        return false;
      }
    }
    return true;
  }

  /** Clip row of the gradient that source row iy meets through kernel row ky. */
  private int row(int iy, int ky) {
    return iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
  }

  /** Task i (stripe-major, then chunk) on one image: its stripe's rows, every kernel row, into its accumulators. */
  private void task(float[] src, float[] g, float[] accs, int i, int image, FusedBias bias) {
    final int stripe = i / tiles();
    final int chunk = i % tiles();
    final int acc0 = i * taskFloats;
    if (image == 0) {
      java.util.Arrays.fill(accs, acc0, acc0 + taskFloats, 0f);
    }
    final int o0 = chunk * obs * OB;
    final int no = Math.min(obs * OB, p.cog() - o0);
    final int qChunks = (no + QW - 1) / QW;
    final float[] gP = WeightScratch.floats(WeightScratch.Slot.GRADIENT_PANEL, p.kW() * qChunks * p.srcW() * QW);
    final float[] xP = WeightScratch.floats(WeightScratch.Slot.SOURCE_PANEL, slabs * p.srcW() * w);
    final int iyFrom = stripe * p.srcH() / stripes;
    final int iyTo = (stripe + 1) * p.srcH() / stripes;
    final RowTouch touch = new RowTouch();
    for (int iy = iyFrom; iy < iyTo; iy++) {
      // the row after this one (the next stripe's first, or the next image's) is read from memory meanwhile
      if (iy + 1 < p.srcH()) {
        nextRows(touch, src, g, image, iy + 1, o0, no);
      } else {
        nextRows(touch, src, g, image + 1, 0, o0, no);
      }
      touch.plan(p.kH() * p.kW() * slabs * ((no + OB - 1) / OB));
      boolean packed = false;
      for (int ky = 0; ky < p.kH(); ky++) {
        int v = row(iy, ky);
        if (v < 0 || v >= p.clipH()) {
          continue;
        }
        if (!packed) {
          packSourceRow(src, image, iy, xP);
          packed = true;
        }
        packGradientRow(g, image, v, o0, no, qChunks, gP);
        if (bias != null && chunk == 0) {
          bias.row(g, image, image, v, 0, p.cout());
        }
        reduceRow(gP, qChunks, xP, accs, acc0 + ky * p.kW() * obs * perBlock, (no + OB - 1) / OB, touch);
      }
    }
    WeightScratch.keep(WeightScratch.Slot.GRADIENT_PANEL, gP);
    WeightScratch.keep(WeightScratch.Slot.SOURCE_PANEL, xP);
  }

  /**
   * Gradient row v, channels o0..o0+no, into {@code gP[kx][channel chunk of QW][source column][QW]} for the columns
   * each kernel column reaches (channel tails zero): the row is read in order, every kernel column at once.
   */
  private void packGradientRow(float[] g, int image, int v, int o0, int no, int qChunks, float[] gP) {
    final int step = p.dstC();
    final int row = (p.dstImage0() + image) * p.dstImageSize() + p.dfo()
        + ((p.clipY() + v) * p.dstW() + p.clipX()) * step + o0;
    final int chunkStride = p.srcW() * QW;
    final int ixA = columnsFrom();
    final int ixB = columnsTo();
    for (int ix = ixA; ix < ixB; ix++) {
      for (int kx = 0; kx < p.kW(); kx++) {
        int u = ix * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
        if (u >= 0 && u < p.clipW()) {
          Micro.copy(g, row + u * step, gP, kx * qChunks * chunkStride + ix * QW, no, chunkStride, QW);
        }
      }
    }
  }

  /** Source row iy into {@code xP[slab][column][w]}, the columns some kernel column reaches. */
  private void packSourceRow(float[] x, int image, int iy, float[] xP) {
    final int slabStride = p.srcW() * w;
    final int at = (p.srcImage0() + image) * p.srcImageSize() + p.sfo() + iy * p.srcW() * p.srcC();
    for (int ix = columnsFrom(); ix < columnsTo(); ix++) {
      Micro.copy(x, at + ix * p.srcC(), xP, ix * w, p.cig(), slabStride, w);
    }
  }

  private int columnsFrom() {
    int from = p.srcW();
    for (int kx = 0; kx < p.kW(); kx++) {
      from = Math.min(from, SimdBackwardWeights.ixFrom(p, kx));
    }
    return from;
  }

  private int columnsTo() {
    int to = 0;
    for (int kx = 0; kx < p.kW(); kx++) {
      to = Math.max(to, SimdBackwardWeights.ixTo(p, kx));
    }
    return to;
  }

  /** The source row iy of an image and the gradient rows it meets (channels o0..o0+no), as the lines to touch next. */
  private void nextRows(RowTouch touch, float[] x, float[] g, int image, int iy, int o0, int no) {
    touch.clear();
    if (image >= p.images()) {
      return;
    }
    int xRow = (p.srcImage0() + image) * p.srcImageSize() + p.sfo() + iy * p.srcW() * p.srcC();
    touch.add(x, xRow, xRow + (p.srcW() - 1) * p.srcC() + p.cig());
    for (int ky = 0; ky < p.kH(); ky++) {
      int v = row(iy, ky);
      if (v >= 0 && v < p.clipH()) {
        int gRow = (p.dstImage0() + image) * p.dstImageSize() + p.dfo()
            + ((p.clipY() + v) * p.dstW() + p.clipX()) * p.dstC() + o0;
        touch.add(g, gRow, gRow + (p.clipW() - 1) * p.dstC() + no);
      }
    }
  }

  /** Every (kernel column, input slab, output block) of a task over the packed row's columns that column reaches. */
  private void reduceRow(float[] gP, int qChunks, float[] xP, float[] accs, int acc0, int blocks, RowTouch touch) {
    final int chunkStride = p.srcW() * QW;
    for (int kx = 0; kx < p.kW(); kx++) {
      int ixFrom = SimdBackwardWeights.ixFrom(p, kx);
      int m = SimdBackwardWeights.ixTo(p, kx) - ixFrom;
      if (m <= 0) {
        continue;
      }
      for (int ib = 0; ib < slabs; ib++) {
        int a0 = kx * qChunks * chunkStride + ixFrom * QW;
        int b0 = (ib * p.srcW() + ixFrom) * w;
        for (int j = 0; j < blocks; j++) {
          int c = OB * j;
          MicroPanels.quad4x4(gP, a0 + c / QW * chunkStride + c % QW, xP, b0, m, accs, at(acc0, kx, ib) + j * perBlock,
              w);
          touch.step();
        }
      }
    }
  }

  /**
   * Index of block 0, channel 0 of kernel column kx, input slab ib in a task's accumulators of one kernel row starting
   * at acc0 (a task's accumulators: [kH][kW][block][slab][4][w]).
   */
  private int at(int acc0, int kx, int ib) {
    return acc0 + kx * obs * perBlock + ib * OB * w;
  }

  /** Adds a tile's stripe partials in stripe order (into stripe 0's) and writes them to the OHWI gradient. */
  private void combineAndStore(float[] accs, int tile, float[] gW) {
    final int from = tile * taskFloats;
    for (int s = 1; s < stripes; s++) {
      int other = (s * tiles() + tile) * taskFloats;
      for (int k = 0; k < taskFloats; k++) {
        accs[from + k] += accs[other + k];
      }
    }
    for (int ky = 0; ky < p.kH(); ky++) {
      store(accs, from + ky * p.kW() * obs * perBlock, tile, ky, gW);
    }
  }

  /** Writes chunk {@code chunk}'s sums of kernel row ky (starting at {@code accs[from]}) to the OHWI gradient. */
  private void store(float[] accs, int from, int chunk, int ky, float[] gW) {
    final int cig = p.cig();
    for (int j = 0; j < obs && (chunk * obs + j) * OB < p.cog(); j++) {
      int oc0 = (chunk * obs + j) * OB;
      for (int q = 0; q < Math.min(OB, p.cog() - oc0); q++) {
        for (int kx = 0; kx < p.kW(); kx++) {
          int wi = (((oc0 + q) * p.kH() + ky) * p.kW() + kx) * cig;
          for (int ib = 0; ib < slabs; ib++) {
            System.arraycopy(accs, at(from, kx, ib) + j * perBlock + q * w, gW, wi + ib * w, w);
          }
        }
      }
    }
  }
}

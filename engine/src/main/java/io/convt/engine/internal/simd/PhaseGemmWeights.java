package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * The weight gradient of strided layers (k3 s2 such as CycleGAN's up-convolution, k4 s2 such as DCGAN's, U-Net's k2 s2)
 * as plain GEMMs split by stride phase. Gradient column u meets kernel column kx at source column
 * {@code ix = (u - c0x + dilX·kx) / sX}; within one phase {@code r = u mod sX} the columns are {@code u = sX·j + r}, so
 * every kernel column of that phase pairs gradient pixel j with source pixel {@code j + shift(kx)}: the same packed
 * gradient phase row against the same packed source row, offset by a whole column. Rows alike: a gradient row meets
 * source row {@code (v - c0y + dilY·ky) / sY} for the kernel rows of its phase. So each gradient row is packed once
 * per call ({@code [phase][channel chunk of QW][j][QW]}), each source row once per output chunk, and every tap is a
 * {@link MicroPanels#quad4x4} over exactly the pixels it connects.
 *
 * <p>The gathering path ({@link GatheredWeights}) copied each task's gradient channels per kernel column from a
 * strided walk. Folding the kernel columns into the output channels instead (one GEMM per kernel row over a source row
 * and the gradient row it meets) packs every gradient row kH/sY times and its pixels kW/sX times where taps overlap,
 * and with row stripes (partial sums) and a read-ahead of the next rows it ran unet_up 12–17 % slower in CPU time
 * than this path.
 *
 * <p>Sums: each weight over images, gradient rows (so source rows) and columns in order, in one task. A task owns a
 * chunk of output channels over the whole batch, so the threads split the output channels (never the pixels): the
 * bits do not depend on the thread count, there are no partial sums to zero, add and store (row stripes' would be a
 * 512 KiB set each for dcgan_l4), and a call hands work to the pool once. The bias
 * gradient's rows are summed as the first chunk walks them ({@link FusedBias}: the bits of the separate pass).
 */
final class PhaseGemmWeights {
  private static final int L = SimdForward.L;
  private static final int QW = MicroPanels.QW;
  private static final int OB = 4;
  /**
   * Accumulator floats of one task: 512 KiB, so dcgan_l4 (16 taps × 64 × 128) and cyclegan_up (9 × 64 × 128) keep
   * every output channel in one chunk (each row packed once) and still fit L2 next to the packed rows.
   */
  static final int MAX_TASK_FLOATS = 1 << 17;
  /** Row sums the fused bias may keep (images × clip rows × channels): 16 MiB. */
  static final long MAX_BIAS_FLOATS = 1 << 22;
  /**
   * Fewest source columns: a micro-kernel call runs over one phase row and loads its sums once per call (unet_up_deep's
   * 16 columns ran at 0.75× the gathering path with that layout).
   */
  static final int MIN_COLUMNS = 32;

  private final ConvProblem p;
  private final int w;
  private final int slabs;
  /** Accumulator floats of one 4-channel output block and tap: [slab][4][w]. */
  private final int perBlock;
  private final int oBlocks;
  private final int obs;
  private final int chunks;
  private final int taskFloats;
  /** Gradient columns per phase row ({@code ⌈clipW / sX⌉}). */
  private final int phaseWidth;
  /** Source rows a packed-row ring holds: every source row one gradient row meets, plus one. */
  private final int ring;
  private final int[] ixFrom;
  private final int[] ixTo;
  /** Per kernel column: clip column of its first pixel (ixFrom). */
  private final int[] uFrom;

  private PhaseGemmWeights(ConvProblem p, int threads) {
    this.p = p;
    this.w = SimdBackwardWeights.slab(p);
    this.slabs = p.cig() / w;
    this.perBlock = slabs * OB * w;
    this.oBlocks = (p.cog() + OB - 1) / OB;
    int maxObs = Math.max(1, MAX_TASK_FLOATS / (p.kH() * p.kW() * perBlock));
    // at least a chunk per thread; whole QW-channel panels per chunk where there are enough channels
    int parts = Math.max((oBlocks + maxObs - 1) / maxObs, Math.min(oBlocks, threads));
    int per = (oBlocks + parts - 1) / parts;
    int quads = QW / OB;
    if (per > quads && per % quads != 0 && (per + quads - 1) / quads * quads <= maxObs) {
      per = (per + quads - 1) / quads * quads;
    }
    this.obs = per;
    this.chunks = (oBlocks + obs - 1) / obs;
    this.taskFloats = p.kH() * p.kW() * obs * perBlock;
    this.phaseWidth = (p.clipW() + p.strideX() - 1) / p.strideX();
    this.ring = p.dilY() * (p.kH() - 1) / p.strideY() + 2;
    this.ixFrom = new int[p.kW()];
    this.ixTo = new int[p.kW()];
    this.uFrom = new int[p.kW()];
    for (int kx = 0; kx < p.kW(); kx++) {
      ixFrom[kx] = SimdBackwardWeights.ixFrom(p, kx);
      ixTo[kx] = SimdBackwardWeights.ixTo(p, kx);
      uFrom[kx] = ixFrom[kx] * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
    }
  }

  /**
   * Whether the weight gradient of {@code p} takes this path: one group, a stride above 1, rows of at least
   * {@link #MIN_COLUMNS} columns, four-vector input slabs with every input channel read, and a layer the phase-run path
   * ({@link PackedGradient#applies}) does not take.
   */
  static boolean applies(ConvProblem p) {
    return p.groups() == 1 && p.kH() * p.kW() > 1 && p.srcW() >= MIN_COLUMNS
        && (p.strideX() > 1 || p.strideY() > 1)
        && SimdBackwardWeights.slab(p) == 4 * L && p.cinRead() >= p.cin() && !PackedGradient.applies(p);
  }

  /** Computes the weight gradient into {@code gW} and the bias gradient into {@code gB} (returns whether it did). */
  static boolean run(ConvProblem p, float[] src, float[] g, float[] gW, float[] gB, int threads) {
    return new PhaseGemmWeights(p, threads).run(src, g, gW, gB, threads);
  }

  private boolean run(float[] src, float[] g, float[] gW, float[] gB, int threads) {
    final float[] accs = ThreadScratch.floats(ThreadScratch.Slot.ACCUMULATORS, chunks * taskFloats);
    final boolean fuse = gB != null && (long) p.images() * p.clipH() * p.cout() <= MAX_BIAS_FLOATS;
    final FusedBias bias = fuse ? new FusedBias(p, p.images()) : null;
    Parallel.forClaimed(chunks, threads, chunk -> {
      java.util.Arrays.fill(accs, chunk * taskFloats, (chunk + 1) * taskFloats, 0f);
      for (int t = 0; t < p.images(); t++) {
        task(src, g, accs, chunk, t, bias);
      }
      store(accs, chunk, gW);
    });
    ThreadScratch.keep(ThreadScratch.Slot.ACCUMULATORS, accs);
    if (bias != null) {
      for (int t = 0; t < p.images(); t++) {
        bias.add(t, 0, p.cout());
      }
      bias.store(gB);
    }
    return bias != null;
  }

  /** Chunk {@code chunk}'s output channels on one image: every gradient row, every tap, into its accumulators. */
  private void task(float[] src, float[] g, float[] accs, int chunk, int image, FusedBias bias) {
    final int acc0 = chunk * taskFloats;
    final int o0 = chunk * obs * OB;
    final int no = Math.min(obs * OB, p.cog() - o0);
    final int blocks = (no + OB - 1) / OB;
    final int qChunks = (no + QW - 1) / QW;
    final int rowFloats = slabs * p.srcW() * w;
    final float[] gP = ThreadScratch.floats(ThreadScratch.Slot.GRADIENT_PANEL, p.strideX() * qChunks * phaseWidth * QW);
    final float[] xP = ThreadScratch.floats(ThreadScratch.Slot.SOURCE_PANEL, ring * rowFloats);
    final int[] held = new int[ring];
    java.util.Arrays.fill(held, -1);
    for (int v = 0; v < p.clipH(); v++) {
      if (bias != null && chunk == 0) {
        bias.row(g, image, image, v, 0, p.cout());
      }
      boolean packed = false;
      for (int ky = 0; ky < p.kH(); ky++) {
        int num = v + p.tY() - p.cy() + p.dilY() * ky;
        if (Math.floorMod(num, p.strideY()) != 0) {
          continue;
        }
        int iy = Math.floorDiv(num, p.strideY());
        if (iy < 0 || iy >= p.srcH()) {
          continue;
        }
        if (!packed) {
          packGradientRow(g, image, v, o0, no, qChunks, gP);
          packed = true;
        }
        int slot = iy % ring;
        if (held[slot] != iy) {
          packSourceRow(src, image, iy, xP, slot * rowFloats);
          held[slot] = iy;
        }
        reduce(gP, qChunks, xP, slot * rowFloats, accs, acc0 + ky * p.kW() * obs * perBlock, blocks);
      }
    }
    ThreadScratch.keep(ThreadScratch.Slot.GRADIENT_PANEL, gP);
    ThreadScratch.keep(ThreadScratch.Slot.SOURCE_PANEL, xP);
  }

  /** Gradient row v, channels o0..o0+no, into {@code gP[phase][channel chunk][j][QW]} (column u = sX·j + phase). */
  private void packGradientRow(float[] g, int image, int v, int o0, int no, int qChunks, float[] gP) {
    final int step = p.dstC();
    final int row = (p.dstImage0() + image) * p.dstImageSize() + p.dfo()
        + ((p.clipY() + v) * p.dstW() + p.clipX()) * step + o0;
    final int chunkStride = phaseWidth * QW;
    final int sX = p.strideX();
    for (int u = 0; u < p.clipW(); u++) {
      Micro.copy(g, row + u * step, gP, ((u % sX) * qChunks * phaseWidth + u / sX) * QW, no, chunkStride, QW);
    }
  }

  /** Source row iy into {@code xP[at + (slab·srcW + column)·w]}, the columns some kernel column reaches. */
  private void packSourceRow(float[] x, int image, int iy, float[] xP, int at) {
    final int slabStride = p.srcW() * w;
    final int from = (p.srcImage0() + image) * p.srcImageSize() + p.sfo() + iy * p.srcW() * p.srcC();
    int c0 = p.srcW();
    int c1 = 0;
    for (int kx = 0; kx < p.kW(); kx++) {
      c0 = Math.min(c0, ixFrom[kx]);
      c1 = Math.max(c1, ixTo[kx]);
    }
    for (int ix = c0; ix < c1; ix++) {
      Micro.copy(x, from + ix * p.srcC(), xP, at + ix * w, p.cig(), slabStride, w);
    }
  }

  /** Every (kernel column, input slab, output block) of one kernel row over the pixels each kernel column connects. */
  private void reduce(float[] gP, int qChunks, float[] xP, int x0, float[] accs, int acc0, int blocks) {
    final int chunkStride = phaseWidth * QW;
    final int sX = p.strideX();
    for (int kx = 0; kx < p.kW(); kx++) {
      int m = ixTo[kx] - ixFrom[kx];
      if (m <= 0) {
        continue;
      }
      int a0 = ((uFrom[kx] % sX) * qChunks * phaseWidth + uFrom[kx] / sX) * QW;
      for (int ib = 0; ib < slabs; ib++) {
        int b0 = x0 + (ib * p.srcW() + ixFrom[kx]) * w;
        int at = acc0 + kx * obs * perBlock + ib * OB * w;
        for (int j = 0; j < blocks; j++) {
          int c = OB * j;
          MicroPanels.quad4x4(gP, a0 + c / QW * chunkStride + c % QW, xP, b0, m, accs, at + j * perBlock, w);
        }
      }
    }
  }

  /** Writes a chunk's sums to the OHWI gradient. */
  private void store(float[] accs, int chunk, float[] gW) {
    final int from = chunk * taskFloats;
    final int cig = p.cig();
    for (int j = 0; j < obs && (chunk * obs + j) * OB < p.cog(); j++) {
      int oc0 = (chunk * obs + j) * OB;
      for (int q = 0; q < Math.min(OB, p.cog() - oc0); q++) {
        for (int ky = 0; ky < p.kH(); ky++) {
          for (int kx = 0; kx < p.kW(); kx++) {
            int wi = (((oc0 + q) * p.kH() + ky) * p.kW() + kx) * cig;
            int at = from + (ky * p.kW() + kx) * obs * perBlock + j * perBlock + q * w;
            for (int ib = 0; ib < slabs; ib++) {
              System.arraycopy(accs, at + ib * OB * w, gW, wi + ib * w, w);
            }
          }
        }
      }
    }
  }
}

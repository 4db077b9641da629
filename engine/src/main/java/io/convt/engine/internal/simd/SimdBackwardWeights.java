package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * Vectorised weight gradient: for each tap (ky, kx) a small GEMM {@code gW[o][il] = Σ_pixels g[pix][o]·x[pix'][il]}
 * over the pixels that tap connects (never an inserted zero). A task owns (row stripe, group, kernel row, block of
 * output channels) and walks images and pixels in a fixed order; stripes, chosen from the geometry alone, are added in
 * order ({@link WeightGradientPartition}), so the result does not depend on the thread count. Register block: 4 output
 * channels (broadcast) × two or four vectors of input channels; depthwise uses channel lanes instead.
 */
final class SimdBackwardWeights {
  private static final int L = SimdForward.L;
  private static final int OB = 4;

  private SimdBackwardWeights() {}

  static void run(ConvProblem p, float[] src, float[] g, float[] gW, float[] gB, int threads) {
    final int kk = p.kH() * p.kW();
    final boolean depthwise = p.cig() == 1 && p.cog() == 1;
    if (SimdPointwise.applies(p.geometry())) {
      SimdPointwise.backwardWeights(p, src, g, gW, gB, threads);
      return;
    }
    if (SimdWeightsDirect.applies(p)) {
      SimdWeightsDirect.run(p, src, g, gW, threads);
    } else if (depthwise) {
      // one task per tap, claimed one at a time: taps at the border reach fewer pixels than interior ones
      Parallel.forClaimed(kk, threads, i -> depthwise(p, src, g, gW, i / p.kW(), i % p.kW(), new float[2 * L]));
    } else if (!rowWise(p) && GroupPhaseWeights.fits(p, threads)) {
      GroupPhaseWeights.run(p, src, g, gW, threads);
    } else {
      dense(p, src, g, gW, threads, WeightGradientPartition.of(p, threads));
    }
    if (gB != null) {
      biasGradient(p, g, gB, threads);
    }
  }

  /**
   * Packed source floats of the images a round of {@link #dense} shares: 256 KiB, so they stay in L2 while every task
   * reads them (rounds as large as L2 would evict the source between tasks).
   */
  private static final long ROUND_FLOATS = 1 << 16;

  /**
   * The dense weight gradient in rounds of images: each round packs its images' sources once, then every task
   * (stripe, group, kernel row, output-channel chunk) reduces its stripe's rows over them image by image into its own
   * accumulators, so every sum runs over images, rows and columns in a fixed order whatever the thread count. Workers
   * claim tasks one at a time; a task's accumulators are allocated (zeroed) on its first round and, with one stripe,
   * written to the gradient on its last by whichever worker runs it: allocating and storing them on the calling thread
   * (the whole gradient's size, megabytes for large layers) would be a serial part of every call and cap the
   * multi-thread speed-up at N=1. With several stripes a last parallel step adds each tile's partials in stripe order.
   */
  private static void dense(ConvProblem p, float[] src, float[] g, float[] gW, int threads,
      WeightGradientPartition part) {
    final int w = slab(p);
    final int per = perBlock(p);
    final int tasks = part.tasks();
    final float[][] accs = new float[tasks][];
    // scratch panels are made once per worker for the whole call, not once per image (up to ~0.5 MB each)
    final java.util.concurrent.ConcurrentLinkedQueue<Scratch> pool = new java.util.concurrent.ConcurrentLinkedQueue<>();
    // tasks with fewer than 16 output channels run row by row on the NHWC source and never read the packed one
    final boolean rowWise = rowWise(p);
    // with one stripe, tasks sum straight into the gradient (no per-call accumulator arrays to zero and copy)
    final boolean direct = !rowWise && WeightAccumulators.direct(p, part.stripes());
    final boolean phaseRuns = !rowWise && PackedGradient.applies(p);
    // a round's packed gradients (phase runs) count against its budget too
    final long imageFloats = (long) p.groups() * ((p.cig() + w - 1) / w) * w * p.srcH() * p.srcW()
        + (phaseRuns ? (long) p.cout() * p.clipH() * p.clipW() : 0);
    final int perRound = rowWise ? p.images() : (int) Math.max(1, Math.min(p.images(), ROUND_FLOATS / imageFloats));
    final PackedSource[] xs = new PackedSource[perRound];
    final PackedGradient[] gs = new PackedGradient[perRound];
    for (int b = 0; b < perRound && !rowWise; b++) {
      xs[b] = new PackedSource(p, w);
      xs[b].data = PanelCache.get(2 * b, xs[b].floats());
      gs[b] = phaseRuns ? new PackedGradient(p) : null;
      if (phaseRuns) {
        gs[b].data = PanelCache.get(2 * b + 1, gs[b].floats());
      }
    }
    for (int t0 = 0; t0 < p.images(); t0 += perRound) {
      final int first = t0;
      final int count = Math.min(perRound, p.images() - t0);
      final boolean last = t0 + count == p.images();
      for (int b = 0; b < count && !rowWise; b++) {
        xs[b].pack(src, first + b, threads);
        if (gs[b] != null) {
          gs[b].pack(g, first + b, threads);
        }
      }
      Parallel.forClaimed(tasks, threads, i -> {
        Scratch scratch = pool.poll();
        if (scratch == null) {
          scratch = new Scratch(p, part.obs());
        }
        int tile = part.tile(i);
        WeightAccumulators acc;
        if (direct) {
          acc = WeightAccumulators.inGradient(p, gW, part.group(tile), part.kernelRow(tile), part.firstBlock(tile));
          if (first == 0) {
            acc.zero(p, part.blocks(tile));
          }
        } else {
          if (accs[i] == null) {
            accs[i] = new float[part.blocks(tile) * per];
          }
          acc = WeightAccumulators.own(p, accs[i], part.group(tile));
        }
        int stripe = part.stripe(i);
        for (int b = 0; b < count; b++) {
          if (gs[b] != null) {
            PhaseRunWeights.reduce(p, xs[b], gs[b], part.group(tile), part.kernelRow(tile), part.firstBlock(tile),
                part.blocks(tile), acc, part.firstRow(stripe), part.endRow(stripe));
            continue;
          }
          dense(p, src, xs[b], g, part.group(tile), part.kernelRow(tile), part.firstBlock(tile), part.blocks(tile),
              acc, first + b, part.firstRow(stripe), part.endRow(stripe), scratch);
        }
        if (last && part.stripes() == 1 && !direct) {
          store(p, gW, part.group(tile), part.kernelRow(tile), part.firstBlock(tile), part.blocks(tile), accs[i]);
          accs[i] = null;
        }
        pool.add(scratch);
      });
    }
    if (part.stripes() > 1) {
      // each tile's stripe partials added in stripe order, whichever worker computed them
      Parallel.forClaimed(part.tiles(), threads, tile -> {
        float[] sum = accs[tile];
        for (int s = 1; s < part.stripes(); s++) {
          float[] a = accs[s * part.tiles() + tile];
          for (int k = 0; k < sum.length; k++) {
            sum[k] += a[k];
          }
        }
        store(p, gW, part.group(tile), part.kernelRow(tile), part.firstBlock(tile), part.blocks(tile), sum);
      });
    }
  }

  /** Whether the dense tasks run row by row on the NHWC data (fewer than 16 output channels, whole two-vector slabs). */
  static boolean rowWise(ConvProblem p) {
    return slab(p) == 2 * L && p.cog() < 16 && p.cig() % (2 * L) == 0 && p.cinRead() % (2 * L) == 0;
  }

  /**
   * Bias gradient, parallel over blocks of L channels. Pixel-major: one sequential pass over the gradient (a
   * channel-major walk would re-read every cache line Cout times, a cost as large as the rest of the gradient); a row's
   * sums in float vectors (the twin accumulates in float, like every other weight-gradient sum), added to double
   * totals once per row. Each channel sums over images, rows and columns in the same order in any block split.
   */
  static void biasGradient(ConvProblem p, float[] g, float[] gB, int threads) {
    final int blocks = (p.cout() + L - 1) / L;
    Parallel.forRange(blocks, threads, (from, to) -> {
      int c0 = from * L;
      int c1 = Math.min(p.cout(), to * L);
      double[] s = new double[c1 - c0];
      float[] part = new float[L];
      for (int t = 0; t < p.images(); t++) {
        int base = (p.dstImage0() + t) * p.dstImageSize() + p.dfo() + c0;
        for (int v = 0; v < p.clipH(); v++) {
          int row = base + ((p.clipY() + v) * p.dstW() + p.clipX()) * p.dstC();
          Micro.rowSums(g, row, p.dstC(), p.clipW(), c1 - c0, s, part);
        }
      }
      for (int o = c0; o < c1; o++) {
        gB[o] = (float) s[o - c0];
      }
    });
  }

  /** First source column whose destination column for kernel column kx is ≥ 0, and one past the last inside the clip. */
  static int ixFrom(ConvProblem p, int kx) {
    int c0 = -p.tX() + p.cx() - p.dilX() * kx; // u = ix·sX + c0
    return Math.max(0, Math.floorDiv(-c0 + p.strideX() - 1, p.strideX()));
  }

  static int ixTo(ConvProblem p, int kx) {
    int c0 = -p.tX() + p.cx() - p.dilX() * kx;
    return Math.min(p.srcW(), Math.floorDiv(p.clipW() - 1 - c0, p.strideX()) + 1);
  }

  /**
   * Input channels per packed source slab: four vectors where Cin/group is a multiple of 4L and the tasks pack
   * (16 accumulators per micro-kernel call instead of 8), else two.
   */
  static int slab(ConvProblem p) {
    return p.cig() % (4 * L) == 0 && p.cog() >= 16 ? 4 * L : 2 * L;
  }

  /** Accumulator floats of one 4-channel output block: [kW][Cin slabs][4 channels][slab]. */
  static int perBlock(ConvProblem p) {
    int w = slab(p);
    return p.kW() * ((p.cig() + w - 1) / w) * 4 * w;
  }

  /**
   * Pixels per reduction chunk: the chunk's packed source slab (pixels × slab width) is 16 KiB, so it stays in L1
   * while every output block of the task reduces over it (larger slabs spill to L2 and are slower).
   */
  static int chunkPixels(ConvProblem p) {
    return 4096 / slab(p);
  }

  /**
   * One task: group gr, kernel row ky, output-channel blocks ob0..ob0+obs (4 channels each), source rows
   * iyFrom..iyTo of one image. For each kernel column the pixels it connects in those rows are listed, then cut into chunks of
   * {@link #chunkPixels}; a chunk's gradient (the task's channels: [group of QW][pixel][QW]) and each slab of its
   * source ([slab][pixel][w]) are packed into contiguous panels, and every (input slab, output block) pair reduces
   * over the chunk in one micro-kernel call
   * (sums in {@code acc}, see {@link WeightAccumulators}); tasks with fewer than 16 output channels skip the packing
   * and run row by row on the NHWC data (64→3 layers: each packed source float would serve only a few FMAs).
   * Packing matters: NHWC rows with power-of-two channel counts
   * put every pixel of a strided walk in the same few L1 sets (conflict misses on every load), and zero-padded panels
   * need no masks.
   */
  private static void dense(ConvProblem p, float[] x, PackedSource xs, float[] g, int gr, int ky, int ob0, int obs,
      WeightAccumulators acc, int image, int iyFrom, int iyTo, Scratch sc) {
    final int w = slab(p);
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
    final int[] xOff = sc.xOff;
    final int[] gOff = sc.gOff;
    final float[] gP = sc.gPanel;
    final float[] xP = sc.xPanel;
    if (w == 2 * L && ilEnd % (2 * L) == 0 && oTo - oFrom < 16) {
      // row by row on the NHWC data, every kernel column and block while the source row sits in L1
      for (int iy = iyFrom; iy < iyTo; iy++) {
        int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
        if (v < 0 || v >= p.clipH()) {
          continue;
        }
        for (int kx = 0; kx < p.kW(); kx++) {
          int ixFrom = ixFrom(p, kx);
          int ixTo = ixTo(p, kx);
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
    final int pch = chunkPixels(p);
    final int qw = MicroPanels.QW;
    for (int kx = 0; kx < p.kW(); kx++) {
      int ixFrom = ixFrom(p, kx);
      int ixTo = ixTo(p, kx);
      if (xs.finite() && ixFrom < ixTo && (ixTo - ixFrom) * 8 >= p.srcW() * 7) {
        // the tap reaches (nearly) every column: its pixels are whole source rows, one run of the packed source;
        // columns it does not reach get a zero gradient (at most 1/8 of the FMAs wasted)
        runs(p, xs, g, gr, ky, kx, ixFrom, ixTo, iyFrom, iyTo, nIB, gImg, oFrom, oTo, obs, acc, gP);
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
          xOff[n] = xi;
          gOff[n++] = gi;
        }
      }
      for (int i0 = 0; i0 < n; i0 += pch) {
        int m = Math.min(pch, n - i0);
        for (int i = 0; i < m; i++) {
          Micro.copy(g, gOff[i0 + i] + oFrom, gP, i * qw, oTo - oFrom, pch * qw, qw);
          Micro.copy(x, xOff[i0 + i], xP, i * w, ilEnd, pch * w, w);
        }
        for (int ib = 0; ib < nIB; ib++) {
          MicroPanels.blocks(gP, pch, xP, ib * pch * w, m, w, acc.a(), acc.at(kx, ib), obs, acc.per(), acc.cs());
        }
      }
    }
  }

  /**
   * One task's tap (ky, kx) over whole source rows: the rows it reaches are one contiguous run of the packed source,
   * cut into chunks of {@link #chunkPixels}; only the gradient is packed (zero where the tap does not reach a column).
   */
  private static void runs(ConvProblem p, PackedSource xs, float[] g, int gr, int ky, int kx, int ixFrom, int ixTo,
      int iyFrom, int iyTo, int nIB, int gImg, int oFrom, int oTo, int obs, WeightAccumulators acc, float[] gP) {
    final int w = slab(p);
    final int pch = chunkPixels(p);
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
            acc.cs());
      }
    }
  }

  /** Per-worker scratch of the dense weight gradient: pixel lists and the two packed panels. */
  private static final class Scratch {
    final int[] xOff;
    final int[] gOff;
    /**
     * Gradient panel, [channel group][pixel][QW] (tails zero-filled). A task with fewer channels than the largest
     * leaves the groups past its last as an earlier task wrote them; they are never read.
     */
    final float[] gPanel;
    final float[] xPanel;

    Scratch(ConvProblem p, int obs) {
      xOff = new int[p.srcH() * p.srcW()];
      gOff = new int[p.srcH() * p.srcW()];
      gPanel = new float[chunkPixels(p) * ((obs * OB + MicroPanels.QW - 1) / MicroPanels.QW) * MicroPanels.QW];
      xPanel = new float[(p.cig() + slab(p) - 1) / slab(p) * chunkPixels(p) * slab(p)];
    }
  }

  /** Writes a dense task's accumulators to the OHWI weight gradient (zeros for input channels not read). */
  private static void store(ConvProblem p, float[] gW, int gr, int ky, int ob0, int obs, float[] accAll) {
    store(p, gW, gr, ky, ob0, obs, accAll, 0);
  }

  /** As above, for accumulators ({@link WeightAccumulators#own} layout) starting at {@code accAll[from]}. */
  static void store(ConvProblem p, float[] gW, int gr, int ky, int ob0, int obs, float[] accAll, int from) {
    final int per = perBlock(p);
    final int w = slab(p);
    final int cig = p.cig();
    final int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
    final int nIB = (ilEnd + w - 1) / w;
    for (int j = 0; j < obs; j++) {
      int oc0 = (ob0 + j) * OB;
      int o0 = gr * p.cog() + oc0;
      int no = Math.min(OB, p.cog() - oc0);
      for (int kx = 0; kx < p.kW(); kx++) {
        for (int q = 0; q < no; q++) {
          int wi = (((o0 + q) * p.kH() + ky) * p.kW() + kx) * cig;
          for (int ib = 0; ib < nIB; ib++) {
            int il0 = ib * w;
            System.arraycopy(accAll, from + j * per + (kx * nIB + ib) * 4 * w + q * w, gW, wi + il0,
                Math.min(w, ilEnd - il0));
          }
          java.util.Arrays.fill(gW, wi + ilEnd, wi + cig, 0f);
        }
      }
    }
  }

  private static void depthwise(ConvProblem p, float[] x, float[] g, float[] gW, int ky, int kx, float[] acc) {
    final int kk = p.kH() * p.kW();
    final int ixFrom = ixFrom(p, kx);
    final int ixTo = ixTo(p, kx);
    final int gStep = p.strideX() * p.dstC();
    final int xStep = p.srcC();
    final int readable = Math.min(p.cout(), p.cinRead());
    for (int c0 = 0; c0 < p.cout(); c0 += L) {
      int width = Math.min(L, readable - c0);
      java.util.Arrays.fill(acc, 0, 2 * L, 0f);
      for (int t = 0; t < p.images() && c0 < readable; t++) {
        int xImg = (p.srcImage0() + t) * p.srcImageSize() + p.sfo() + c0;
        int gImg = (p.dstImage0() + t) * p.dstImageSize() + p.dfo() + c0;
        for (int iy = 0; iy < p.srcH(); iy++) {
          int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
          if (v < 0 || v >= p.clipH() || ixFrom >= ixTo) {
            continue;
          }
          int xi = xImg + (iy * p.srcW() + ixFrom) * xStep;
          int u = ixFrom * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
          int gi = gImg + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC();
          Micro.pixelDot(x, xi, xStep, g, gi, gStep, ixTo - ixFrom, width, acc);
        }
      }
      for (int j = 0; j < L && c0 + j < p.cout(); j++) {
        // the two partial sums (even and odd pixels) are combined in a fixed order
        gW[(c0 + j) * kk + ky * p.kW() + kx] = c0 + j < readable ? acc[j] + acc[L + j] : 0f;
      }
    }
  }
}

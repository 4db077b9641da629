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
    boolean biasDone = false;
    if (SimdWeightsDirect.applies(p)) {
      SimdWeightsDirect.run(p, src, g, gW, threads);
    } else if (depthwise) {
      // one task per tap, claimed one at a time: taps at the border reach fewer pixels than interior ones
      Parallel.forClaimed(kk, threads, i -> {
        float[] acc = ThreadScratch.floats(ThreadScratch.Slot.DEPTHWISE, 2 * L);
        depthwise(p, src, g, gW, i / p.kW(), i % p.kW(), acc);
        ThreadScratch.keep(ThreadScratch.Slot.DEPTHWISE, acc);
      });
    } else if (PhaseGemmWeights.applies(p)) {
      biasDone = PhaseGemmWeights.run(p, src, g, gW, gB, threads);
    } else if (!rowWise(p) && GroupPhaseWeights.fits(p, threads)) {
      biasDone = GroupPhaseWeights.run(p, src, g, gW, gB, threads);
    } else {
      biasDone = DenseWeights.run(p, src, g, gW, gB, threads, WeightGradientPartition.of(p, threads));
    }
    if (gB != null && !biasDone) {
      biasGradient(p, g, gB, threads);
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
   * Writes a dense task's accumulators ({@link WeightAccumulators#own} layout, starting at {@code accAll[from]}) to the
   * OHWI weight gradient (zeros for input channels not read).
   */
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

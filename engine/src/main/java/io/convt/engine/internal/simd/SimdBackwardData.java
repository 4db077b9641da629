package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * Vectorised data gradient: the adjoint of the forward pass written as a gather, so each source pixel is owned by
 * one task and summed in a fixed order. DENSE: adjacent source columns read destination columns {@code sX} apart
 * with the same weights, so register blocks of up to 8 pixels × input-channel vectors run over the columns each
 * kernel column reaches ({@link TapColumnBlocks}); depthwise layers go to {@link SimdDepthwiseBackwardData}.
 */
final class SimdBackwardData {
  private static final int L = SimdForward.L;
  private static final int PB = SimdForward.PB;

  private SimdBackwardData() {}

  static void run(SimdPlan plan, ConvProblem p, float[] gradOut, float[] w, float[] gradIn, int threads) {
    if (plan.backwardDataKind() == SimdPlan.Kind.DEPTHWISE) {
      SimdDepthwiseBackwardData.run(plan, p, gradOut, w, gradIn, threads);
      return;
    }
    if (plan.pointwise()) {
      SimdPointwise.backwardData(plan, p, gradOut, w, gradIn, threads);
      return;
    }
    final float[] packed = plan.backwardDataWeights(w);
    final long[] colMask = plan.backwardColumnMasks();
    final int rows = p.images() * p.srcH();
    final SimdPlan.ColumnBlock[] blocks = plan.backwardBlocks();
    final int[] blockU = plan.backwardBlockColumns();
    final TapColumnBlocks tapBlocks = plan.tapColumnBlocks();
    // DENSE, as in the forward pass: a task is (chunk of source rows, input-channel block), claimed in that order,
    // with every group of the chunk inside it, so a block's weights stay in L2 while the chunk's rows stream past,
    // groups of rows share each pass over a weight panel, and at N = 1 the threads split the channel blocks rather
    // than the few rows. Groups inside the task: with (chunk, group) tasks two threads ran neighbouring groups of
    // the same rows, whose gradient slices share cache lines (groups4 at 2 threads: +45 % CPU per call), and a
    // group-major order re-read each gradient line from memory once per group (groups4 N=16: 30 ms vs 18 ms)
    final int cb = plan.cbi();
    final int ilBlocks = (p.cig() + cb - 1) / cb;
    final int tasksPerChunk = ilBlocks;
    final int chunk = SimdForward.taskRows(rows, SimdForward.rowChunk(p.dstW() * p.dstC() * p.strideY()),
        tasksPerChunk, threads);
    int nChunks = (rows + chunk - 1) / chunk;
    // few tasks: a count the threads share evenly (s1_k3 at N = 1 ran 36 + 20 rows on two threads); chunks of
    // near-equal rows (which rows share a chunk never changes a sum)
    while (threads > 1 && nChunks < rows && (long) nChunks * tasksPerChunk < 8L * threads
        && nChunks * tasksPerChunk % threads != 0) {
      nChunks++;
    }
    final int chunks = nChunks;
    final int rowFloats = (p.srcW() + 1) * cb;
    final int group = SimdForward.rowsPerGroup(rowFloats);
    final boolean fewOutputs = p.cog() < SMALL_COUT;
    Parallel.forClaimed(chunks * tasksPerChunk, threads, task -> {
      SimdForward.RowScratch sc = new SimdForward.RowScratch(p.kH(), group, group * rowFloats);
      int[][] offsets = fewOutputs ? new int[][] {
          ThreadScratch.ints(ThreadScratch.Slot.OFFSETS_A, p.kH() * p.kW() * p.cog()),
          ThreadScratch.ints(ThreadScratch.Slot.OFFSETS_B, p.kH() * p.kW() * p.cog())} : null;
      for (int gr = 0; gr < p.groups(); gr++) {
        rowsOfGroup(plan, p, gradOut, packed, gradIn, blocks, blockU, colMask, tapBlocks, rows, chunks, task, gr, sc,
            offsets, group, rowFloats, fewOutputs);
      }
      sc.release();
      if (offsets != null) {
        ThreadScratch.keep(ThreadScratch.Slot.OFFSETS_A, offsets[0]);
        ThreadScratch.keep(ThreadScratch.Slot.OFFSETS_B, offsets[1]);
      }
    });
  }

  /** One task's source rows and input-channel block, for group gr. */
  private static void rowsOfGroup(SimdPlan plan, ConvProblem p, float[] gradOut, float[] packed, float[] gradIn,
      SimdPlan.ColumnBlock[] blocks, int[] blockU, long[] colMask, TapColumnBlocks tapBlocks, int rows, int chunks,
      int task, int gr, SimdForward.RowScratch sc, int[][] offsets, int group, int rowFloats, boolean fewOutputs) {
    final int cb = plan.cbi();
    final int ilBlocks = (p.cig() + cb - 1) / cb;
    int il0 = task % ilBlocks * cb;
    int ilEnd = Math.max(0, Math.min(p.cig(), p.cinRead() - gr * p.cig()));
    if (il0 >= ilEnd) {
      return;
    }
    int[] aOff = fewOutputs ? offsets[0] : null;
    int[] bOff = fewOutputs ? offsets[1] : null;
    int c0 = task / ilBlocks;
    int r0 = (int) ((long) rows * c0 / chunks);
    int r1 = (int) ((long) rows * (c0 + 1) / chunks);
    // groups of equal size, as in the forward pass
    int step = (r1 - r0 + (r1 - r0 + group - 1) / group - 1) / ((r1 - r0 + group - 1) / group);
    for (int g0 = r0; g0 < r1; g0 += step) {
      int g1 = Math.min(r1, g0 + step);
      for (int r = g0; r < g1; r++) {
        int nTaps = rowTaps(p, r % p.srcH(), sc.kys, sc.iys);
        int dstBase = (p.dstImage0() + r / p.srcH()) * p.dstImageSize() + p.clipX() * p.dstC() + p.dfo()
            + gr * p.cog();
        java.util.Arrays.fill(sc.tapRows, (r - g0) * p.kH(), (r - g0 + 1) * p.kH(), -1);
        for (int ti = 0; ti < nTaps; ti++) {
          sc.tapRows[(r - g0) * p.kH() + sc.kys[ti]] = dstBase + (p.clipY() + sc.iys[ti]) * p.dstW() * p.dstC();
        }
      }
      int c = gr * p.cig() + il0;
      int nc = Math.min(cb, ilEnd - il0);
      boolean direct = !fewOutputs && nc == cb && direct(p);
      boolean phased = !fewOutputs && StridePhaseGradient.applies(p);
      float[] grad = phased ? StridePhaseGradient.pack(p, gradOut, sc.tapRows, g0, g1, gr) : gradOut;
      for (int r = g0; r < g1; r++) {
        sc.dstRows[r - g0] = direct ? srcRow(p, r) + c : (r - g0) * rowFloats;
      }
      if (fewOutputs) {
        listRows(plan, p, gradOut, packed, sc.tapRows, g1 - g0, blocks, blockU, colMask, sc.acc, rowFloats, gr,
            il0, aOff, bOff);
      } else {
        denseRows(plan, p, grad, phased, packed, sc.tapRows, g1 - g0, tapBlocks, direct ? gradIn : sc.acc,
            sc.dstRows, direct ? p.srcC() : cb, direct, gr, il0);
      }
      if (phased) {
        StridePhaseGradient.release(grad);
      }
      for (int r = g0; r < g1 && !direct; r++) {
        copyRow(sc.acc, (r - g0) * rowFloats, cb, gradIn, srcRow(p, r) + c, p.srcC(), nc, p.srcW());
      }
    }
  }

  /**
   * {@code to[at + ix·stride + j] = from[f0 + ix·cb + j]} for j &lt; n and ix &lt; width: one copy when the row is
   * contiguous on both sides, else whole vectors per pixel (a call to System.arraycopy per pixel cost a third of a
   * 32→3 layer's data gradient).
   */
  private static void copyRow(float[] from, int f0, int cb, float[] to, int at, int stride, int n, int width) {
    if (n == cb && stride == cb) {
      System.arraycopy(from, f0, to, at, width * cb);
      return;
    }
    if (n % L != 0) {
      for (int ix = 0; ix < width; ix++) {
        System.arraycopy(from, f0 + ix * cb, to, at + ix * stride, n);
      }
      return;
    }
    for (int ix = 0; ix < width; ix++) {
      for (int j = 0; j < n; j += L) {
        jdk.incubator.vector.FloatVector.fromArray(SimdForward.S, from, f0 + ix * cb + j)
            .intoArray(to, at + ix * stride + j);
      }
    }
  }

  /** Kernel rows (and the clip rows they come from) that reach source row iy; returns how many. */
  private static int rowTaps(ConvProblem p, int iy, int[] kys, int[] vs) {
    int nTaps = 0;
    for (int ky = 0; ky < p.kH(); ky++) {
      int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
      if (v >= 0 && v < p.clipH()) {
        kys[nTaps] = ky;
        vs[nTaps++] = v;
      }
    }
    return nTaps;
  }

  /** Index of channel 0 (after the source channel offset) of column 0 of source row r (image-major). */
  private static int srcRow(ConvProblem p, int r) {
    return (p.srcImage0() + r / p.srcH()) * p.srcImageSize() + (r % p.srcH()) * p.srcW() * p.srcC() + p.sfo();
  }

  /** Destination column (inside the clip) that kernel column kx of source column ix lands on. */
  private static int u(ConvProblem p, int ix, int kx) {
    return ix * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
  }

  /**
   * A group of source rows, one block of cbi input channels: {@code out[r·rowFloats + ix·cbi ..]} = the sums for row
   * r, column ix. {@code tapRows[r·kH + ky]} is the first index (group channel offset included) of the gradient row
   * kernel row ky reads for row r, or -1. Output channels are cut into chunks of {@link SimdForward#forwardKc}; loop order
   * chunk, tap, row, block, so each tap's panel serves the whole group from L1 (or chunk, kernel column, row, block
   * with the kernel rows inside the call, for short reductions).
   */
  private static void denseRows(SimdPlan plan, ConvProblem p, float[] g, boolean phased, float[] wq, int[] tapRows,
      int nRows, TapColumnBlocks tb, float[] out, int[] rowAt, int as, boolean direct, int gr, int il0) {
    final int cog = p.cog();
    final int dc = p.dstC();
    final int kW = p.kW();
    final int kH = p.kH();
    // a packed stride phase (StridePhaseGradient): one packed pixel of cog floats per source column
    final int step = phased ? cog : p.strideX() * dc;
    final int cb = plan.cbi();
    // panels as deep as the forward's (2/3 of the L1D: 32 KiB on 48 KiB cores): a chunk's partial sums make one
    // round trip through the row buffers per chunk, and dcgan_l2's 256 output channels ran in 4 chunks of 64
    final int kc = SimdForward.forwardKc(cb);
    final int wGroup = gr * (plan.cigPad() / cb) + il0 / cb;
    final int[] first = tb.first();
    final int[] column = tb.column();
    final int[] pixels = tb.pixels();
    for (int r = 0; r < nRows; r++) {
      if (as == cb) {
        java.util.Arrays.fill(out, rowAt[r], rowAt[r] + p.srcW() * cb, 0f);
      } else {
        for (int ix = 0; ix < p.srcW(); ix++) {
          java.util.Arrays.fill(out, rowAt[r] + ix * as, rowAt[r] + ix * as + cb, 0f);
        }
      }
    }
    final int bK = kW * cog * cb;
    // short reductions per tap (groups4: 32 output channels) sum a row's kernel rows in one call when all kH
    // panels of a chunk fit L1 beside the row buffers; else one call per tap, so each tap's panel serves the group
    final boolean fuseRows = (long) cog * cb * kH <= FUSED_PANEL_FLOATS;
    for (int k0 = 0; k0 < cog; k0 += kc) {
      int n = Math.min(kc, cog - k0);
      for (int ky = 0; ky < (fuseRows ? 1 : kH); ky++) {
        for (int kx = 0; kx < kW; kx++) {
          int wb = Micro.ALIGN_PAD + ((wGroup * kH * kW + kx) * cog + k0) * cb;
          // gradient column of source column 0 (may be negative: only columns of this tap's run are read)
          int u0 = (phased ? StridePhaseGradient.column0(p, kx) * cog : u(p, 0, kx) * dc) + k0;
          for (int r = 0; r < nRows; r++) {
            int kyA = ky;
            int nk = tapRows[r * kH + ky] < 0 ? 0 : 1;
            if (fuseRows) {
              // the kernel rows reaching row r are one run of evenly spaced gradient rows
              kyA = 0;
              while (kyA < kH && tapRows[r * kH + kyA] < 0) {
                kyA++;
              }
              nk = 0;
              while (kyA + nk < kH && tapRows[r * kH + kyA + nk] >= 0) {
                nk++;
              }
            }
            if (nk == 0) {
              continue;
            }
            int rowBase = tapRows[r * kH + kyA];
            int aK = nk > 1 ? tapRows[r * kH + kyA + 1] - rowBase : 0;
            tapBlocks(g, rowBase + u0, step, nk, aK, wq, wb + kyA * bK, bK, n, first[kx], first[kx + 1], column,
                pixels, out, rowAt[r], cb, as, direct ? -1 : rowAt[r] + p.srcW() * cb);
          }
        }
      }
    }
  }

  /** Floats of one chunk's weight panels (all kernel rows of one kernel column) up to which kernel rows are fused. */
  private static final int FUSED_PANEL_FLOATS = 6144;

  /**
   * The register blocks {@code t0..t1-1} of one kernel column on one row: block t's pixel q reads the gradient at
   * {@code ga0 + (column[t] + q)·step + k·aK} for kernel rows k &lt; nk, with weights at {@code wb + k·bK}.
   */
  private static void tapBlocks(float[] g, int ga0, int step, int nk, int aK, float[] wq, int wb, int bK, int n,
      int t0, int t1, int[] column, int[] pixels, float[] out, int a0, int cb, int as, int junkSlot) {
    for (int t = t0; t < t1; t++) {
      int ix = column[t];
      int np = pixels[t];
      int ga = ga0 + ix * step;
      int at = a0 + ix * as;
      int junk = junkSlot >= 0 ? junkSlot : at;
      if (np == 8) {
        MicroRows8.rows8x2(g, ga, step, nk, aK, wq, wb, bK, n, out, at, as);
      } else if (np > 4) {
        MicroRows6.rows6x4(g, ga, step, np, nk, aK, wq, wb, bK, n, out, at, as, junk);
      } else if (np == 4 && nk > 1 && cb == 4 * L) {
        MicroRows4.rows4x4(g, ga, step, nk, aK, wq, wb, bK, n, out, at, as);
      } else {
        for (int k = 0; k < nk; k++) {
          MicroRows.rows(cb, np, g, ga + k * aK, np > 1 ? step : 0, np > 2 ? 2 * step : 0, np > 3 ? 3 * step : 0,
              wq, wb + k * bK, n, out, at, np > 1 ? at + as : junk, np > 2 ? at + 2 * as : junk,
              np > 3 ? at + 3 * as : junk);
        }
      }
    }
  }

  /**
   * Whether full input-channel blocks of {@code p}'s data gradient sum straight into the gradient (zeroed first,
   * pixels {@code srcC} apart) instead of row buffers copied out after: where a source pixel's sum is short
   * (unet_up, k2 s2: 4 taps × 64 output channels = 256 terms) the copy weighed ~7 % of the pass. Same sums in the
   * same order either way; an absent pixel of a block reads and writes pixel 0's slot with pixel 0's own values.
   */
  static boolean direct(ConvProblem p) {
    return (long) p.cog() * p.kH() * p.kW() <= 256;
  }

  /** Output channels per group below which a block's taps and channels go into one flat reduction list. */
  private static final int SMALL_COUT = 16;

  /**
   * {@link #denseRows} for few output channels: per row and register block, every (tap, output channel) pair the
   * block reads goes into one list and one micro-kernel call (sr_x2, dcgan_out: 3 output channels, so a call per
   * tap would reduce over only 3 values). The list is built once per row and tap mask, relative to source column 0:
   * column ix reads gradient index {@code ix·sX·dstC + aOff[j]} (u is linear in ix), so interior blocks share it
   * (rebuilding it per block would cost a large share of a 64→3 layer's data-gradient time).
   */
  private static void listRows(SimdPlan plan, ConvProblem p, float[] g, float[] wq, int[] tapRows, int nRows,
      SimdPlan.ColumnBlock[] blocks, int[] blockU, long[] colMask, float[] out, int rowFloats, int gr, int il0, int[] aOff,
      int[] bOff) {
    final int cog = p.cog();
    final int dc = p.dstC();
    final int kW = p.kW();
    final int kH = p.kH();
    final int step = p.strideX() * dc;
    final int cb = plan.cbi();
    final int wGroup = gr * (plan.cigPad() / cb) + il0 / cb;
    java.util.Arrays.fill(out, 0, nRows * rowFloats, 0f);
    for (int r = 0; r < nRows; r++) {
      int a0 = r * rowFloats;
      int junk = a0 + p.srcW() * cb;
      long listMask = 0;
      int n = 0;
      for (int bi = 0; bi < blocks.length; bi++) {
        int ix = blocks[bi].firstColumn();
        if (n == 0 || colMask[ix] != listMask) {
          listMask = colMask[ix];
          n = 0;
          for (int ky = 0; ky < kH; ky++) {
            int rowBase = tapRows[r * kH + ky];
            if (rowBase < 0) {
              continue;
            }
            for (int kx = 0; kx < kW; kx++) {
              if (blockU[bi * kW + kx] < 0) {
                continue;
              }
              int wb = Micro.ALIGN_PAD + ((wGroup * kH + ky) * kW + kx) * cog * cb;
              for (int oc = 0; oc < cog; oc++, n++) {
                aOff[n] = rowBase + u(p, 0, kx) * dc + oc;
                bOff[n] = wb + oc * cb;
              }
            }
          }
          if (n == 0) {
            continue;
          }
        }
        int np = blocks[bi].pixels();
        int at = a0 + ix * cb;
        if (cb == 2 * L && blocks[bi].pairsWithNext() && colMask[ix + PB] == listMask) {
          // the next four columns read the same list: one eight-pixel block loads each weight vector once
          MicroRows8.list8x2(g, ix * step, aOff, step, wq, bOff, n, out, at, cb);
          bi++;
          continue;
        }
        MicroRows.list(cb, g, ix * step, aOff, np > 1 ? step : 0, np > 2 ? 2 * step : 0, np > 3 ? 3 * step : 0, wq,
            bOff, n, out, at, np > 1 ? at + cb : junk, np > 2 ? at + 2 * cb : junk, np > 3 ? at + 3 * cb : junk);
      }
    }
  }
}

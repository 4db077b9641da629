package io.convt.engine.internal.simd;

import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;

/**
 * DENSE forward rows whose every output is one micro-kernel call's sum, stored finished with its bias
 * ({@link MicroFinishedTaps}): the layers that run their kernel rows inside the micro-kernel
 * ({@link DenseForwardRows#kernelRowsKc}) with all of Cin/group in one channel chunk, two-vector channel blocks
 * filling Cout/group and no neuron (groups4: 32 → 32 channels per group, k4 s2). Each stride phase's columns are cut
 * where the set of kernel columns reaching them changes (image edges), and each such run into blocks of at most eight
 * pixels, so every pixel of a block takes the same taps and one call sums them all: kernel column, kernel row,
 * channel, the order of {@link DenseForwardRows}'s row buffers, so the bits are theirs. The row buffers cost groups4
 * ~13 % of its forward in {@code finishRow} (a read of every sum and a write of the destination) plus their zeroing
 * and a load and store of every sum per kernel column.
 */
final class DenseFinishedRows {
  private static final int L = SimdForward.L;
  private static final int MAX_PIXELS = 8;
  static final int VARIANT = Integer.getInteger("convt.g4f.variant", 0);

  /**
   * Rows per forward task on this path: with more than one thread, about 8 tasks per thread (never below 4 rows).
   * Without row buffers a task's only fixed cost is its tap rows and a read of its group's weight panels.
   */
  static int taskRows(int rows, int l2Chunk, int blocks, int threads) {
    if (threads <= 1) {
      return l2Chunk;
    }
    return Math.max(4, Math.min(l2Chunk, (int) ((long) rows * blocks / (8L * threads))));
  }

  /**
   * Task index in the chunk-major order for claim index {@code i} when chunks are dealt in pairs: (chunk 0, block 0),
   * (chunk 1, block 0), (chunk 0, block 1), ... so two workers write different rows at the same time, not
   * neighbouring channel slices of the same pixels.
   */
  static int interleaved(int i, int chunks, int blocks) {
    int pair = i / (2 * blocks);
    int rem = i % (2 * blocks);
    if (2 * pair + 1 >= chunks) {
      return i;
    }
    return (2 * pair + rem % 2) * blocks + rem / 2;
  }
  /** Per block: first clip column, pixels, first of its taps (block b's taps: tapStart[b] to tapStart[b + 1]). */
  private final int[] blockColumn;
  private final int[] blockPixels;
  private final int[] tapStart;
  /** Per tap of a block: source offset of its first pixel within a source row, weight offset of its kernel column. */
  private final int[] tapSource;
  private final int[] tapWeights;
  /** First block of each stride phase, and the block count last. */
  private final int[] phaseStart;

  private DenseFinishedRows(int[] blockColumn, int[] blockPixels, int[] tapStart, int[] tapSource, int[] tapWeights,
      int[] phaseStart) {
    this.phaseStart = phaseStart;
    this.blockColumn = blockColumn;
    this.blockPixels = blockPixels;
    this.tapStart = tapStart;
    this.tapSource = tapSource;
    this.tapWeights = tapWeights;
  }

  /** The finished-store blocks of {@code p}, or null where its forward keeps the row buffers. */
  static DenseFinishedRows of(SimdPlan plan, ConvProblem p, Activation neuron) {
    int cb = plan.cb();
    int kcRows = DenseForwardRows.kernelRowsKc(p, cb);
    if (cb != 2 * L || p.cog() % cb != 0 || !neuron.isIdentity() || kcRows == 0 || p.cig() > kcRows || p.kW() > 63
        || !evenKernelRows(p)) {
      return null;
    }
    int sX = p.strideX();
    int clipW = p.clipW();
    int maxBlocks = clipW + Math.min(sX, clipW) * 2 * p.kW() + 1;
    int[] column = new int[maxBlocks];
    int[] pixels = new int[maxBlocks];
    int[] start = new int[maxBlocks + 1];
    int[] source = new int[maxBlocks * p.kW()];
    int[] weights = new int[maxBlocks * p.kW()];
    int blocks = 0;
    int taps = 0;
    int[] phaseStart = new int[Math.min(sX, clipW) + 1];
    for (int phase = 0; phase < Math.min(sX, clipW); phase++) {
      phaseStart[phase] = blocks;
      int cols = (clipW - phase + sX - 1) / sX;
      for (int j = 0; j < cols;) {
        long mask = reaching(p, phase + j * sX);
        int e = j + 1;
        while (e < cols && reaching(p, phase + e * sX) == mask) {
          e++;
        }
        int len = e - j;
        int nb = (len + MAX_PIXELS - 1) / MAX_PIXELS;
        for (int b = 0, q = j; b < nb; b++) {
          int np = len / nb + (b < len % nb ? 1 : 0);
          int u = phase + q * sX;
          column[blocks] = u;
          pixels[blocks] = np;
          start[blocks] = taps;
          for (long bits = mask; bits != 0; bits &= bits - 1) {
            int kx = Long.numberOfTrailingZeros(bits);
            source[taps] = (p.tX() + u - p.cx() + p.dilX() * kx) / sX * p.srcC();
            weights[taps++] = kx * p.cig() * cb;
          }
          blocks++;
          q += np;
        }
        j = e;
      }
    }
    start[blocks] = taps;
    phaseStart[phaseStart.length - 1] = blocks;
    return new DenseFinishedRows(java.util.Arrays.copyOf(column, blocks), java.util.Arrays.copyOf(pixels, blocks),
        java.util.Arrays.copyOf(start, blocks + 1), java.util.Arrays.copyOf(source, taps),
        java.util.Arrays.copyOf(weights, taps), phaseStart);
  }

  /** Kernel columns (bit kx) reaching clip column u. */
  private static long reaching(ConvProblem p, int u) {
    long mask = 0;
    for (int kx = 0; kx < p.kW(); kx++) {
      int zx = p.tX() + u - p.cx() + p.dilX() * kx;
      if (zx >= 0 && zx < p.zW() && zx % p.strideX() == 0) {
        mask |= 1L << kx;
      }
    }
    return mask;
  }

  /** Whether the kernel rows reaching each clip row are evenly spaced (one call walks them with one stride). */
  private static boolean evenKernelRows(ConvProblem p) {
    for (int v = 0; v < p.clipH(); v++) {
      int first = -1;
      int step = -1;
      int last = -1;
      for (int ky = 0; ky < p.kH(); ky++) {
        int zy = p.tY() + v - p.cy() + p.dilY() * ky;
        if (zy >= 0 && zy < p.zH() && zy % p.strideY() == 0) {
          if (first < 0) {
            first = ky;
          } else if (step < 0) {
            step = ky - first;
          } else if (ky - last != step) {
            return false;
          }
          last = ky;
        }
      }
    }
    return true;
  }

  /**
   * One output row of group gr, channel block oc0: {@code tapRows[base + ky]} is the first index of the source row
   * kernel row ky reads (group's channels included) or -1; the row's clip column 0 is at destination index
   * {@code d0}; {@code bias}: never null (-0.0 where the layer has none).
   */
  void rows(ConvProblem p, float[] src, float[] wp, int[] tapRows, int nRows, int gr, int oc0, float[] dst,
      int[] dstRows, float[] bias, int o) {
    final int kH = p.kH();
    for (int ph = 0; ph + 1 < phaseStart.length; ph++) {
      for (int key = 0; key <= kH; key++) {
        for (int r = 0; r < nRows; r++) {
          int ky0 = 0;
          while (ky0 < kH && tapRows[r * kH + ky0] < 0) {
            ky0++;
          }
          if (ky0 == key || VARIANT == 1 && key == 0) {
            row(p, src, wp, tapRows, r * kH, gr, oc0, dst, dstRows[r], bias, o, null, phaseStart[ph],
                phaseStart[ph + 1]);
          }
        }
        if (VARIANT == 1) {
          break;
        }
      }
    }
  }

  void row(ConvProblem p, float[] src, float[] wp, int[] tapRows, int base, int gr, int oc0, float[] dst, int d0,
      float[] bias, int o, RowTouch touch, int bFrom, int bTo) {
    final int kH = p.kH();
    final int cb = 2 * L;
    final int n = Math.max(0, Math.min(p.cig(), p.cinRead() - gr * p.cig()));
    final int wGroup = gr * (p.cog() / cb) + oc0 / cb;
    int ky0 = 0;
    while (ky0 < kH && tapRows[base + ky0] < 0) {
      ky0++;
    }
    int nk = 0;
    int dk = 0;
    for (int ky = ky0; ky < kH; ky++) {
      if (tapRows[base + ky] >= 0) {
        dk = nk == 1 ? ky - ky0 : dk;
        nk++;
      }
    }
    int x0 = nk > 0 ? tapRows[base + ky0] : 0;
    int aK = nk > 1 ? tapRows[base + ky0 + dk] - x0 : 0;
    int tapW = p.kW() * p.cig() * cb;
    int w0 = Micro.ALIGN_PAD + (wGroup * kH + Math.min(ky0, kH - 1)) * tapW;
    int as = p.strideX() * p.dstC();
    int[] xs = new int[tapSource.length * nk];
    int[] ws = new int[xs.length];
    for (int t = 0, j = 0; t < tapSource.length; t++) {
      for (int k = 0; k < nk; k++, j++) {
        xs[j] = x0 + tapSource[t] + k * aK;
        ws[j] = w0 + tapWeights[t] + k * dk * tapW;
      }
    }
    for (int b = bFrom; b < bTo; b++) {
      int at = d0 + blockColumn[b] * p.dstC() + o;
      if (touch != null && b + 1 < bTo) {
        // the next block's destination lines (a group's 2L channels: up to three lines per pixel)
        int next = d0 + blockColumn[b + 1] * p.dstC() + o;
        touch.rows(dst, next, blockPixels[b + 1], as, 2 * L);
        touch.rows(dst, next + 2 * L - 1, blockPixels[b + 1], as, 1);
      }
      if (blockPixels[b] == 1) {
        MicroFinishedTaps.taps1x2(src, xs, wp, ws, tapStart[b] * nk, tapStart[b + 1] * nk, n, dst, at, bias, o);
      } else {
        MicroFinishedTaps.taps8x2(src, xs, wp, ws, tapStart[b] * nk, tapStart[b + 1] * nk, p.srcC(), blockPixels[b],
            n, dst, at, as, bias, o);
      }
    }
  }
}

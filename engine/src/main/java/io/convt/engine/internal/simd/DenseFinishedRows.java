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
  /** Per block: first clip column, pixels, first of its taps (block b's taps: tapStart[b] to tapStart[b + 1]). */
  private final int[] blockColumn;
  private final int[] blockPixels;
  private final int[] tapStart;
  /** Per tap of a block: source offset of its first pixel within a source row, weight offset of its kernel column. */
  private final int[] tapSource;
  private final int[] tapWeights;

  private DenseFinishedRows(int[] blockColumn, int[] blockPixels, int[] tapStart, int[] tapSource, int[] tapWeights) {
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
    for (int phase = 0; phase < Math.min(sX, clipW); phase++) {
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
    return new DenseFinishedRows(java.util.Arrays.copyOf(column, blocks), java.util.Arrays.copyOf(pixels, blocks),
        java.util.Arrays.copyOf(start, blocks + 1), java.util.Arrays.copyOf(source, taps),
        java.util.Arrays.copyOf(weights, taps));
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
  void row(ConvProblem p, float[] src, float[] wp, int[] tapRows, int base, int gr, int oc0, float[] dst, int d0,
      float[] bias, int o) {
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
    for (int b = 0; b < blockColumn.length; b++) {
      MicroFinishedTaps.taps8x2(src, x0, tapSource, tapWeights, tapStart[b], tapStart[b + 1], p.srcC(), blockPixels[b],
          nk, aK, wp, w0, dk * tapW, n, dst, d0 + blockColumn[b] * p.dstC() + o, as, bias, o);
    }
  }
}

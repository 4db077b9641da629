package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * The DENSE forward's register blocks: up to {@link SimdForward#PB} destination columns of one stride phase
 * ({@code strideX} apart), whatever their kernel-column masks; with four-vector channel blocks on a 32-register
 * file, up to six ({@link MicroRows6}: each weight load feeds 6 FMAs instead of 4), each phase cut as
 * {@link TapColumnBlocks#cut} prices the kernels (dcgan_l2's 8-column phases stay 4+4, s1_k3's 56 columns run
 * eight 6-pixel blocks and 4+4). Per (block, kx) the pixels that kernel column reaches
 * are one run (their source columns are one apart and in range from a first to a last pixel), run as one call of as
 * many pixels. Blocks split by mask instead (the plan's {@link SimdPlan#columnBlocks}) cut every image edge into
 * one- and two-pixel calls: dcgan_l2's 8-column phases ran 1+4+3 instead of 4+4 and spent ~10 % in the two-pixel
 * kernel. {@code pairs[b]}: block b and b+1 are full and adjacent, so where both runs are full they run as one
 * eight-pixel call (two-vector channel blocks only).
 */
final class DenseColumns {
  private static final int PB = SimdForward.PB;
  final boolean[] pairs;
  /** Per (block, kx): first column of the run, its source column, its pixel count (0: kx reaches none). */
  final int[] runColumn;
  final int[] runSource;
  final int[] runPixels;

  private DenseColumns(int blocks, int kW) {
    pairs = new boolean[blocks];
    runColumn = new int[blocks * kW];
    runSource = new int[blocks * kW];
    runPixels = new int[blocks * kW];
  }

  /** Whether the runs cover each of the {@code clipW} columns ({@code sX} apart within a run) exactly once. */
  boolean coverEachColumnOnce(int clipW, int sX) {
    int[] hits = new int[clipW];
    for (int t = 0; t < runPixels.length; t++) {
      for (int q = 0; q < runPixels[t]; q++) {
        hits[runColumn[t] + q * sX]++;
      }
    }
    for (int h : hits) {
      if (h != 1) {
        return false;
      }
    }
    return true;
  }

  /** The blocks of {@code p}'s clip columns for channel blocks of {@code cbL} vectors. */
  static DenseColumns of(ConvProblem p, int cbL) {
    boolean pairBlocks = cbL == 2;
    boolean six = cbL == 4 && TapColumnBlocks.SIX_PIXELS;
    int sX = p.strideX();
    int phases = Math.min(sX, p.clipW());
    int[] sizes = new int[p.clipW() + 1];
    int count = 0;
    for (int phase = 0; phase < phases; phase++) {
      int cols = (p.clipW() - phase + sX - 1) / sX;
      count += six ? TapColumnBlocks.cut(cols, cbL, sizes) : (cols + PB - 1) / PB;
    }
    DenseColumns d = new DenseColumns(count, p.kW());
    int b = 0;
    for (int phase = 0; phase < phases; phase++) {
      int cols = (p.clipW() - phase + sX - 1) / sX;
      if (six) {
        TapColumnBlocks.cut(cols, cbL, sizes);
      }
      for (int u = phase, bp = 0; u < p.clipW(); u += sizes[bp++] * sX, b++) {
        if (!six) {
          sizes[bp] = Math.min(PB, (p.clipW() - u + sX - 1) / sX);
        }
        int np = sizes[bp];
        d.pairs[b] = pairBlocks && np == PB && u + PB * sX < p.clipW()
            && (p.clipW() - u - PB * sX + sX - 1) / sX >= PB;
        for (int kx = 0; kx < p.kW(); kx++) {
          int q0 = -1;
          int q1 = -1;
          for (int q = 0; q < np; q++) {
            int zx = p.tX() + u + q * sX - p.cx() + p.dilX() * kx;
            if (zx >= 0 && zx < p.zW() && zx % sX == 0) {
              q0 = q0 < 0 ? q : q0;
              q1 = q;
            }
          }
          int t = b * p.kW() + kx;
          if (q0 >= 0) {
            d.runColumn[t] = u + q0 * sX;
            d.runSource[t] = (p.tX() + u + q0 * sX - p.cx() + p.dilX() * kx) / sX;
            d.runPixels[t] = q1 - q0 + 1;
          }
        }
      }
    }
    return d;
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * Bias gradient of a layer with fewer output channels than a vector, the same bits as
 * {@link SimdBackwardWeights#biasGradient}: each gradient row's channel sums in float, pixels in order from zero, then
 * the rows' sums added in double in row order. There each channel's sum lived in an array element, so every add
 * waited for the previous one's store (about a fifth of sr_x2's weight-gradient call, on one thread whatever the
 * thread count); here four rows run at once with their sums in locals, rows are shared out between the threads, and
 * only the double sum over the row sums, in row order, stays on one thread.
 */
final class FewOutputsBias {
  /** Rows summed together: four rows of three channels are twelve independent chains of adds. */
  private static final int ROWS = 4;

  private FewOutputsBias() {}

  /** {@code gB[o] = Σ g[.., o]} over the clip of every image (one group). */
  static void gradient(ConvProblem p, float[] g, float[] gB, int threads) {
    final int cout = p.cout();
    if (cout >= Micro.L) {
      SimdBackwardWeights.biasGradient(p, g, gB, threads); // whole vectors of channels: its own order
      return;
    }
    final int rows = p.images() * p.clipH();
    final float[] rowSums = new float[rows * cout];
    final int groups = (rows + ROWS - 1) / ROWS;
    Parallel.forRange(groups, threads, (from, to) -> {
      for (int q = from; q < to; q++) {
        int r0 = q * ROWS;
        int count = Math.min(ROWS, rows - r0);
        for (int c0 = 0; c0 < cout; c0 += 4) {
          sumRows(p, g, r0, count, c0, Math.min(4, cout - c0), rowSums);
        }
      }
    });
    double[] s = new double[cout];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < cout; o++) {
        s[o] += rowSums[r * cout + o];
      }
    }
    for (int o = 0; o < cout; o++) {
      gB[o] = (float) s[o];
    }
  }

  /** Index of the first clipped gradient value of row {@code r} (image-major), channel {@code c0}. */
  private static int rowStart(ConvProblem p, int r, int c0) {
    int image = r / p.clipH();
    int v = r % p.clipH();
    return (p.dstImage0() + image) * p.dstImageSize() + p.dfo() + c0
        + ((p.clipY() + v) * p.dstW() + p.clipX()) * p.dstC();
  }

  /**
   * Channels {@code c0 .. c0+k-1} (k ≤ 4) of rows {@code r0 .. r0+count-1} into {@code rowSums}: each a float sum
   * from zero over the row's pixels in order. Absent rows and channels repeat row r0's channel c0 (in bounds) and
   * their sums are dropped, so the loop has one form.
   */
  private static void sumRows(ConvProblem p, float[] g, int r0, int count, int c0, int k, float[] rowSums) {
    final int step = p.dstC();
    final int n = p.clipW();
    final int cout = p.cout();
    int[] at = new int[ROWS];
    for (int i = 0; i < ROWS; i++) {
      at[i] = rowStart(p, r0 + Math.min(i, count - 1), c0);
    }
    final int a0 = at[0];
    final int a1 = at[1];
    final int a2 = at[2];
    final int a3 = at[3];
    // channel j of a pixel at offset min(j, k-1): absent channels re-add channel k-1, whose sum is dropped
    final int j1 = Math.min(1, k - 1);
    final int j2 = Math.min(2, k - 1);
    final int j3 = Math.min(3, k - 1);
    float s00 = 0f, s01 = 0f, s02 = 0f, s03 = 0f;
    float s10 = 0f, s11 = 0f, s12 = 0f, s13 = 0f;
    float s20 = 0f, s21 = 0f, s22 = 0f, s23 = 0f;
    float s30 = 0f, s31 = 0f, s32 = 0f, s33 = 0f;
    for (int u = 0, d = 0; u < n; u++, d += step) {
      s00 += g[a0 + d];
      s01 += g[a0 + d + j1];
      s02 += g[a0 + d + j2];
      s03 += g[a0 + d + j3];
      s10 += g[a1 + d];
      s11 += g[a1 + d + j1];
      s12 += g[a1 + d + j2];
      s13 += g[a1 + d + j3];
      s20 += g[a2 + d];
      s21 += g[a2 + d + j1];
      s22 += g[a2 + d + j2];
      s23 += g[a2 + d + j3];
      s30 += g[a3 + d];
      s31 += g[a3 + d + j1];
      s32 += g[a3 + d + j2];
      s33 += g[a3 + d + j3];
    }
    float[][] sums = {
      {s00, s01, s02, s03}, {s10, s11, s12, s13}, {s20, s21, s22, s23}, {s30, s31, s32, s33}
    };
    for (int i = 0; i < count; i++) {
      for (int j = 0; j < k; j++) {
        rowSums[(r0 + i) * cout + c0 + j] = sums[i][j];
      }
    }
  }
}

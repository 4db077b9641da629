package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * Two source rows of the few-output-channel data gradient ({@link SimdFewOutputs}) at once, for two-vector channel
 * blocks (Cin ≤ 32): rows iy and iy+1 read kH − sY gradient rows in common, whose terms {@link MicroFewDataPairs}
 * broadcasts once for both rows. Every pixel's sum takes the same terms in the same order as the one-row block, so
 * which rows go in pairs (task edges, odd image heights) changes no bits.
 */
final class FewOutputsPairRows {
  /** Pixels per block of each row. */
  static final int PIXELS = 6;

  private FewOutputsPairRows() {}

  /**
   * Whether the pair block covers {@code p}'s kernel rows: no row dilation, row stride 1 or 2, at most two shared
   * and two unshared kernel rows per source row.
   */
  static boolean fits(ConvProblem p) {
    return p.dilY() == 1 && p.strideY() <= 2 && p.kH() <= 4 && p.kH() - p.strideY() <= 2;
  }

  /**
   * Source rows iy and iy+1 of {@code image} into {@code gradIn}: weights {@code b} packed as in {@link
   * SimdFewOutputs} ([channel block][ky][term][bw], {@code n} terms per kernel row), {@code tmp} at least
   * 2·{@link #PIXELS}·bw floats for the blocks that do not fit in place.
   */
  static void run(ConvProblem p, float[] g, float[] b, int n, int bw, int blocks, float[] gradIn,
      SimdFewOutputs.PaddedRows pad, float[] tmp, int image, int iy) {
    final int kH = p.kH();
    final int sY = p.strideY();
    final int shared = Math.max(0, kH - sY);
    final int only = kH - shared;
    final int vy0 = iy * sY - p.tY() + p.cy(); // top row's gradient row for ky = 0
    // bottom-only kernel rows ky' < only at gradient rows vy0 + sY - ky'; shared j: vy0 - j (top ky j, bottom j + sY);
    // top-only ky = shared + m at vy0 - shared - m
    final int u0 = only > 0 ? fetch(p, g, pad, image, vy0 + sY) : -1;
    final int u1 = only > 1 ? fetch(p, g, pad, image, vy0 + sY - 1) : -1;
    final int s0 = shared > 0 ? fetch(p, g, pad, image, vy0) : -1;
    final int s1 = shared > 1 ? fetch(p, g, pad, image, vy0 - 1) : -1;
    final int t0 = only > 0 ? fetch(p, g, pad, image, vy0 - shared) : -1;
    final int t1 = only > 1 ? fetch(p, g, pad, image, vy0 - shared - 1) : -1;
    final int read = p.cinRead();
    final int ds = p.strideX() * p.cog();
    final int bRow = n * bw;
    final int srcW = p.srcW();
    final int srcC = p.srcC();
    final int srcRow = (p.srcImage0() + image) * p.srcImageSize() + iy * srcW * srcC + p.sfo();
    final int below = srcW * srcC;
    for (int blk = 0; blk < blocks && blk * bw < read; blk++) {
      int c0 = blk * bw;
      int b0 = blk * kH * bRow;
      boolean fullChannels = c0 + bw <= read;
      for (int ix0 = 0; ix0 < srcW; ix0 += PIXELS) {
        boolean direct = fullChannels && ix0 + PIXELS <= srcW;
        float[] out = direct ? gradIn : tmp;
        int to = direct ? srcRow + ix0 * srcC + c0 : 0;
        int toU = direct ? to + below : PIXELS * bw;
        int os = direct ? srcC : bw;
        int a0 = ix0 * ds;
        MicroFewDataPairs.data6x2x2(pad.data, Math.max(0, u0) + a0, u0 >= 0 ? n : 0, b0,
            Math.max(0, u1) + a0, u1 >= 0 ? n : 0, b0 + bRow,
            Math.max(0, s0) + a0, s0 >= 0 ? n : 0, b0, b0 + sY * bRow,
            Math.max(0, s1) + a0, s1 >= 0 ? n : 0, b0 + bRow, b0 + (1 + sY) * bRow,
            Math.max(0, t0) + a0, t0 >= 0 ? n : 0, b0 + shared * bRow,
            Math.max(0, t1) + a0, t1 >= 0 ? n : 0, b0 + (shared + 1) * bRow,
            ds, b, out, to, toU, os);
        if (!direct) {
          int nc = Math.min(bw, read - c0);
          for (int q = 0; q < PIXELS && ix0 + q < srcW; q++) {
            int at = srcRow + (ix0 + q) * srcC + c0;
            System.arraycopy(tmp, q * bw, gradIn, at, nc);
            System.arraycopy(tmp, (PIXELS + q) * bw, gradIn, at + below, nc);
          }
        }
      }
    }
  }

  /** Index of padded gradient row {@code vy}, or -1 when the row is outside the clip (its terms are absent). */
  private static int fetch(ConvProblem p, float[] g, SimdFewOutputs.PaddedRows pad, int image, int vy) {
    return vy >= 0 && vy < p.clipH() ? pad.row(g, image, vy) : -1;
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * The DENSE data gradient of a group of source rows for two-vector channel blocks with short reductions per tap
 * (groups4: 32 output channels per group): the interior columns, which every kernel column reaches, run in
 * eight-pixel blocks that sum all kernel columns and kernel rows of the row in one {@link MicroTapRows8} call, so
 * the accumulators are loaded and stored once per row instead of once per kernel column; the few edge columns run
 * per kernel column. Every pixel sums kernel column by kernel column, kernel row by kernel row, channel by channel,
 * whichever path it takes and whatever the thread count.
 */
final class SimdTapRows {
  private SimdTapRows() {}

  /**
   * {@code out[r·rowFloats + ix·cb ..]} = the sums for row r &lt; nRows, source column ix; {@code tapRows[r·kH + ky]}
   * is the first gradient index (group channel offset included) kernel row ky reads for row r, or -1; {@code wb0}
   * the packed weights of kernel row 0, column 0, output channel 0 of this group and input-channel block. Rows run
   * grouped by their first kernel row, so the panels of one set of kernel rows serve consecutive rows from L1.
   */
  static void rows(ConvProblem p, float[] g, float[] wq, int[] tapRows, int nRows, TapColumnBlocks tb, float[] out,
      int rowFloats, int cb, int kc, int wb0) {
    final int dc = p.dstC();
    final int kW = p.kW();
    final int kH = p.kH();
    final int cog = p.cog();
    final int step = p.strideX() * dc;
    final int bK = kW * cog * cb;
    final int xA = -p.dilX() * dc;
    final int xB = cog * cb;
    final int lo = tb.interiorStart();
    final int hi = lo + tb.interior(p.srcW());
    final int u0 = (-p.tX() + p.cx()) * dc;
    for (int k0 = 0; k0 < cog; k0 += kc) {
      int n = Math.min(kc, cog - k0);
      for (int kyFirst = 0; kyFirst < kH; kyFirst++) {
        for (int r = 0; r < nRows; r++) {
          int kyA = 0;
          while (kyA < kH && tapRows[r * kH + kyA] < 0) {
            kyA++;
          }
          if (kyA != kyFirst) {
            continue;
          }
          // the kernel rows reaching row r are one run of evenly spaced gradient rows
          int nk = 0;
          while (kyA + nk < kH && tapRows[r * kH + kyA + nk] >= 0) {
            nk++;
          }
          int rowBase = tapRows[r * kH + kyA];
          int aK = nk > 1 ? tapRows[r * kH + kyA + 1] - rowBase : 0;
          int a0 = rowBase + u0 + k0;
          int b0 = wb0 + kyA * bK + k0 * cb;
          int at = r * rowFloats;
          int junk = at + p.srcW() * cb;
          for (int ix = lo; ix < hi; ix += 8) {
            MicroTapRows8.taps8x2(g, a0 + ix * step, step, Math.min(8, hi - ix), kW, xA, nk, aK, wq, b0, xB, bK, n,
                out, at + ix * cb, cb, junk);
          }
          for (int kx = 0; kx < kW; kx++) {
            edge(g, a0 + kx * xA, step, tb.runStart(kx), Math.min(tb.runEnd(kx), lo), nk, aK, wq, b0 + kx * xB, bK, n,
                out, at, cb, junk);
            edge(g, a0 + kx * xA, step, Math.max(tb.runStart(kx), hi), tb.runEnd(kx), nk, aK, wq, b0 + kx * xB, bK,
                n, out, at, cb, junk);
          }
        }
      }
    }
  }

  /** Source columns {@code c0 .. c1-1} of one kernel column (none when c1 &le; c0), in blocks of up to 8. */
  private static void edge(float[] g, int a0, int step, int c0, int c1, int nk, int aK, float[] wq, int b0, int bK,
      int n, float[] out, int at, int cb, int junk) {
    for (int ix = c0; ix < c1; ix += 8) {
      MicroTapRows8.taps8x2(g, a0 + ix * step, step, Math.min(8, c1 - ix), 1, 0, nk, aK, wq, b0, 0, bK, n, out,
          at + ix * cb, cb, junk);
    }
  }
}

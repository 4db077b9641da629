package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * The DENSE data gradient's interior source columns (those every kernel column reaches): each register block sums
 * every tap of an output-channel chunk in one call ({@link MicroTapBlocks}), loading and storing its accumulators
 * once per chunk instead of once per tap. The tap-at-a-time path ({@code SimdBackwardData.denseRows}) loads and
 * stores a six-pixel block's 24 accumulators from the L2-resident row buffers for every (tap, chunk): nine round
 * trips per s1_k3 pixel. The taps need no repacking: a chunk's weight panels for consecutive kernel columns are
 * {@code cog·cb} floats apart and for consecutive kernel rows {@code kW·cog·cb}, and the gradient a block reads
 * moves by a fixed step per kernel column (the destination column is linear in kx) and per kernel row.
 *
 * <p>Each source pixel's sum keeps the tap-at-a-time order (chunk, then kernel row, kernel column, channel; kernel
 * column before kernel row where that path fuses the kernel rows into one call), so the bits are the same. The
 * columns left and right of the interior stay with the tap-at-a-time path ({@link #edges}).
 *
 * <p>{@code column[t] .. column[t]+pixels[t]-1} are the interior register blocks of a row.
 */
record InteriorTapBlocks(int[] column, int[] pixels, TapColumnBlocks edges) {
  private static final int L = Micro.L;

  /**
   * {@code all} (default): one call per block and chunk over every tap; {@code row}: one call per kernel row, the
   * kernel columns inside (kernel rows fused by the tap path stay in one call); {@code off}: the tap-at-a-time path.
   * A switch for benchmarks and for the tests that compare the paths bit for bit.
   */
  static volatile String mode = System.getProperty("convt.simd.backwardTapBlocks", "all");

  /** The interior blocks of {@code p}'s data gradient with channel blocks of cb floats, or null where none apply. */
  static InteriorTapBlocks of(ConvProblem p, int cb, boolean fewOutputs) {
    String m = mode;
    if (fewOutputs || cb != 4 * L || !TapColumnBlocks.SIX_PIXELS || "off".equals(m)) {
      return null;
    }
    int i0 = 0;
    int i1 = p.srcW();
    for (int kx = 0; kx < p.kW(); kx++) {
      // the columns kernel column kx reaches are one run: u is linear in ix
      int lo = p.srcW();
      int hi = 0;
      for (int ix = 0; ix < p.srcW(); ix++) {
        int u = ix * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
        if (u >= 0 && u < p.clipW()) {
          lo = Math.min(lo, ix);
          hi = ix + 1;
        }
      }
      i0 = Math.max(i0, lo);
      i1 = Math.min(i1, hi);
    }
    if (i1 - i0 < 4) {
      return null;
    }
    int[] sizes = new int[i1 - i0 + 1];
    int nb = TapColumnBlocks.cut(i1 - i0, 4, sizes);
    int[] column = new int[nb];
    int[] pixels = new int[nb];
    for (int b = 0, ix = i0; b < nb; ix += sizes[b++]) {
      column[b] = ix;
      pixels[b] = sizes[b];
    }
    return new InteriorTapBlocks(column, pixels, TapColumnBlocks.outside(p.geometry(), 4, i0, i1));
  }

  /**
   * One output-channel chunk (n channels) of a group of nRows source rows: adds every tap's terms into the interior
   * pixels of {@code out} (row r at {@code rowAt[r]}, pixels {@code as} apart). {@code g0} is the gradient index of
   * source column 0 at kernel column 0 and the chunk's first channel (relative to a row's {@code tapRows} entry),
   * {@code w0} the weight index of kernel tap (0, 0) of the chunk, {@code step} the gradient step per source column;
   * {@code junkRow} says whether an absent sixth pixel sums into the row's junk slot (else into pixel 0's own).
   */
  void sum(ConvProblem p, float[] g, boolean phased, float[] wq, int[] tapRows, int nRows, float[] out, int[] rowAt,
      int as, boolean junkRow, int g0, int w0, int step, int n, boolean fuseRows) {
    final int kH = p.kH();
    final int kW = p.kW();
    final int cb = 4 * L;
    final int colStep = kW < 2 ? 0
        : phased ? (StridePhaseGradient.column0(p, 1) - StridePhaseGradient.column0(p, 0)) * p.cog()
        : -p.dilX() * p.dstC();
    final int bCol = p.cog() * cb;
    final int bRow = kW * bCol;
    final boolean perRow = !fuseRows && "row".equals(mode);
    for (int r = 0; r < nRows; r++) {
      int kyA = 0;
      while (kyA < kH && tapRows[r * kH + kyA] < 0) {
        kyA++;
      }
      int nk = 0;
      while (kyA + nk < kH && tapRows[r * kH + kyA + nk] >= 0) {
        nk++;
      }
      if (nk == 0) {
        continue;
      }
      int rowBase = tapRows[r * kH + kyA];
      int aK = nk > 1 ? tapRows[r * kH + kyA + 1] - rowBase : 0;
      int junk = junkRow ? rowAt[r] + p.srcW() * cb : -1;
      if (perRow) {
        for (int k = 0; k < nk; k++) {
          blocks(g, rowBase + k * aK + g0, step, 1, 0, 0, kW, colStep, bCol, wq, w0 + (kyA + k) * bRow, n, out,
              rowAt[r], as, junk);
        }
      } else if (fuseRows) {
        blocks(g, rowBase + g0, step, kW, colStep, bCol, nk, aK, bRow, wq, w0 + kyA * bRow, n, out, rowAt[r], as,
            junk);
      } else {
        blocks(g, rowBase + g0, step, nk, aK, bRow, kW, colStep, bCol, wq, w0 + kyA * bRow, n, out, rowAt[r], as,
            junk);
      }
    }
  }

  /** Every interior block of one row, taps in the order (o &lt; nO, j &lt; nI) with the given steps. */
  private void blocks(float[] g, int ga0, int step, int nO, int aO, int bO, int nI, int aI, int bI, float[] wq,
      int wb, int n, float[] out, int a0, int as, int junkSlot) {
    final int cb = 4 * L;
    for (int t = 0; t < column.length; t++) {
      int ix = column[t];
      int np = pixels[t];
      int ga = ga0 + ix * step;
      int at = a0 + ix * as;
      int junk = junkSlot >= 0 ? junkSlot : at;
      if (np > 4) {
        MicroTapBlocks.taps6x4(g, ga, step, np, nO, aO, bO, nI, aI, bI, wq, wb, n, out, at, as, junk);
      } else if (np == 4) {
        MicroTapBlocks.taps4x4(g, ga, step, nO, aO, bO, nI, aI, bI, wq, wb, n, out, at, as);
      } else {
        for (int o = 0; o < nO; o++) {
          for (int j = 0; j < nI; j++) {
            MicroRows.rows(cb, np, g, ga + o * aO + j * aI, np > 1 ? step : 0, np > 2 ? 2 * step : 0, 0, wq,
                wb + o * bO + j * bI, n, out, at, np > 1 ? at + as : junk, np > 2 ? at + 2 * as : junk, junk);
          }
        }
      }
    }
  }
}

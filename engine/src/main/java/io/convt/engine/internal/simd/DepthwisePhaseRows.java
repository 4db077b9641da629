package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * Where the depthwise data gradient runs {@link MicroDepthwisePhases}' blocks: kernels twice the stride in both
 * directions, no dilation, at least one whole channel vector, at least {@link #P} source columns. Source rows go in
 * pairs × blocks of P columns; a block needs its inner patch rows and columns (all but the outer ones) inside the
 * clip in every phase, and runs {@link MicroDepthwiseEdgePhases} where an outer one is not, or
 * {@link MicroDepthwiseSidePhases} where only an outer column is not ({@link #SIDE_MAX_PHASES}). The last block of a row
 * ends at the row's end and may overlap the one before (same task, same sums stored again). A row that is not the
 * first of a pair and blocks whose inner columns miss the clip take the one-row blocks.
 */
final class DepthwisePhaseRows {
  private static final int L = Micro.L;
  /** Columns per block: 2 × 8 accumulators with 32 vector registers (AVX-512), 2 × 4 with 16 (AVX2 would spill). */
  static final int P = L == 16 ? 8 : 4;

  private final ConvProblem p;
  /** Gradient row (column) of phase-grid row (column) m at phase 0 is {@code m·s + offY} ({@code offX}). */
  private final int offY;
  private final int offX;
  /** Phase-grid rows (columns) inside the clip in every phase, by source row (column). */
  private final boolean[] rowInside;
  private final boolean[] colInside;
  private final MicroDepthwisePhases.Steps steps;
  /**
   * Whether a block first touches ({@link RowTouch#rows}) the gradient rows the pair two rows down will read: when
   * the gradient is several times any core's L2 (1–2 MiB), its rows come from L3 or memory, and the blocks' loads
   * (scattered over six rows and both column parities) keep few misses in flight (dw_k4_s2 N = 16: 1.5–2× faster).
   * On a gradient that fits, the touches only cost (~8 % at 1 MiB).
   */
  private final boolean touch;
  /** Gradient bytes above which {@link #touch} pays. */
  static final long STREAMED_BYTES = 4L << 20;
  /** Most phases (sY·sX) for which side blocks take {@link MicroDepthwiseSidePhases} ({@link #sideKernel}). */
  static final int SIDE_MAX_PHASES = 4;

  private DepthwisePhaseRows(ConvProblem p) {
    this.p = p;
    int sY = p.strideY();
    int sX = p.strideX();
    this.offY = p.cy() - p.tY();
    this.offX = p.cx() - p.tX();
    this.rowInside = new boolean[p.srcH()];
    for (int m = 0; m < p.srcH(); m++) {
      rowInside[m] = m * sY + offY - (sY - 1) >= 0 && m * sY + offY < p.clipH();
    }
    this.colInside = new boolean[p.srcW()];
    for (int m = 0; m < p.srcW(); m++) {
      colInside[m] = m * sX + offX - (sX - 1) >= 0 && m * sX + offX < p.clipW();
    }
    int dc = p.dstC();
    int line = p.dstW() * dc;
    int pad = SimdForward.coutPadOf(p.cout());
    // phase (py, px) reads dy one row up per py and one column left per px (v and u fall as ky, kx grow)
    this.steps = new MicroDepthwisePhases.Steps(sY * sX, sX, -dc, sX * dc - line, pad, (p.kW() - sX) * pad,
        sY * p.kW() * pad, sX * pad, sY * line, sX * dc);
    this.touch = 4L * p.images() * p.dstImageSize() > STREAMED_BYTES;
  }

  /** The problem's phase rows, or null when the geometry has none (then every pixel takes the one-row blocks). */
  static DepthwisePhaseRows of(ConvProblem p) {
    if (p.dilY() != 1 || p.dilX() != 1 || p.kH() != 2 * p.strideY() || p.kW() != 2 * p.strideX()
        || p.cinRead() < L || p.srcW() < P || p.srcH() < 2) {
      return null;
    }
    DepthwisePhaseRows r = new DepthwisePhaseRows(p);
    for (boolean inside : r.rowInside) {
      if (inside) {
        return r;
      }
    }
    return null;
  }

  /** Whether the blocks touch the gradient rows ahead ({@link #touch}). */
  boolean touchesAhead() {
    return touch;
  }

  /**
   * An image's rows as units: {@code row << 1 | 1} for a pair of rows starting at row, {@code row << 1} for a row
   * that takes the one-row blocks.
   */
  int[] units() {
    int[] u = new int[p.srcH()];
    int k = 0;
    for (int iy = 0; iy < p.srcH(); ) {
      if (iy + 1 < p.srcH() && rowInside[iy]) {
        u[k++] = iy << 1 | 1;
        iy += 2;
      } else {
        u[k++] = iy << 1;
        iy++;
      }
    }
    return java.util.Arrays.copyOf(u, k);
  }

  /**
   * Source rows iy0 and iy0 + 1 of image t, every column, channels below {@code cinRead}; {@code oneRow} takes the
   * columns of a block whose inner columns miss the clip; {@code touch} (the task's) loads the rows ahead when
   * {@link #touchesAhead}.
   */
  void pair(float[] g, float[] wd, float[] gradIn, int t, int iy0, ColumnsOfRow oneRow, RowTouch touch) {
    final int dc = p.dstC();
    final int line = p.dstW() * dc;
    final int read = p.cinRead();
    final int orow = p.srcW() * p.srcC();
    final int sX = p.strideX();
    // patch row 0 is phase-grid row iy0 − 1 and patch column 0 grid column ix − 1
    final int top = (iy0 - 1) * p.strideY() + offY;
    final int rowBase = (p.dstImage0() + t) * p.dstImageSize() + (p.clipY() + top) * line + p.dfo();
    final int outRow = (p.srcImage0() + t) * p.srcImageSize() + iy0 * orow + p.sfo();
    final boolean edgeRows = edgeRows(iy0);
    for (int ix0 = 0; ix0 < p.srcW(); ix0 += P) {
      int ix = Math.min(ix0, p.srcW() - P);
      if (this.touch) {
        touchAhead(touch, g, t, iy0, ix);
      }
      if (!inner(ix)) {
        oneRow.run(t, iy0, ix, ix + P);
        oneRow.run(t, iy0 + 1, ix, ix + P);
        continue;
      }
      int left = (ix - 1) * sX + offX;
      int x = rowBase + (p.clipX() + left) * dc;
      int at = outRow + ix * p.srcC();
      boolean sides = sides(ix);
      MicroDepthwisePhases.Edges e = edgeRows || sides && !sideKernel()
          ? new MicroDepthwisePhases.Edges(left, left + P * sX, top, top + 2 * p.strideY(), p.clipW(), p.clipH())
          : null;
      for (int c0 = 0; c0 < read; c0 += L) {
        int c = Math.min(c0, read - L);
        block(g, x + c, wd, c, e, sides, left, gradIn, at + c, orow);
      }
    }
  }

  /** Whether the pair at iy0 has an outer patch row reaching past the clip in some phase. */
  private boolean edgeRows(int iy0) {
    return iy0 == 0 || !rowInside[iy0 - 1] || iy0 + 1 >= p.srcH() || !rowInside[iy0 + 1];
  }

  /** Whether the block at column ix has its inner patch columns inside the clip in every phase. */
  private boolean inner(int ix) {
    for (int m = ix; m < ix + P - 1; m++) {
      if (!colInside[m]) {
        return false;
      }
    }
    return true;
  }

  /** Whether the block at column ix has an outer patch column reaching past the clip in some phase. */
  private boolean sides(int ix) {
    return ix == 0 || !colInside[ix - 1] || !colInside[ix + P - 1];
  }

  /**
   * Whether side blocks run {@link MicroDepthwiseSidePhases}: only with at most {@link #SIDE_MAX_PHASES} phases.
   * With many phases per call (fcn8_dw: 64) a layer has few blocks, and splitting them over a second kernel delays
   * both kernels' C2 compile: fcn8_dw N = 1 ran its whole 3-second benchmark row on C1's Vector API code
   * (0.02–0.2 GFLOP/s) in 5 of 5 JVMs, against one kernel compiled in time.
   */
  private boolean sideKernel() {
    return p.strideY() * p.strideX() <= SIDE_MAX_PHASES;
  }

  /** Per image, the blocks that run {@link MicroDepthwiseSidePhases}. */
  int sideBlocks() {
    int n = 0;
    for (int unit : units()) {
      if ((unit & 1) == 0 || edgeRows(unit >> 1) || !sideKernel()) {
        continue;
      }
      for (int ix0 = 0; ix0 < p.srcW(); ix0 += P) {
        int ix = Math.min(ix0, p.srcW() - P);
        n += inner(ix) && sides(ix) ? 1 : 0;
      }
    }
    return n;
  }

  /**
   * One block, one channel vector: every patch entry inside the clip in every phase (interior), outer rows (and
   * maybe columns) reaching past it ({@code e} not null), or only the outer columns ({@code sides}).
   */
  private void block(float[] g, int x, float[] wd, int wi, MicroDepthwisePhases.Edges e, boolean sides, int left,
      float[] o, int at, int orow) {
    if (e != null) {
      if (P == 8) {
        MicroDepthwiseEdgePhases.edgePhases2x8(g, x, wd, wi, steps, e, o, at, p.srcC(), orow);
      } else {
        MicroDepthwiseEdgePhases.edgePhases2x4(g, x, wd, wi, steps, e, o, at, p.srcC(), orow);
      }
    } else if (sides) {
      int right = left + P * p.strideX();
      if (P == 8) {
        MicroDepthwiseSidePhases.sides2x8(g, x, wd, wi, steps, left, right, p.clipW(), o, at, p.srcC(), orow);
      } else {
        MicroDepthwiseSidePhases.sides2x4(g, x, wd, wi, steps, left, right, p.clipW(), o, at, p.srcC(), orow);
      }
    } else if (P == 8) {
      MicroDepthwisePhases.phases2x8(g, x, wd, wi, steps, o, at, p.srcC(), orow);
    } else {
      MicroDepthwisePhases.phases2x4(g, x, wd, wi, steps, o, at, p.srcC(), orow);
    }
  }

  /**
   * Touches the gradient rows that the pair two source rows down adds (its bottom 2·sY rows; after an image's last
   * pair, the next image's first pair), over this block's columns.
   */
  private void touchAhead(RowTouch touch, float[] g, int t, int iy0, int ix) {
    final int sY = p.strideY();
    final int sX = p.strideX();
    final int dc = p.dstC();
    int first = (iy0 + 1) * sY + offY + 1;
    int rows = 2 * sY;
    if (first >= p.clipH() && t + 1 < p.images()) {
      // the image's last pair: the next image's first pair (all 3·sY rows it reads)
      t++;
      first = offY - 2 * sY + 1;
      rows = 3 * sY;
    }
    final int yLo = Math.max(0, first);
    final int yHi = Math.min(p.clipH(), first + rows);
    final int left = (ix - 1) * sX + offX;
    final int xLo = Math.max(0, left - (sX - 1));
    final int xHi = Math.min(p.clipW(), left + P * sX + 1);
    if (yLo >= yHi || xLo >= xHi) {
      return;
    }
    final int line = p.dstW() * dc;
    final int image = (p.dstImage0() + t) * p.dstImageSize() + p.clipY() * line + p.clipX() * dc + p.dfo();
    touch.rows(g, image + yLo * line + xLo * dc, yHi - yLo, line, (xHi - xLo - 1) * dc + p.cinRead());
  }

  /** The one-row blocks for columns [xLo, xHi) of source row iy of image t. */
  interface ColumnsOfRow {
    void run(int t, int iy, int xLo, int xHi);
  }
}

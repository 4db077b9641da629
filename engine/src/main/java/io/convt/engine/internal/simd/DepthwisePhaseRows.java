package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * Where the depthwise data gradient runs {@link MicroDepthwisePhases}' blocks: kernels twice the stride in both
 * directions, no dilation, at least one whole channel vector, and the interior source pixels (every tap inside the
 * clip) in pairs of rows × blocks of {@link #P} columns. The last block of a row pair ends at the interior's edge
 * and may overlap the one before (it stores the same sums again); the edge rows and columns, and a last unpaired
 * row, stay with the one-row blocks.
 */
final class DepthwisePhaseRows {
  private static final int L = Micro.L;
  /** Columns per block: 2 × 8 accumulators with 32 vector registers (AVX-512), 2 × 4 with 16 (AVX2 would spill). */
  static final int P = L == 16 ? 8 : 4;

  private final ConvProblem p;
  private final int rowLo;
  private final int rowHi;
  private final int colLo;
  private final int colHi;
  private final MicroDepthwisePhases.Steps steps;

  private DepthwisePhaseRows(ConvProblem p, int rowLo, int rowHi, int colLo, int colHi) {
    this.p = p;
    this.rowLo = rowLo;
    this.rowHi = rowHi;
    this.colLo = colLo;
    this.colHi = colHi;
    int dc = p.dstC();
    int line = p.dstW() * dc;
    int pad = SimdForward.coutPadOf(p.cout());
    int sY = p.strideY();
    int sX = p.strideX();
    // phase (py, px) reads dy one row up per py and one column left per px (v and u fall as ky, kx grow)
    this.steps = new MicroDepthwisePhases.Steps(sY * sX, sX, -dc, sX * dc - line, pad, (p.kW() - sX) * pad,
        sY * p.kW() * pad, sX * pad, sY * line, sX * dc);
  }

  /** The problem's phase rows, or null when the geometry has none (then every pixel takes the one-row blocks). */
  static DepthwisePhaseRows of(ConvProblem p) {
    if (p.dilY() != 1 || p.dilX() != 1 || p.kH() != 2 * p.strideY() || p.kW() != 2 * p.strideX()
        || p.cinRead() < L) {
      return null;
    }
    int rowLo = p.srcH();
    int rowHi = 0;
    for (int iy = 0; iy < p.srcH(); iy++) {
      int v = iy * p.strideY() - p.tY() + p.cy();
      if (v < p.clipH() && v - (p.kH() - 1) >= 0) {
        rowLo = Math.min(rowLo, iy);
        rowHi = iy + 1;
      }
    }
    int colLo = p.srcW();
    int colHi = 0;
    for (int ix = 0; ix < p.srcW(); ix++) {
      int u = ix * p.strideX() - p.tX() + p.cx();
      if (u < p.clipW() && u - (p.kW() - 1) >= 0) {
        colLo = Math.min(colLo, ix);
        colHi = ix + 1;
      }
    }
    if (rowHi - rowLo < 2 || colHi - colLo < P) {
      return null;
    }
    return new DepthwisePhaseRows(p, rowLo, rowHi, colLo, colHi);
  }

  /**
   * An image's rows as units: {@code row << 1 | 1} for a pair of interior rows starting at row, {@code row << 1}
   * for a row that takes the one-row blocks throughout.
   */
  int[] units() {
    int pairs = (rowHi - rowLo) / 2;
    int[] u = new int[p.srcH() - pairs];
    int k = 0;
    for (int iy = 0; iy < p.srcH(); ) {
      if (iy >= rowLo && iy + 1 < rowHi) {
        u[k++] = iy << 1 | 1;
        iy += 2;
      } else {
        u[k++] = iy << 1;
        iy++;
      }
    }
    return u;
  }

  int colLo() {
    return colLo;
  }

  int colHi() {
    return colHi;
  }

  /** Interior columns of source rows iy0 and iy0 + 1 of image t, channels below {@code cinRead}. */
  void pair(float[] g, float[] wd, float[] gradIn, int t, int iy0) {
    final int dc = p.dstC();
    final int line = p.dstW() * dc;
    final int pad = SimdForward.coutPadOf(p.cout());
    final int read = p.cinRead();
    final int orow = p.srcW() * p.srcC();
    // patch entry (0, 0) at phase (0, 0): gradient row and column of source (iy0 − 1, ix0 − 1) with ky = kx = 0
    final int v0 = (iy0 - 1) * p.strideY() - p.tY() + p.cy();
    final int rowBase = (p.dstImage0() + t) * p.dstImageSize() + (p.clipY() + v0) * line + p.dfo();
    final int outRow = (p.srcImage0() + t) * p.srcImageSize() + iy0 * orow + p.sfo();
    for (int ix0 = colLo; ix0 < colHi; ix0 += P) {
      int ix = Math.min(ix0, colHi - P);
      int u0 = (ix - 1) * p.strideX() - p.tX() + p.cx();
      int x = rowBase + (p.clipX() + u0) * dc;
      int at = outRow + ix * p.srcC();
      for (int c0 = 0; c0 < read; c0 += L) {
        int c = Math.min(c0, read - L);
        if (P == 8) {
          MicroDepthwisePhases.phases2x8(g, x + c, wd, c, steps, gradIn, at + c, p.srcC(), orow);
        } else {
          MicroDepthwisePhases.phases2x4(g, x + c, wd, c, steps, gradIn, at + c, p.srcC(), orow);
        }
      }
    }
  }
}

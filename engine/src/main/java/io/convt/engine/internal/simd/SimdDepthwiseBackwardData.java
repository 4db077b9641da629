package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise data gradient (one input and one output channel per group) as the strided direct convolution it is:
 * {@code dx[iy, ix, c] = Σ_{ky,kx} W[c, ky, kx] · dy[v(iy, ky), u(ix, kx), c]} with channel lanes (NHWC: channels
 * are contiguous). Each source row is cut into runs of adjacent columns that reach the same kernel columns; a run
 * goes in register blocks of 8, 4, 2 and 1 pixels whose sums stay in registers over every tap and are stored once;
 * with four channel vectors, 4-pixel blocks cover every vector of a pixel in one tap loop
 * ({@link MicroDepthwiseWide}), else one pass over the block per vector.
 * A block's taps are one flat loop with a column counter rather than a precomputed offset list: building the list
 * per block cost as much as the sums (16×16-tap kernels), and reading it costs two loads per tap.
 * Kernels twice the stride run pairs of rows in stride-phase blocks instead ({@link DepthwisePhaseRows}); the
 * blocks here take the other geometries and what those blocks leave.
 * Every source row is summed by one task in a fixed order, so results do not depend on the thread count.
 */
final class SimdDepthwiseBackwardData {
  private static final VectorSpecies<Float> S = Micro.S;
  private static final int L = Micro.L;
  private static final boolean WIDE = L == 16;

  private SimdDepthwiseBackwardData() {}

  /**
   * Adjacent source columns {@code [firstColumn, firstColumn + columns)} that all reach kernel columns
   * {@code [kxLo, kxHi)} (an empty range: no tap, the gradient is zero).
   */
  record ColumnRun(int firstColumn, int columns, int kxLo, int kxHi) {}

  /** The geometry's column runs, from the plan's per-column kernel-column masks (contiguous: u is linear in kx). */
  static ColumnRun[] columnRuns(long[] masks) {
    java.util.List<ColumnRun> runs = new java.util.ArrayList<>();
    for (int ix = 0; ix < masks.length; ) {
      int end = ix + 1;
      while (end < masks.length && masks[end] == masks[ix]) {
        end++;
      }
      long m = masks[ix];
      int lo = m == 0 ? 0 : Long.numberOfTrailingZeros(m);
      int hi = m == 0 ? 0 : 64 - Long.numberOfLeadingZeros(m);
      runs.add(new ColumnRun(ix, end - ix, lo, hi));
      ix = end;
    }
    return runs.toArray(new ColumnRun[0]);
  }

  static void run(SimdPlan plan, ConvProblem p, float[] gradOut, float[] w, float[] gradIn, int threads) {
    final float[] wd = plan.backwardDataWeights(w);
    final ColumnRun[] runs = columnRuns(plan.backwardColumnMasks());
    final DepthwisePhaseRows phases = DepthwisePhaseRows.of(p);
    if (phases == null) {
      Parallel.forRange(p.images() * p.srcH(), threads, (from, to) -> {
        for (int r = from; r < to; r++) {
          row(p, gradOut, wd, runs, gradIn, r / p.srcH(), r % p.srcH(), 0, p.srcW());
        }
      });
      return;
    }
    final int[] units = phases.units();
    Parallel.forRange(p.images() * units.length, threads, (from, to) -> {
      DepthwisePhaseRows.ColumnsOfRow oneRow =
          (t, iy, xLo, xHi) -> row(p, gradOut, wd, runs, gradIn, t, iy, xLo, xHi);
      RowTouch touch = new RowTouch();
      for (int k = from; k < to; k++) {
        int t = k / units.length;
        int unit = units[k % units.length];
        if ((unit & 1) == 0) {
          row(p, gradOut, wd, runs, gradIn, t, unit >> 1, 0, p.srcW());
        } else {
          phases.pair(gradOut, wd, gradIn, t, unit >> 1, oneRow, touch);
        }
      }
    });
  }

  /** Columns [xLo, xHi) of source row iy of image t, channels below {@code cinRead}. */
  private static void row(ConvProblem p, float[] g, float[] wd, ColumnRun[] runs, float[] gradIn, int t, int iy,
      int xLo, int xHi) {
    if (xLo >= xHi) {
      return;
    }
    final int dc = p.dstC();
    final int pad = SimdForward.coutPadOf(p.cout());
    final int out = (p.srcImage0() + t) * p.srcImageSize() + iy * p.srcW() * p.srcC() + p.sfo();
    // v decreases with ky, so the kernel rows that land inside the clip are one range
    int kyLo = p.kH();
    int kyHi = 0;
    for (int ky = 0; ky < p.kH(); ky++) {
      int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
      if (v >= 0 && v < p.clipH()) {
        kyLo = Math.min(kyLo, ky);
        kyHi = ky + 1;
      }
    }
    if (kyLo >= kyHi) {
      zero(gradIn, out + xLo * p.srcC(), xHi - xLo, p.srcC(), p.cinRead());
      return;
    }
    final int vLo = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * kyLo;
    final int rowLo = (p.dstImage0() + t) * p.dstImageSize() + (p.clipY() + vLo) * p.dstW() * dc + p.clipX() * dc
        + p.dfo();
    final int rowStep = -p.dilY() * p.dstW() * dc;
    final int xStep = -p.dilX() * dc;
    final int step = p.strideX() * dc;
    for (ColumnRun run : runs) {
      int first = Math.max(run.firstColumn(), xLo);
      int end = Math.min(run.firstColumn() + run.columns(), xHi);
      if (first >= end) {
        continue;
      }
      int nkx = run.kxHi() - run.kxLo();
      if (nkx <= 0) {
        zero(gradIn, out + first * p.srcC(), end - first, p.srcC(), p.cinRead());
        continue;
      }
      Taps taps = new Taps((kyHi - kyLo) * nkx, nkx, xStep, rowStep - nkx * xStep, pad, (p.kW() - nkx) * pad);
      int w0 = (kyLo * p.kW() + run.kxLo()) * pad;
      int ix = first;
      while (ix < end) {
        int np = end - ix >= 8 ? 8 : end - ix >= 4 ? 4 : end - ix >= 2 ? 2 : 1;
        int x0 = rowLo + (ix * p.strideX() - p.tX() + p.cx() - p.dilX() * run.kxLo()) * dc;
        channels(g, x0, step, wd, w0, taps, gradIn, out + ix * p.srcC(), p.srcC(), np, p.cinRead());
        ix += np;
      }
    }
  }

  /**
   * How a block walks its taps: {@code count} taps, {@code perRow} per kernel row; the gradient index moves by
   * {@code xStep} per kernel column and {@code xJump} more at a row's end, the weight index by {@code wStep} and
   * {@code wJump}.
   */
  record Taps(int count, int perRow, int xStep, int xJump, int wStep, int wJump) {}

  /**
   * One register block of np pixels, every channel below read: whole vectors, then the tail as one more vector
   * overlapping the previous one (the same sums, stored again) when there are at least L channels, else masked.
   */
  private static void channels(float[] g, int x0, int step, float[] wd, int w0, Taps k, float[] o, int at, int os,
      int np, int read) {
    // 16 accumulators and 4 weights: only with 32 vector registers (AVX-512, L = 16); AVX2's 16 would spill
    if (WIDE && np >= 4 && read > 3 * L && read <= 4 * L) {
      for (int q = 0; q < np; q += 4) {
        MicroDepthwiseWide.sum4x4(g, x0 + q * step, step, read - L, wd, w0, k, o, at + q * os, os);
      }
      return;
    }
    int full = read / L * L;
    for (int c0 = 0; c0 < full; c0 += L) {
      block(g, x0 + c0, step, wd, w0 + c0, k, o, at + c0, os, np);
    }
    if (full == read) {
      return;
    }
    if (read >= L) {
      block(g, x0 + read - L, step, wd, w0 + read - L, k, o, at + read - L, os, np);
      return;
    }
    VectorMask<Float> m = S.indexInRange(0, read);
    for (int q = 0; q < np; q++) {
      masked(g, x0 + q * step, wd, w0, k, o, at + q * os, m);
    }
  }

  private static void block(float[] g, int x, int step, float[] wd, int wi, Taps k, float[] o, int at, int os,
      int np) {
    switch (np) {
      case 8 -> sum8(g, x, step, wd, wi, k, o, at, os);
      case 4 -> sum4(g, x, step, wd, wi, k, o, at, os);
      case 2 -> sum2(g, x, step, wd, wi, k, o, at, os);
      default -> sum1(g, x, wd, wi, k, o, at);
    }
  }

  private static void sum8(float[] g, int x, int step, float[] wd, int wi, Taps k, float[] o, int at, int os) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector a4 = a0;
    FloatVector a5 = a0;
    FloatVector a6 = a0;
    FloatVector a7 = a0;
    final int n = k.count();
    final int perRow = k.perRow();
    final int xStep = k.xStep();
    final int xJump = k.xJump();
    final int wStep = k.wStep();
    final int wJump = k.wJump();
    for (int t = 0, col = 0; t < n; t++) {
      FloatVector wv = FloatVector.fromArray(S, wd, wi);
      a0 = FloatVector.fromArray(S, g, x).fma(wv, a0);
      a1 = FloatVector.fromArray(S, g, x + step).fma(wv, a1);
      a2 = FloatVector.fromArray(S, g, x + 2 * step).fma(wv, a2);
      a3 = FloatVector.fromArray(S, g, x + 3 * step).fma(wv, a3);
      a4 = FloatVector.fromArray(S, g, x + 4 * step).fma(wv, a4);
      a5 = FloatVector.fromArray(S, g, x + 5 * step).fma(wv, a5);
      a6 = FloatVector.fromArray(S, g, x + 6 * step).fma(wv, a6);
      a7 = FloatVector.fromArray(S, g, x + 7 * step).fma(wv, a7);
      x += xStep;
      wi += wStep;
      if (++col == perRow) {
        col = 0;
        x += xJump;
        wi += wJump;
      }
    }
    a0.intoArray(o, at);
    a1.intoArray(o, at + os);
    a2.intoArray(o, at + 2 * os);
    a3.intoArray(o, at + 3 * os);
    a4.intoArray(o, at + 4 * os);
    a5.intoArray(o, at + 5 * os);
    a6.intoArray(o, at + 6 * os);
    a7.intoArray(o, at + 7 * os);
  }

  private static void sum4(float[] g, int x, int step, float[] wd, int wi, Taps k, float[] o, int at, int os) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    final int n = k.count();
    final int perRow = k.perRow();
    for (int t = 0, col = 0; t < n; t++) {
      FloatVector wv = FloatVector.fromArray(S, wd, wi);
      a0 = FloatVector.fromArray(S, g, x).fma(wv, a0);
      a1 = FloatVector.fromArray(S, g, x + step).fma(wv, a1);
      a2 = FloatVector.fromArray(S, g, x + 2 * step).fma(wv, a2);
      a3 = FloatVector.fromArray(S, g, x + 3 * step).fma(wv, a3);
      x += k.xStep();
      wi += k.wStep();
      if (++col == perRow) {
        col = 0;
        x += k.xJump();
        wi += k.wJump();
      }
    }
    a0.intoArray(o, at);
    a1.intoArray(o, at + os);
    a2.intoArray(o, at + 2 * os);
    a3.intoArray(o, at + 3 * os);
  }

  private static void sum2(float[] g, int x, int step, float[] wd, int wi, Taps k, float[] o, int at, int os) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    final int n = k.count();
    final int perRow = k.perRow();
    for (int t = 0, col = 0; t < n; t++) {
      FloatVector wv = FloatVector.fromArray(S, wd, wi);
      a0 = FloatVector.fromArray(S, g, x).fma(wv, a0);
      a1 = FloatVector.fromArray(S, g, x + step).fma(wv, a1);
      x += k.xStep();
      wi += k.wStep();
      if (++col == perRow) {
        col = 0;
        x += k.xJump();
        wi += k.wJump();
      }
    }
    a0.intoArray(o, at);
    a1.intoArray(o, at + os);
  }

  private static void sum1(float[] g, int x, float[] wd, int wi, Taps k, float[] o, int at) {
    FloatVector a0 = FloatVector.zero(S);
    final int n = k.count();
    final int perRow = k.perRow();
    for (int t = 0, col = 0; t < n; t++) {
      a0 = FloatVector.fromArray(S, g, x).fma(FloatVector.fromArray(S, wd, wi), a0);
      x += k.xStep();
      wi += k.wStep();
      if (++col == perRow) {
        col = 0;
        x += k.xJump();
        wi += k.wJump();
      }
    }
    a0.intoArray(o, at);
  }

  /** {@link #sum1} on the lanes of m (fewer channels than a vector). */
  private static void masked(float[] g, int x, float[] wd, int wi, Taps k, float[] o, int at, VectorMask<Float> m) {
    FloatVector a0 = FloatVector.zero(S);
    final int n = k.count();
    final int perRow = k.perRow();
    for (int t = 0, col = 0; t < n; t++) {
      a0 = FloatVector.fromArray(S, g, x, m).fma(FloatVector.fromArray(S, wd, wi, m), a0);
      x += k.xStep();
      wi += k.wStep();
      if (++col == perRow) {
        col = 0;
        x += k.xJump();
        wi += k.wJump();
      }
    }
    a0.intoArray(o, at, m);
  }

  /** {@code gradIn[at + ix·stride + c] = 0} for ix &lt; columns, c &lt; count. */
  private static void zero(float[] gradIn, int at, int columns, int stride, int count) {
    for (int ix = 0; ix < columns; ix++) {
      java.util.Arrays.fill(gradIn, at + ix * stride, at + ix * stride + count, 0f);
    }
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise data gradient without column dilation, on a channel-blocked copy of the output gradient: a task is one
 * band of source rows of one image. It copies the destination rows the band reads, once, in one sequential pass,
 * into {@code G[channel block][row][column][L]} (the NHWC rows interleave every channel; read in place, a 16-channel
 * slice of a 64-channel row touches one line in four and the hardware prefetchers lose the stream, so at N = 16 the
 * kernel waited on L3), then sums each source row channel block by channel block from that copy into a row of
 * {@code O[column][channel]} and copies that row out. In the copy, the next kernel column is the previous vector
 * ({@code -L}) and the weights ({@code [channel block][ky][kx][L]}) the next one ({@code +L}): both indices are affine
 * in the kernel-column counter with a constant scale, so C2 hoists the bounds checks out of the tap loop (with the
 * runtime NHWC pixel stride it kept about five instructions per load).
 * A register block is 8 or 4 adjacent pixels of one run of columns that reach the same kernel columns; a run's last
 * block overlaps the previous one instead of falling back to smaller blocks (it computes the same sums again, in the
 * same order). Taps go ky, then kx ascending, per pixel, whichever band or thread runs it: the results do not depend
 * on the thread count.
 */
final class DepthwiseDataBands {
  private static final VectorSpecies<Float> S = Micro.S;
  private static final int L = Micro.L;
  /** Floats of copied rows per band: a quarter of a 1 MiB L2 and under, so the copy stays in L2 while it is read. */
  private static final int BAND_FLOATS = 96 * 1024;

  private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

  private DepthwiseDataBands() {}

  /** The layer's data gradient; {@code p.dilX() == 1} (columns of one phase are adjacent in the copy). */
  static void run(ConvProblem p, float[] gradOut, float[] wd, SimdDepthwiseBackwardData.ColumnRun[] runs,
      float[] gradIn, int threads) {
    final int blocks = (p.cinRead() + L - 1) / L;
    final int rowFloats = Math.max(1, p.clipW()) * blocks * L;
    final int kEH = p.dilY() * (p.kH() - 1) + 1;
    int band = Math.max(1, (Math.max(kEH, BAND_FLOATS / rowFloats) - kEH) / p.strideY() + 1);
    band = Math.min(band, p.srcH());
    // enough tasks for every thread at N = 1 (which rows share a band never changes a sum)
    while (threads > 1 && band > 1 && (long) p.images() * ((p.srcH() + band - 1) / band) < 2L * threads) {
      band = (band + 1) / 2;
    }
    final int rowsPerBand = band;
    final int bands = (p.srcH() + band - 1) / band;
    final float[] wb = blockWeights(p, wd, blocks);
    Parallel.forClaimed(p.images() * bands, threads, task -> {
      int t = task / bands;
      int iy0 = task % bands * rowsPerBand;
      band(p, gradOut, wb, runs, gradIn, t, iy0, Math.min(p.srcH(), iy0 + rowsPerBand), blocks);
    });
  }

  /** {@code [channel block][ky][kx][L]} from the plan's {@code [ky][kx][coutPad]} (zeros past the channels read). */
  private static float[] blockWeights(ConvProblem p, float[] wd, int blocks) {
    int kk = p.kH() * p.kW();
    int pad = SimdForward.coutPadOf(p.cout());
    float[] wb = new float[blocks * kk * L];
    for (int b = 0; b < blocks; b++) {
      for (int k = 0; k < kk; k++) {
        System.arraycopy(wd, k * pad + b * L, wb, (b * kk + k) * L, L);
      }
    }
    return wb;
  }

  /** Source rows {@code [iy0, iy1)} of image t. */
  private static void band(ConvProblem p, float[] g, float[] wb, SimdDepthwiseBackwardData.ColumnRun[] runs,
      float[] gradIn, int t, int iy0, int iy1, int blocks) {
    final int cw = p.clipW();
    final int cRead = blocks * L;
    final int base = -p.tY() + p.cy();
    final int vLo = Math.max(0, iy0 * p.strideY() + base - p.dilY() * (p.kH() - 1));
    final int vHi = Math.min(p.clipH() - 1, (iy1 - 1) * p.strideY() + base);
    final int bandRows = Math.max(0, vHi - vLo + 1);
    float[][] sc = SCRATCH.get();
    if (sc[0].length < bandRows * cw * cRead) {
      sc[0] = new float[bandRows * cw * cRead];
    }
    if (sc[1].length < p.srcW() * cRead) {
      sc[1] = new float[p.srcW() * cRead];
    }
    final float[] cg = sc[0];
    final float[] o = sc[1];
    if (bandRows > 0) {
      copyIn(p, g, t, vLo, bandRows, blocks, cg);
    }
    final int rowStep = -p.dilY() * cw * L;
    final int ps = p.strideX() * L;
    final int kk = p.kH() * p.kW();
    for (int iy = iy0; iy < iy1; iy++) {
      int kyLo = p.kH();
      int kyHi = 0;
      for (int ky = 0; ky < p.kH(); ky++) {
        int v = iy * p.strideY() + base - p.dilY() * ky;
        if (v >= 0 && v < p.clipH()) {
          kyLo = Math.min(kyLo, ky);
          kyHi = ky + 1;
        }
      }
      int vTop = iy * p.strideY() + base - p.dilY() * kyLo;
      for (SimdDepthwiseBackwardData.ColumnRun run : runs) {
        int nkx = run.kxHi() - run.kxLo();
        int first = run.firstColumn();
        int end = first + run.columns();
        if (nkx <= 0 || kyLo >= kyHi) {
          java.util.Arrays.fill(o, first * cRead, end * cRead, 0f);
          continue;
        }
        int u0 = first * p.strideX() - p.tX() + p.cx() - run.kxLo();
        for (int b = 0; b < blocks; b++) {
          int x = ((b * bandRows + vTop - vLo) * cw + u0) * L;
          int wi = ((b * kk) + kyLo * p.kW() + run.kxLo()) * L;
          int at = first * cRead + b * L;
          columns(cg, x, ps, wb, wi, kyHi - kyLo, rowStep, p.kW() * L, nkx, o, at, cRead, run.columns());
        }
      }
      copyOut(p, o, gradIn, t, iy, blocks);
    }
  }

  /**
   * One run of {@code n} columns of one channel block: blocks of 8 pixels, the last one moved back to end with the
   * run (overlapping), runs of 4–7 the same with 4, shorter ones pixel by pixel.
   */
  private static void columns(float[] cg, int x, int ps, float[] wb, int wi, int rows, int rowStep, int wRowStep,
      int nkx, float[] o, int at, int os, int n) {
    if (n >= 8) {
      for (int q = 0; ; q += 8) {
        int q0 = Math.min(q, n - 8);
        sum8(cg, x + q0 * ps, ps, wb, wi, rows, rowStep, wRowStep, nkx, o, at + q0 * os, os);
        if (q0 == n - 8) {
          return;
        }
      }
    }
    if (n >= 4) {
      sum4(cg, x, ps, wb, wi, rows, rowStep, wRowStep, nkx, o, at, os);
      sum4(cg, x + (n - 4) * ps, ps, wb, wi, rows, rowStep, wRowStep, nkx, o, at + (n - 4) * os, os);
      return;
    }
    for (int q = 0; q < n; q++) {
      sum1(cg, x + q * ps, wb, wi, rows, rowStep, wRowStep, nkx, o, at + q * os);
    }
  }

  private static void sum8(float[] cg, int x, int ps, float[] wb, int wi, int rows, int rowStep, int wRowStep,
      int nkx, float[] o, int at, int os) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector a4 = a0;
    FloatVector a5 = a0;
    FloatVector a6 = a0;
    FloatVector a7 = a0;
    for (int r = 0; r < rows; r++) {
      for (int kx = 0; kx < nkx; kx++) {
        FloatVector wv = FloatVector.fromArray(S, wb, wi + kx * L);
        int xi = x - kx * L;
        a0 = FloatVector.fromArray(S, cg, xi).fma(wv, a0);
        a1 = FloatVector.fromArray(S, cg, xi + ps).fma(wv, a1);
        a2 = FloatVector.fromArray(S, cg, xi + 2 * ps).fma(wv, a2);
        a3 = FloatVector.fromArray(S, cg, xi + 3 * ps).fma(wv, a3);
        a4 = FloatVector.fromArray(S, cg, xi + 4 * ps).fma(wv, a4);
        a5 = FloatVector.fromArray(S, cg, xi + 5 * ps).fma(wv, a5);
        a6 = FloatVector.fromArray(S, cg, xi + 6 * ps).fma(wv, a6);
        a7 = FloatVector.fromArray(S, cg, xi + 7 * ps).fma(wv, a7);
      }
      x += rowStep;
      wi += wRowStep;
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

  private static void sum4(float[] cg, int x, int ps, float[] wb, int wi, int rows, int rowStep, int wRowStep,
      int nkx, float[] o, int at, int os) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    for (int r = 0; r < rows; r++) {
      for (int kx = 0; kx < nkx; kx++) {
        FloatVector wv = FloatVector.fromArray(S, wb, wi + kx * L);
        int xi = x - kx * L;
        a0 = FloatVector.fromArray(S, cg, xi).fma(wv, a0);
        a1 = FloatVector.fromArray(S, cg, xi + ps).fma(wv, a1);
        a2 = FloatVector.fromArray(S, cg, xi + 2 * ps).fma(wv, a2);
        a3 = FloatVector.fromArray(S, cg, xi + 3 * ps).fma(wv, a3);
      }
      x += rowStep;
      wi += wRowStep;
    }
    a0.intoArray(o, at);
    a1.intoArray(o, at + os);
    a2.intoArray(o, at + 2 * os);
    a3.intoArray(o, at + 3 * os);
  }

  private static void sum1(float[] cg, int x, float[] wb, int wi, int rows, int rowStep, int wRowStep, int nkx,
      float[] o, int at) {
    FloatVector a0 = FloatVector.zero(S);
    for (int r = 0; r < rows; r++) {
      for (int kx = 0; kx < nkx; kx++) {
        a0 = FloatVector.fromArray(S, cg, x - kx * L).fma(FloatVector.fromArray(S, wb, wi + kx * L), a0);
      }
      x += rowStep;
      wi += wRowStep;
    }
    a0.intoArray(o, at);
  }

  /**
   * Destination rows {@code [vLo, vLo + rows)} of image t (clip-relative), every clip column, into
   * {@code G[block][row][column][L]}, channels past those read as zeros.
   */
  private static void copyIn(ConvProblem p, float[] g, int t, int vLo, int rows, int blocks, float[] cg) {
    final int dc = p.dstC();
    final int cw = p.clipW();
    final int full = p.cinRead() / L;
    final int plane = rows * cw * L;
    for (int r = 0; r < rows; r++) {
      int src = (p.dstImage0() + t) * p.dstImageSize() + (p.clipY() + vLo + r) * p.dstW() * dc + p.clipX() * dc
          + p.dfo();
      int dst = r * cw * L;
      for (int u = 0; u < cw; u++, src += dc, dst += L) {
        for (int b = 0; b < full; b++) {
          FloatVector.fromArray(S, g, src + b * L).intoArray(cg, dst + b * plane);
        }
      }
      if (full < blocks) {
        copyTail(g, src - cw * dc + full * L, dc, cg, dst - cw * L + full * plane, cw,
            S.indexInRange(full * L, p.cinRead()));
      }
    }
  }

  /** The last, partial channel block of one row: lanes outside m read as zeros. */
  private static void copyTail(float[] g, int src, int dc, float[] cg, int dst, int cw, VectorMask<Float> m) {
    for (int u = 0; u < cw; u++) {
      FloatVector.fromArray(S, g, src + u * dc, m).intoArray(cg, dst + u * L);
    }
  }

  /** Row iy of image t from {@code O[column][block·L]} into gradIn, channels below cinRead only. */
  private static void copyOut(ConvProblem p, float[] o, float[] gradIn, int t, int iy, int blocks) {
    final int sc = p.srcC();
    final int cRead = blocks * L;
    final int full = p.cinRead() / L;
    final int out = (p.srcImage0() + t) * p.srcImageSize() + iy * p.srcW() * sc + p.sfo();
    for (int ix = 0; ix < p.srcW(); ix++) {
      for (int b = 0; b < full; b++) {
        FloatVector.fromArray(S, o, ix * cRead + b * L).intoArray(gradIn, out + ix * sc + b * L);
      }
    }
    if (full < blocks) {
      copyOutTail(o, full * L, cRead, gradIn, out + full * L, sc, p.srcW(), S.indexInRange(full * L, p.cinRead()));
    }
  }

  private static void copyOutTail(float[] o, int from, int cRead, float[] gradIn, int at, int sc, int columns,
      VectorMask<Float> m) {
    for (int ix = 0; ix < columns; ix++) {
      FloatVector.fromArray(S, o, from + ix * cRead).intoArray(gradIn, at + ix * sc, m);
    }
  }
}

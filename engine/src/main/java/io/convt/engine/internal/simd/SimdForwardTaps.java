package io.convt.engine.internal.simd;

import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvGeometry;
import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * TAPS forward pass for few output channels (sr_x2, dcgan_out: 3 outputs) on one group: each source row becomes a
 * tap matrix {@code Y[ix][ky][kx'][o] = Σ_ci x[iy][ix][ci] · w[o][ky][kW−1−kx'][ci]} (a GEMM whose lanes are
 * (tap, output channel) pairs: every lane is used, no horizontal sums, the source read in place), and each kernel
 * row of a pixel is then added as one contiguous run into the output row it reaches (kernel columns reversed, so
 * the run's destination columns ascend). Output-channel lanes would leave 13 of 16 lanes empty and input-channel
 * lanes (DOT) spend as long on horizontal sums as on the products; pixel lanes need the NHWC source transposed.
 *
 * <p>A task owns a chunk of output rows of one image and recomputes the tap matrix of the source rows it shares
 * with the next chunk; each output element is summed by one task in a fixed order (source rows ascending, then a
 * fixed order of pixels), whatever the thread count.
 */
final class SimdForwardTaps {
  private static final int L = SimdForward.L;
  /** Pixels per register block ({@link MicroTaps}). */
  static final int PIXELS = 8;
  /**
   * Vectors of tap lanes per register block: 8 × 3 accumulators need the 32 registers of AVX-512, which comes with
   * 16-float vectors; with 8-float vectors (AVX2: 16 registers) one vector, 8 accumulators.
   */
  static final int MAX_VECTORS = L >= 16 ? 3 : 1;
  /** Most floats of one source row's tap matrix (the path is chosen only below it). */
  static final int MAX_TAP_ROW_FLOATS = 1 << 20;

  private SimdForwardTaps() {}

  /** Whether the TAPS path serves this geometry: one group, fewer outputs than a vector, rows of a register block. */
  static boolean fits(ConvGeometry p) {
    long tapRow = (long) p.srcW() * width(p.kH(), p.kW(), p.cout());
    return p.groups() == 1 && p.cout() < L && p.srcW() >= PIXELS && tapRow <= MAX_TAP_ROW_FLOATS
        && 2L * p.kH() * p.kW() * p.cout() >= L;
  }

  /** Tap lanes per pixel: {@code kH·kW·cout} rounded up to whole vectors. */
  static int width(int kH, int kW, int cout) {
    return (kH * kW * cout + L - 1) / L * L;
  }

  /**
   * Packed weights: {@link Micro#ALIGN_PAD} zeros, then per block of up to {@link #MAX_VECTORS} vectors of tap lanes
   * starting at lane c0, {@code [ci][width]} (so block c0 starts at {@code c0·cin}); lane
   * {@code (ky·kW + kx')·cout + o} holds {@code w[o][ky][kW−1−kx'][ci]}, zeros for lanes past the taps and for input
   * channels not read.
   */
  static float[] pack(ConvGeometry p, float[] w) {
    int cin = p.cin();
    int cout = p.cout();
    int tp = width(p.kH(), p.kW(), cout);
    int read = Math.min(cin, p.cinRead());
    float[] d = new float[Micro.ALIGN_PAD + cin * tp];
    for (int ky = 0; ky < p.kH(); ky++) {
      for (int kx = 0; kx < p.kW(); kx++) {
        for (int o = 0; o < cout; o++) {
          int t = (ky * p.kW() + p.kW() - 1 - kx) * cout + o;
          int c0 = t / (MAX_VECTORS * L) * (MAX_VECTORS * L);
          int wide = Math.min(MAX_VECTORS * L, tp - c0);
          int from = ((o * p.kH() + ky) * p.kW() + kx) * cin;
          for (int ci = 0; ci < read; ci++) {
            d[Micro.ALIGN_PAD + c0 * cin + ci * wide + t - c0] = w[from + ci];
          }
        }
      }
    }
    return d;
  }

  static void run(ConvProblem p, float[] src, float[] wp, float[] bias, Activation neuron, float[] dst, int threads) {
    final int cout = p.cout();
    final int kW = p.kW();
    final int kH = p.kH();
    final int sX = p.strideX();
    final int tp = width(kH, kW, cout);
    // a run: the kernel columns of one kernel row that land on adjacent destination columns (all of them without
    // dilation), as one contiguous span of tap lanes and of the row buffer
    final int runKx = p.dilX() == 1 ? kW : 1;
    final int run = runKx * cout;
    final int runVectors = (run + L - 1) / L;
    final VectorMask<Float> tail = VectorMask.fromLong(Micro.S, run % L == 0 ? 0 : (-1L << (run % L)) & (-1L >>> (64 - L)));
    // destination column of pixel 0's reversed kernel column 0 (kx = kW − 1); the row buffer starts at column
    // min(0, that) and ends past both the clip and the last pixel's reach
    final int uFirst = p.cx() - p.tX() - p.dilX() * (kW - 1);
    final int uLast = (p.srcW() - 1) * sX + p.cx() - p.tX();
    final int off0 = Math.max(0, -uFirst);
    final int rowFloats = (off0 + Math.max(uLast + 1, p.clipW())) * cout + runVectors * L;
    // pixels added in interleaved passes whose runs do not overlap: a whole-vector load right after an overlapping
    // store of the previous pixel would wait for store forwarding
    final int passes = Math.max(1, Math.min(p.srcW(), (runVectors * L + sX * cout - 1) / (sX * cout)));
    final int read = Math.min(p.cin(), p.cinRead());
    final int rows = taskRows(p, rowFloats, threads);
    final int chunks = (p.clipH() + rows - 1) / rows;
    final float[] biasRow = bias != null && neuron.isIdentity() && p.dstC() == cout ? tile(bias, cout, p.clipW()) : null;
    Parallel.forClaimed(p.images() * chunks, threads, task -> {
      // the tap matrix and row buffers come from the thread's scratch (a per-call ~220–280 KiB for sr_x2 and
      // dcgan_out landed on fresh heap pages); the rows are zeroed here and every tap lane read is written first
      float[] taps = ThreadScratch.floats(ThreadScratch.Slot.TAP_MATRIX, p.srcW() * tp + L);
      float[] buf = ThreadScratch.floats(ThreadScratch.Slot.ROW_SUMS, rows * rowFloats);
      int t = task / chunks;
      int v0 = task % chunks * rows;
      int v1 = Math.min(p.clipH(), v0 + rows);
      java.util.Arrays.fill(buf, 0, (v1 - v0) * rowFloats, 0f);
      int srcImage = (p.srcImage0() + t) * p.srcImageSize() + p.sfo();
      int reach = p.tY() - p.cy();
      int iyLo = Math.max(0, Math.floorDiv(v0 + reach + p.strideY() - 1, p.strideY()));
      int iyHi = Math.min(p.srcH() - 1, Math.floorDiv(v1 - 1 + reach + p.dilY() * (kH - 1), p.strideY()));
      for (int iy = iyLo; iy <= iyHi; iy++) {
        boolean reached = false;
        for (int ky = 0; ky < kH && !reached; ky++) {
          int v = iy * p.strideY() - reach - p.dilY() * ky;
          reached = v >= v0 && v < v1;
        }
        if (!reached) {
          continue;
        }
        tapRow(p, src, srcImage + iy * p.srcW() * p.srcC(), read, wp, tp, taps);
        for (int ky = 0; ky < kH; ky++) {
          int v = iy * p.strideY() - reach - p.dilY() * ky;
          if (v < v0 || v >= v1) {
            continue;
          }
          int rowAt = (v - v0) * rowFloats + (off0 + uFirst) * cout;
          for (int pass = 0; pass < passes; pass++) {
            for (int ix = pass; ix < p.srcW(); ix += passes) {
              int y0 = ix * tp + ky * kW * cout;
              int b0 = rowAt + ix * sX * cout;
              for (int kx0 = 0; kx0 < kW; kx0 += runKx) {
                addRun(taps, y0 + kx0 * cout, buf, b0 + p.dilX() * kx0 * cout, run, tail);
              }
            }
          }
        }
      }
      for (int v = v0; v < v1; v++) {
        finish(p, buf, (v - v0) * rowFloats + off0 * cout, dst, t, v, bias, biasRow, neuron);
      }
      ThreadScratch.keep(ThreadScratch.Slot.TAP_MATRIX, taps);
      ThreadScratch.keep(ThreadScratch.Slot.ROW_SUMS, buf);
    });
  }

  /** Output rows per task: row buffers of at most ~256 KiB, cut while the tasks would not keep two per thread busy. */
  private static int taskRows(ConvProblem p, int rowFloats, int threads) {
    int rows = Math.max(1, Math.min(p.clipH(), (1 << 16) / rowFloats));
    while (threads > 1 && rows > 4 && (long) p.images() * ((p.clipH() + rows - 1) / rows) < 2L * threads) {
      rows = (rows + 1) / 2;
    }
    return rows;
  }

  /** Tap matrix of one source row (first input channel at {@code row}) into {@code y[ix·tp ..]}. */
  private static void tapRow(ConvProblem p, float[] src, int row, int read, float[] wp, int tp, float[] y) {
    final int sc = p.srcC();
    final int w = p.srcW();
    for (int c0 = 0; c0 < tp; c0 += MAX_VECTORS * L) {
      int nv = Math.min(MAX_VECTORS, (tp - c0) / L);
      int b0 = Micro.ALIGN_PAD + c0 * p.cin();
      for (int ix = 0; ix < w; ix += PIXELS) {
        // the last block overlaps the one before: same sums, stored again (the plan ensures w >= PIXELS)
        int x0 = Math.min(ix, w - PIXELS);
        int a0 = row + x0 * sc;
        int at = x0 * tp + c0;
        if (nv == 3) {
          MicroTaps.y8x3(src, a0, sc, wp, b0, read, y, at, tp);
        } else if (nv == 2) {
          MicroTaps.y8x2(src, a0, sc, wp, b0, read, y, at, tp);
        } else {
          MicroTaps.y8x1(src, a0, sc, wp, b0, read, y, at, tp);
        }
      }
    }
  }

  /**
   * {@code buf[b0 + j] += y[y0 + j]} for j &lt; n, in whole vectors: lanes past n add an exact zero (the tap lanes
   * there belong to another run, or are padding that may hold 0·∞), which leaves the buffer's values as they are.
   */
  private static void addRun(float[] y, int y0, float[] buf, int b0, int n, VectorMask<Float> tail) {
    int j = 0;
    for (; j + L <= n; j += L) {
      FloatVector.fromArray(SimdForward.S, buf, b0 + j).add(FloatVector.fromArray(SimdForward.S, y, y0 + j))
          .intoArray(buf, b0 + j);
    }
    if (j < n) {
      FloatVector add = FloatVector.fromArray(SimdForward.S, y, y0 + j).blend(0f, tail);
      FloatVector.fromArray(SimdForward.S, buf, b0 + j).add(add).intoArray(buf, b0 + j);
    }
  }

  /** {@code bias} repeated for {@code columns} pixels, plus a vector of slack. */
  private static float[] tile(float[] bias, int cout, int columns) {
    float[] row = new float[columns * cout + L];
    for (int i = 0; i < columns * cout; i++) {
      row[i] = bias[i % cout];
    }
    return row;
  }

  /** Writes clip row v of image t from {@code buf[from + u·cout + o]}: bias added, neuron applied. */
  private static void finish(ConvProblem p, float[] buf, int from, float[] dst, int t, int v, float[] bias,
      float[] biasRow, Activation neuron) {
    final int cout = p.cout();
    final int n = p.clipW() * cout;
    int at = (p.dstImage0() + t) * p.dstImageSize() + ((p.clipY() + v) * p.dstW() + p.clipX()) * p.dstC() + p.dfo();
    if (neuron.isIdentity() && p.dstC() == cout) {
      if (bias == null) {
        System.arraycopy(buf, from, dst, at, n);
        return;
      }
      int j = 0;
      for (; j + L <= n; j += L) {
        FloatVector.fromArray(SimdForward.S, buf, from + j).add(FloatVector.fromArray(SimdForward.S, biasRow, j))
            .intoArray(dst, at + j);
      }
      for (; j < n; j++) {
        dst[at + j] = buf[from + j] + biasRow[j];
      }
      return;
    }
    for (int u = 0; u < p.clipW(); u++) {
      for (int o = 0; o < cout; o++) {
        float y = buf[from + u * cout + o];
        if (bias != null) {
          y += bias[o];
        }
        dst[at + u * p.dstC() + o] = neuron.isIdentity() ? y : neuron.apply(y, o);
      }
    }
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised forward pass (FLOAT accumulation). Stride decomposition: destination columns {@code u, u+sX, u+2sX,
 * u+3sX} hit the same kernel columns with source columns one apart, so four such pixels form a register block
 * and no tap ever multiplies an inserted zero. Three micro-kernels, chosen by {@link SimdPlan}: Cout lanes × 4
 * pixels (dense), input-channel lanes with a horizontal sum (small Cout on small images), channel lanes (depthwise),
 * and (kernel tap, output channel) lanes for small Cout ({@link SimdForwardTaps}).
 */
final class SimdForward {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();
  /** Pixels per register block. */
  static final int PB = 4;

  private SimdForward() {}

  static void run(SimdPlan plan, ConvProblem p, float[] src, float[] w, float[] bias, Activation neuron, float[] dst,
      int threads) {
    if (plan.pointwise() && plan.forwardKind() == SimdPlan.Kind.DENSE) {
      SimdPointwise.forward(plan, p, src, w, bias, neuron, dst, threads);
      return;
    }
    if (plan.forwardKind() == SimdPlan.Kind.TAPS) {
      SimdForwardTaps.run(p, src, plan.forwardWeights(w), bias, neuron, dst, threads);
      return;
    }
    if (plan.forwardKind() == SimdPlan.Kind.DENSE) {
      runDense(plan, p, src, plan.forwardWeights(w), bias, neuron, dst, threads);
      return;
    }
    final float[] packed = plan.forwardWeights(w);
    final SimdPlan.ColumnBlock[] blocks = plan.columnBlocks();
    final long[] colMask = plan.forwardColumnMasks();
    final int rs = p.cout() + 2 * L;
    int rows = p.images() * p.clipH();
    final boolean depthwise = plan.forwardKind() == SimdPlan.Kind.DEPTHWISE;
    Parallel.forRange(rows, threads, (from, to) -> {
      int[] iys = new int[p.kH()];
      int[] kys = new int[p.kH()];
      float[] rowOut = depthwise ? new float[PB * p.cout() + L] : new float[p.clipW() * rs + 2 * L];
      float[] acc = new float[12 * L];
      int[] aOff = new int[p.kH() * p.kW()];
      int[] bOff = new int[p.kH() * p.kW()];
      int[] pixelIn = new int[PB];
      int[] pixelOut = new int[PB];
      for (int r = from; r < to; r++) {
        int t = r / p.clipH();
        int v = r % p.clipH();
        int nTaps = rowTaps(p, v, kys, iys);
        int srcBase = (p.srcImage0() + t) * p.srcImageSize();
        int dstRow = dstRow(p, t, v);
        if (depthwise) {
          depthwiseRow(plan, p, src, packed, srcBase, kys, iys, nTaps, bias, neuron, dst, dstRow, aOff, bOff,
              rowOut, pixelIn, pixelOut);
          continue;
        }
        for (SimdPlan.ColumnBlock block : blocks) {
          SimdForwardDot.dot(p, src, w, srcBase, kys, iys, nTaps, colMask[block.firstColumn()], block.firstColumn(),
              block.pixels(), rowOut, rs, acc);
        }
        for (int u = 0; u < p.clipW(); u++) {
          finish(rowOut, u * rs, dst, dstRow + u * p.dstC(), 0, p.cout(), bias, neuron);
        }
      }
    });
  }

  /**
   * DENSE forward, in the tasks of {@link ForwardTasks}: one block's packed weights ({@code Cin·kH·kW·cb} floats)
   * stay in L2 while a chunk's rows stream past (rows outermost would re-read the whole weight tensor from L3 for every
   * row, leaving the micro-kernel memory-bound), and at N = 1 the threads split the channel blocks instead of each
   * reading every block's weights for half the rows. Within a task, groups of rows ({@link #rowsPerGroup}) accumulate
   * in row buffers in the order of {@link DenseForwardRows}. Every output element is summed by one task in a fixed
   * order, whatever the thread count or the task split.
   */
  private static void runDense(SimdPlan plan, ConvProblem p, float[] src, float[] packed, float[] bias,
      Activation neuron, float[] dst, int threads) {
    final int rows = p.images() * p.clipH();
    final int cb = plan.cb();
    final ForwardTasks tasks = ForwardTasks.of(p, rows, cb, threads);
    final int chunk = tasks.chunk();
    final int rowFloats = (p.clipW() + 1) * cb;
    final int group = rowsPerGroup(rowFloats);
    final DenseColumns columns = DenseColumns.of(p, plan.cb() / L);
    final boolean direct = direct(p, cb, columns, neuron);
    final float[] biasOrNone = bias != null ? bias : negativeZeros(p.cout());
    Parallel.forClaimed(tasks.count(), threads, task -> {
      RowScratch sc = new RowScratch(p.kH(), group, group * rowFloats);
      int r0 = tasks.chunkOf(task) * chunk;
      int r1 = Math.min(rows, r0 + chunk);
      int gr = tasks.groupOf(task);
      int oc0 = tasks.blockOf(task) * cb;
      int o = gr * p.cog() + oc0;
      int no = Math.min(cb, p.cog() - oc0);
      // groups of equal size (a chunk of 16 rows in groups of 15 ran one group of a single row)
      int step = (r1 - r0 + (r1 - r0 + group - 1) / group - 1) / ((r1 - r0 + group - 1) / group);
      for (int g0 = r0; g0 < r1; g0 += step) {
        int g1 = Math.min(r1, g0 + step);
        for (int r = g0; r < g1; r++) {
          int nTaps = rowTaps(p, r % p.clipH(), sc.kys, sc.iys);
          int srcBase = (p.srcImage0() + r / p.clipH()) * p.srcImageSize() + p.sfo() + gr * p.cig();
          java.util.Arrays.fill(sc.tapRows, (r - g0) * p.kH(), (r - g0 + 1) * p.kH(), -1);
          for (int ti = 0; ti < nTaps; ti++) {
            sc.tapRows[(r - g0) * p.kH() + sc.kys[ti]] = srcBase + sc.iys[ti] * p.srcW() * p.srcC();
          }
        }
        if (direct) {
          for (int r = g0; r < g1; r++) {
            sc.dstRows[r - g0] = dstRow(p, r / p.clipH(), r % p.clipH());
          }
          DenseForwardRows.sumDirect(columns, p, src, packed, sc.tapRows, g1 - g0, gr, oc0, cb, dst, sc.dstRows, o,
              biasOrNone);
          continue;
        }
        DenseForwardRows.sum(plan, columns, p, src, packed, sc.tapRows, g1 - g0, sc.acc, rowFloats, gr, oc0);
        for (int r = g0; r < g1; r++) {
          finishRow(sc.acc, (r - g0) * rowFloats, cb, dst, dstRow(p, r / p.clipH(), r % p.clipH()), p.dstC(), o, no,
              p.clipW(), bias, neuron);
        }
      }
      sc.release();
    });
  }

  /**
   * A DENSE row task's scratch, forward and data gradient: tap rows of a group of rows and their sums (one group of
   * rows' sums, {@link #rowsPerGroup}: 256 KiB unless a single row is longer), taken from the thread's
   * {@link ThreadScratch} for one task and given back by {@link #release}. Allocated per call it cost ~10 % of a
   * small layer's forward (dcgan_l2 at N = 1), the JVM zeroing fresh pages for it on every call. Contents are
   * undefined: every tap row is set before it is read and every sum is stored before it is added to.
   */
  static final class RowScratch {
    final int[] iys;
    final int[] kys;
    final int[] tapRows;
    final int[] dstRows;
    final float[] acc;

    /** The calling thread's arrays of at least these sizes (taken out until {@link #release}). */
    RowScratch(int kH, int group, int accFloats) {
      iys = ThreadScratch.ints(ThreadScratch.Slot.ROW_SOURCE_ROWS, kH);
      kys = ThreadScratch.ints(ThreadScratch.Slot.ROW_KERNEL_ROWS, kH);
      tapRows = ThreadScratch.ints(ThreadScratch.Slot.ROW_TAP_STARTS, group * kH);
      dstRows = ThreadScratch.ints(ThreadScratch.Slot.ROW_DESTINATIONS, group);
      acc = ThreadScratch.floats(ThreadScratch.Slot.ROW_SUMS, accFloats);
    }

    /** Puts the arrays back in the thread's slots for its next task. */
    void release() {
      ThreadScratch.keep(ThreadScratch.Slot.ROW_SOURCE_ROWS, iys);
      ThreadScratch.keep(ThreadScratch.Slot.ROW_KERNEL_ROWS, kys);
      ThreadScratch.keep(ThreadScratch.Slot.ROW_TAP_STARTS, tapRows);
      ThreadScratch.keep(ThreadScratch.Slot.ROW_DESTINATIONS, dstRows);
      ThreadScratch.keep(ThreadScratch.Slot.ROW_SUMS, acc);
    }
  }

  /**
   * Whether every output of the DENSE forward is one micro-kernel call's sum, stored finished
   * ({@link DenseForwardRows#sumDirect}): four-vector blocks filling Cout/group, one channel chunk
   * ({@link #forwardKc}), no neuron, and each clip pixel reached by exactly one kernel tap (stride = kernel, no
   * dilation, such as unet_up's k2 s2; edges a tap does not reach keep the row buffers, which hold the bias alone).
   */
  static boolean direct(ConvProblem p, int cb, DenseColumns columns, Activation neuron) {
    if (cb != 4 * L || p.cog() % cb != 0 || !neuron.isIdentity() || p.cig() > forwardKc(cb)
        || DenseForwardRows.kernelRowsKc(p, cb) != 0 || !columns.coverEachColumnOnce(p.clipW(), p.strideX())) {
      return false;
    }
    int[] kys = new int[p.kH()];
    int[] iys = new int[p.kH()];
    for (int v = 0; v < p.clipH(); v++) {
      if (rowTaps(p, v, kys, iys) != 1) {
        return false;
      }
    }
    return true;
  }

  /** -0.0 for every channel: the bias of a layer without one (x + -0.0 is x, signed zeros included). */
  private static float[] negativeZeros(int n) {
    float[] z = new float[n + 4 * L];
    java.util.Arrays.fill(z, -0f);
    return z;
  }

  /**
   * Rows per task: the L2 chunk, cut smaller when several threads would get fewer than two tasks each (dcgan_l4 at
   * N = 1: 64 rows and one block), but never below 4 rows (each task re-reads its block's weights).
   */
  static int taskRows(int rows, int l2Chunk, int blocks, int threads) {
    int chunk = Math.min(rows, l2Chunk);
    while (threads > 1 && chunk > 4 && (long) ((rows + chunk - 1) / chunk) * blocks < 2L * threads) {
      chunk = (chunk + 1) / 2;
    }
    return Math.max(1, chunk);
  }

  /**
   * Rows per forward task: as {@link #taskRows}, but the chunks of equal size (56 rows in chunks of 18 left a task
   * of 2 rows, so one of two threads ran 36 rows and the other 20), and with more than one thread the task count a
   * multiple of the thread count where chunks of at least 4 rows allow it, so no thread idles through a last task.
   */
  static int balancedTaskRows(int rows, int l2Chunk, int blocks, int threads) {
    int chunks = (rows + taskRows(rows, l2Chunk, blocks, threads) - 1) / taskRows(rows, l2Chunk, blocks, threads);
    while (threads > 1 && (long) chunks * blocks % threads != 0 && rows / (chunks + 1) >= 4) {
      chunks++;
    }
    return (rows + chunks - 1) / chunks;
  }

  /**
   * Input channels per chunk of a DENSE forward row with blocks of cb channels: one tap's panel of a chunk fills
   * {@link L1Data#panelFloats} (16 KiB on a 32 KiB L1D, 32 KiB on a 48 KiB one). Deeper panels halve the
   * accumulator loads and stores per FMA (they come from the L2-resident row buffers): 6-20 % on the dense layers
   * of a 48 KiB-L1D core.
   */
  static int forwardKc(int cb) {
    return Math.max(1, L1Data.panelFloats() / cb);
  }

  /** Input channels per chunk of a DENSE row with blocks of cb channels: one tap's panel of a chunk is 16 KiB. */
  static int kc(int cb) {
    return 4096 / cb;
  }

  /**
   * Rows whose accumulators share one pass over each weight panel: up to 32 rows and 256 KiB of row buffers. Small
   * images (dcgan_l2: 16 output columns, two register blocks per row phase) otherwise reuse a panel only twice.
   */
  static int rowsPerGroup(int rowFloats) {
    return Math.max(1, Math.min(32, (1 << 16) / rowFloats));
  }

  /** Output rows per chunk: their source rows (about one per output row) fill at most ~512 KiB of L2. */
  static int rowChunk(int floatsPerSourceRow) {
    return Math.max(1, (1 << 17) / Math.max(1, floatsPerSourceRow));
  }

  /** Kernel rows (and their source rows) that reach destination row v of the clip; returns how many. */
  private static int rowTaps(ConvProblem p, int v, int[] kys, int[] iys) {
    int nTaps = 0;
    for (int ky = 0; ky < p.kH(); ky++) {
      int zy = p.tY() + v - p.cy() + p.dilY() * ky;
      if (zy >= 0 && zy < p.zH() && zy % p.strideY() == 0) {
        kys[nTaps] = ky;
        iys[nTaps++] = zy / p.strideY();
      }
    }
    return nTaps;
  }

  /** Index of the first channel of clip row v, column 0, of image t in the destination. */
  private static int dstRow(ConvProblem p, int t, int v) {
    return (p.dstImage0() + t) * p.dstImageSize() + ((p.clipY() + v) * p.dstW() + p.clipX()) * p.dstC() + p.dfo();
  }

  /**
   * {@link #finish} for the {@code width} pixels of a row buffer ({@code cb} floats apart) into destination pixels
   * {@code dstC} apart. A full block of 2L or 4L channels without a neuron keeps its bias in registers for the whole
   * row: groups4 (Cin/group 32, four taps: 256 FMA instructions per pixel) spent ~12 % of its forward finishing
   * pixel by pixel.
   */
  private static void finishRow(float[] acc, int from, int cb, float[] dst, int at, int dstC, int o, int no,
      int width, float[] bias, Activation neuron) {
    if (!neuron.isIdentity() || bias == null || no != cb || (cb != 2 * L && cb != 4 * L)) {
      for (int u = 0; u < width; u++) {
        finish(acc, from + u * cb, dst, at + u * dstC, o, no, bias, neuron);
      }
      return;
    }
    FloatVector b0 = FloatVector.fromArray(S, bias, o);
    FloatVector b1 = FloatVector.fromArray(S, bias, o + L);
    if (cb == 2 * L) {
      for (int u = 0, a = from, d = at + o; u < width; u++, a += cb, d += dstC) {
        FloatVector.fromArray(S, acc, a).add(b0).intoArray(dst, d);
        FloatVector.fromArray(S, acc, a + L).add(b1).intoArray(dst, d + L);
      }
      return;
    }
    FloatVector b2 = FloatVector.fromArray(S, bias, o + 2 * L);
    FloatVector b3 = FloatVector.fromArray(S, bias, o + 3 * L);
    for (int u = 0, a = from, d = at + o; u < width; u++, a += cb, d += dstC) {
      FloatVector.fromArray(S, acc, a).add(b0).intoArray(dst, d);
      FloatVector.fromArray(S, acc, a + L).add(b1).intoArray(dst, d + L);
      FloatVector.fromArray(S, acc, a + 2 * L).add(b2).intoArray(dst, d + 2 * L);
      FloatVector.fromArray(S, acc, a + 3 * L).add(b3).intoArray(dst, d + 3 * L);
    }
  }

  /** {@code dst[at + j] = neuron(acc[from + j] + bias[o + j], o + j)} for j &lt; n. */
  static void finish(
      float[] acc, int from, float[] dst, int at, int o, int n, float[] bias, Activation neuron) {
    if (neuron.isIdentity()) {
      // no per-element call: Neuron.apply is too big for C2 to inline
      if (bias == null) {
        System.arraycopy(acc, from, dst, at + o, n);
      } else {
        int j = 0;
        for (; j <= n - L; j += L) {
          FloatVector.fromArray(S, acc, from + j).add(FloatVector.fromArray(S, bias, o + j)).intoArray(dst, at + o + j);
        }
        for (; j < n; j++) {
          dst[at + o + j] = acc[from + j] + bias[o + j];
        }
      }
      return;
    }
    for (int j = 0; j < n; j++) {
      float y = acc[from + j];
      if (bias != null) {
        y += bias[o + j];
      }
      dst[at + o + j] = neuron.apply(y, o + j);
    }
  }

  /**
   * Depthwise (one input and one output channel per group), one destination row: channel lanes over register
   * blocks of up to four pixels of one stride phase (they share taps and weights, their source columns are one
   * apart); each sum stays in a register and is stored once, bias added, straight into the destination (a row buffer
   * and a scalar finishing pass would cost as much as the sums); channels
   * as {@link Micro#tapSumChannels}. A neuron other than identity is applied from a small pixel buffer.
   * {@code d}, {@code e}: scratch for the block's pixel offsets. Packed weights: [ky][kx][coutPad], zeros for channels not read.
   */
  private static void depthwiseRow(SimdPlan plan, ConvProblem p, float[] src, float[] wd, int srcBase, int[] kys,
      int[] iys, int nTaps, float[] bias, Activation neuron, float[] dst, int dstRow, int[] aOff, int[] bOff,
      float[] px, int[] d, int[] e) {
    final SimdPlan.ColumnBlock[] blocks = plan.columnBlocks();
    final int[] blockIx = plan.forwardBlockColumns();
    final long[] colMask = plan.forwardColumnMasks();
    final int sc = p.srcC();
    final int cout = p.cout();
    final int kW = p.kW();
    final int readable = Math.min(cout, p.cinRead());
    final int coutPad = coutPadOf(p.cout());
    final boolean direct = neuron.isIdentity();
    final int step = p.strideX() * p.dstC();
    for (int bi = 0; bi < blocks.length; bi++) {
      int u = blocks[bi].firstColumn();
      int np = blocks[bi].pixels();
      int n = 0;
      for (int ti = 0; ti < nTaps; ti++) {
        int rowBase = srcBase + iys[ti] * p.srcW() * sc + p.sfo();
        int wRow = kys[ti] * kW;
        for (long bits = colMask[u]; bits != 0; bits &= bits - 1) {
          int kx = Long.numberOfTrailingZeros(bits);
          aOff[n] = rowBase + blockIx[bi * kW + kx] * sc;
          bOff[n++] = (wRow + kx) * coutPad;
        }
      }
      for (int q = 0; q < PB; q++) {
        d[q] = q < np ? q * sc : 0;
        e[q] = q < np ? (direct ? q * step : q * cout) : 0;
      }
      float[] out = direct ? dst : px;
      int at = direct ? dstRow + u * p.dstC() : 0;
      Micro.tapSumChannels(src, aOff, d, wd, bOff, n, readable, cout, bias, out, at, e, np);
      if (!direct) {
        for (int q = 0; q < np; q++) {
          int to = dstRow + (u + q * p.strideX()) * p.dstC();
          for (int c = 0; c < cout; c++) {
            dst[to + c] = neuron.apply(px[q * cout + c], c);
          }
        }
      }
    }
  }

  /** Padded channel count of depthwise packed weights. */
  static int coutPadOf(int cout) {
    return (cout + L - 1) / L * L;
  }
}

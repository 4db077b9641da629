package io.convt.engine.internal.simd;

import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvGeometry;
import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SimdPointwise} with one source pixel in all (N = 1 at 1×1, DCGAN's projection): each pass is a
 * matrix-vector product over megabytes of weights used once per call, so its speed is how fast the weights stream.
 * Both directions read packed weights (cached per weights version by {@link WeightPack}, so nothing is re-packed per
 * call) whose rows start on cache lines and hold whole vectors: the forward pass the DENSE panels
 * ({@code [g][Cout block][tap][ci][cb]}, shared with the pass over several pixels) with output-channel lanes, the
 * data gradient {@link #padRows padded OHWI rows} with input-channel lanes. Unaligned 400-byte OHWI rows split a
 * cache line on most vector loads and need masked tails; the packed streams need neither.
 */
final class PointwiseOnePixel {
  private static final VectorSpecies<Float> S = Micro.S;
  private static final int L = Micro.L;

  private PointwiseOnePixel() {}

  /** Floats per padded weight row ({@link #padRows}): the input channels of a group rounded up to whole vectors. */
  static int rowFloats(int cig) {
    return SimdPlan.roundUp(cig, L);
  }

  /**
   * The data-gradient layout of a pointwise plan: {@link Micro#ALIGN_PAD} zeros, then the weight rows tap-major,
   * {@code [group][tap][output channel of the group][rf]}, each row's input channels padded with zeros to
   * {@code rf = }{@link #rowFloats} (a whole number of 64-byte lines with 16 lanes), then {@link MicroPointwise#W8}
   * floats of zeros so an unmasked register block of the last row stays inside the array. Tap-major: a tap's rows
   * meet the gradient's channels of one pixel, which are contiguous, so they are read in place.
   */
  static float[] padRows(ConvGeometry p, float[] w) {
    int cig = p.cig();
    int cog = p.cog();
    int kk = p.kH() * p.kW();
    int rf = rowFloats(cig);
    float[] d = new float[(int) paddedFloats(p)];
    for (int o = 0; o < p.cout(); o++) {
      int gr = o / cog;
      for (int k = 0; k < kk; k++) {
        System.arraycopy(w, (o * kk + k) * cig, d, Micro.ALIGN_PAD + ((gr * kk + k) * cog + o % cog) * rf, cig);
      }
    }
    return d;
  }

  /** Length of {@link #padRows}' array. */
  static long paddedFloats(ConvGeometry p) {
    return Micro.ALIGN_PAD + (long) p.cout() * p.kH() * p.kW() * rowFloats(p.cig()) + MicroPointwise.W8;
  }

  /**
   * Forward pass on the DENSE panels {@code wp}: a task is one panel (group, output-channel block, tap), claimed in
   * memory order in contiguous ranges, so every thread streams its share of the weights once; taps the clip crops
   * are skipped (their pixels got bias and neuron from {@link SimdPointwise}).
   */
  static void forward(SimdPlan plan, ConvProblem p, float[] src, float[] wp, int[] targets, float[] bias,
      Activation neuron, float[] dst, int threads) {
    final int kk = p.kH() * p.kW();
    final int cb = plan.cb();
    final int blocks = plan.cogPad() / cb;
    final int cig = p.cig();
    final int x0 = p.srcImage0() * p.srcImageSize() + p.sfo();
    final int d0 = p.dstImage0() * p.dstImageSize();
    Parallel.forRange(p.groups() * blocks * kk, threads, (from, to) -> {
      float[] acc = new float[cb];
      for (int task = from; task < to; task++) {
        int k = task % kk;
        if (targets[k] < 0) {
          continue;
        }
        int ob = task / kk % blocks;
        int gr = task / (kk * blocks);
        int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
        int wb = Micro.ALIGN_PAD + task * cig * cb;
        if (cb == 4 * L) {
          gemv4(src, x0 + gr * cig, ilEnd, wp, wb, acc);
        } else {
          gemv2(src, x0 + gr * cig, ilEnd, wp, wb, acc);
        }
        SimdForward.finish(acc, 0, dst, d0 + targets[k], gr * p.cog() + ob * cb, Math.min(cb, p.cog() - ob * cb),
            bias, neuron);
      }
    });
  }

  /**
   * Data gradient on the padded rows {@code wp}: a task is (slice of the group's tap-major rows, group, block of
   * {@link MicroPointwise#W8} input channels); a slice's rows of one tap run as one register block over the
   * gradient's channels read in place, into the slice's partial sums, added in slice order at the end (the slices
   * are chosen from the geometry alone, so the sums do not depend on the thread count). Taps the clip crops are
   * skipped, their weights never read.
   */
  static void backwardData(ConvProblem p, float[] g, float[] wp, int[] targets, float[] gradIn, int threads) {
    final int kk = p.kH() * p.kW();
    final int cig = p.cig();
    final int cog = p.cog();
    final int rf = rowFloats(cig);
    final int rows = kk * cog;
    final int slices = Math.max(1, Math.min(SimdPointwise.MAX_SLICES, rows / SimdPointwise.SLICE_ROWS));
    final int nb = (cig + MicroPointwise.W8 - 1) / MicroPointwise.W8;
    final int perGroup = nb * MicroPointwise.W8;
    final int perSlice = p.groups() * perGroup;
    final int d0 = p.dstImage0() * p.dstImageSize();
    final float[] part = partialSums(slices * perSlice);
    Parallel.forClaimed(slices * p.groups() * nb, threads, task -> {
      int b = task % nb;
      int gr = task / nb % p.groups();
      int s = task / (nb * p.groups());
      int c0 = b * MicroPointwise.W8;
      if (c0 >= Math.min(cig, p.cinRead() - gr * cig)) {
        return;
      }
      int r1 = (int) ((long) rows * (s + 1) / slices);
      for (int r = (int) ((long) rows * s / slices); r < r1; ) {
        int k = r / cog;
        int n = Math.min(r1, (k + 1) * cog) - r;
        if (targets[k] >= 0) {
          MicroPointwise.rows8x1(wp, Micro.ALIGN_PAD + (gr * rows + r) * rf + c0, rf, g,
              d0 + targets[k] + gr * cog + r % cog, n, part, s * perSlice + gr * perGroup + c0);
        }
        r += n;
      }
    });
    final int x0 = p.srcImage0() * p.srcImageSize() + p.sfo();
    for (int gr = 0; gr < p.groups(); gr++) {
      int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      for (int il = 0; il < ilEnd; il++) {
        float sum = part[gr * perGroup + il];
        for (int s = 1; s < slices; s++) {
          sum += part[s * perSlice + gr * perGroup + il];
        }
        gradIn[x0 + gr * cig + il] = sum;
      }
    }
    release(part);
  }

  /**
   * Partial sums of at least {@code n} floats, zeroed, taken from the calling thread's {@link ThreadScratch} (for the
   * data gradient's slices, also at several pixels); give them back with {@link #release}. Zeroed here because the
   * kernels add into them. A fresh array each call lands on never-touched young-generation pages, which cost this
   * call half its time (28 µs vs 58 µs per dcgan_proj call measured with and without {@code -XX:+AlwaysPreTouch}).
   */
  static float[] partialSums(int n) {
    float[] a = ThreadScratch.floats(ThreadScratch.Slot.SLICE_SUMS, n);
    java.util.Arrays.fill(a, 0, n, 0f);
    return a;
  }

  /** Gives {@link #partialSums} back to the calling thread once they are read. */
  static void release(float[] partialSums) {
    ThreadScratch.keep(ThreadScratch.Slot.SLICE_SUMS, partialSums);
  }

  /**
   * {@code acc[0 ..4L) = Σ_{i<n} x[x0 + i] · w[w0 + i·4L ..+4L)}: even and odd rows in their own accumulators
   * (eight FMA chains), added at the end.
   */
  static void gemv4(float[] x, int x0, int n, float[] w, int w0, float[] acc) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector b2 = a0;
    FloatVector b3 = a0;
    int i = 0;
    int j = w0;
    for (; i + 1 < n; i += 2, j += 8 * L) {
      FloatVector v = FloatVector.broadcast(S, x[x0 + i]);
      FloatVector u = FloatVector.broadcast(S, x[x0 + i + 1]);
      a0 = v.fma(FloatVector.fromArray(S, w, j), a0);
      a1 = v.fma(FloatVector.fromArray(S, w, j + L), a1);
      a2 = v.fma(FloatVector.fromArray(S, w, j + 2 * L), a2);
      a3 = v.fma(FloatVector.fromArray(S, w, j + 3 * L), a3);
      b0 = u.fma(FloatVector.fromArray(S, w, j + 4 * L), b0);
      b1 = u.fma(FloatVector.fromArray(S, w, j + 5 * L), b1);
      b2 = u.fma(FloatVector.fromArray(S, w, j + 6 * L), b2);
      b3 = u.fma(FloatVector.fromArray(S, w, j + 7 * L), b3);
    }
    if (i < n) {
      FloatVector v = FloatVector.broadcast(S, x[x0 + i]);
      a0 = v.fma(FloatVector.fromArray(S, w, j), a0);
      a1 = v.fma(FloatVector.fromArray(S, w, j + L), a1);
      a2 = v.fma(FloatVector.fromArray(S, w, j + 2 * L), a2);
      a3 = v.fma(FloatVector.fromArray(S, w, j + 3 * L), a3);
    }
    a0.add(b0).intoArray(acc, 0);
    a1.add(b1).intoArray(acc, L);
    a2.add(b2).intoArray(acc, 2 * L);
    a3.add(b3).intoArray(acc, 3 * L);
  }

  /** {@link #gemv4} for two-vector panels: four rows in flight (eight FMA chains), added in a fixed order. */
  static void gemv2(float[] x, int x0, int n, float[] w, int w0, float[] acc) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector c0 = a0;
    FloatVector c1 = a0;
    FloatVector d0 = a0;
    FloatVector d1 = a0;
    int i = 0;
    int j = w0;
    for (; i + 3 < n; i += 4, j += 8 * L) {
      FloatVector v = FloatVector.broadcast(S, x[x0 + i]);
      a0 = v.fma(FloatVector.fromArray(S, w, j), a0);
      a1 = v.fma(FloatVector.fromArray(S, w, j + L), a1);
      v = FloatVector.broadcast(S, x[x0 + i + 1]);
      b0 = v.fma(FloatVector.fromArray(S, w, j + 2 * L), b0);
      b1 = v.fma(FloatVector.fromArray(S, w, j + 3 * L), b1);
      v = FloatVector.broadcast(S, x[x0 + i + 2]);
      c0 = v.fma(FloatVector.fromArray(S, w, j + 4 * L), c0);
      c1 = v.fma(FloatVector.fromArray(S, w, j + 5 * L), c1);
      v = FloatVector.broadcast(S, x[x0 + i + 3]);
      d0 = v.fma(FloatVector.fromArray(S, w, j + 6 * L), d0);
      d1 = v.fma(FloatVector.fromArray(S, w, j + 7 * L), d1);
    }
    for (; i < n; i++, j += 2 * L) {
      FloatVector v = FloatVector.broadcast(S, x[x0 + i]);
      a0 = v.fma(FloatVector.fromArray(S, w, j), a0);
      a1 = v.fma(FloatVector.fromArray(S, w, j + L), a1);
    }
    a0.add(b0).add(c0.add(d0)).intoArray(acc, 0);
    a1.add(b1).add(c1.add(d1)).intoArray(acc, L);
  }
}

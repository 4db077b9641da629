package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;

/**
 * The bias gradient taken while the weight gradient packs the output gradient ({@link PackedGradient}): each
 * gradient row's channel sums are taken right after the row is packed, while it is still cached, instead of in a
 * second pass over the whole gradient, which on large batches reads it from memory again (groups4 N = 16: 32 MB).
 *
 * <p>The sums are those of {@link SimdBackwardWeights#biasGradient}: a row's sum per channel in float over the pixels
 * in order, then added to a double total per channel in (image, row) order ({@link #add}), so the bits are the same.
 * Rows are kept per slot ({@code [slot][clip row][channel]}): a round image of the dense path, or a task of
 * {@link GroupPhaseWeights}, so rows packed on different threads never share a float.
 */
final class FusedBias {
  private static final int L = Micro.L;
  private final ConvProblem p;
  private final double[] total;
  private final float[] rows;

  /** Bias sums for {@code slots} slots; the row array is the calling thread's ({@link ThreadScratch}). */
  FusedBias(ConvProblem p, int slots) {
    this.p = p;
    this.total = new double[p.cout()];
    this.rows = ThreadScratch.floats(ThreadScratch.Slot.BIAS_ROWS, slots * p.clipH() * p.cout());
  }

  /** Float sums of channels {@code c0..c0+count} of clip row v of image {@code image}, into slot {@code slot}. */
  void row(float[] g, int image, int slot, int v, int c0, int count) {
    final int step = p.dstC();
    final int n = p.clipW();
    final int row = (p.dstImage0() + image) * p.dstImageSize() + p.dfo()
        + ((p.clipY() + v) * p.dstW() + p.clipX()) * step + c0;
    final int at = (slot * p.clipH() + v) * p.cout() + c0;
    int o = 0;
    // two channel vectors per pass: two independent add chains (one chain is latency-bound), each in pixel order
    for (; o + 2 * L <= count; o += 2 * L) {
      FloatVector acc0 = FloatVector.zero(Micro.S);
      FloatVector acc1 = FloatVector.zero(Micro.S);
      for (int u = 0, i = row + o; u < n; u++, i += step) {
        acc0 = acc0.add(FloatVector.fromArray(Micro.S, g, i));
        acc1 = acc1.add(FloatVector.fromArray(Micro.S, g, i + L));
      }
      acc0.intoArray(rows, at + o);
      acc1.intoArray(rows, at + o + L);
    }
    for (; o + L <= count; o += L) {
      FloatVector acc = FloatVector.zero(Micro.S);
      for (int u = 0, i = row + o; u < n; u++, i += step) {
        acc = acc.add(FloatVector.fromArray(Micro.S, g, i));
      }
      acc.intoArray(rows, at + o);
    }
    for (; o < count; o++) {
      float acc = 0f;
      for (int u = 0, i = row + o; u < n; u++, i += step) {
        acc += g[i];
      }
      rows[at + o] = acc;
    }
  }

  /** Adds slot {@code slot}'s row sums of channels {@code c0..c0+count} to the totals, rows in order. */
  void add(int slot, int c0, int count) {
    for (int v = 0; v < p.clipH(); v++) {
      int at = (slot * p.clipH() + v) * p.cout();
      for (int o = c0; o < c0 + count; o++) {
        total[o] += rows[at + o];
      }
    }
  }

  /** Writes the totals to {@code gB} and gives the row array back to the calling thread. */
  void store(float[] gB) {
    for (int o = 0; o < p.cout(); o++) {
      gB[o] = (float) total[o];
    }
    ThreadScratch.keep(ThreadScratch.Slot.BIAS_ROWS, rows);
  }
}

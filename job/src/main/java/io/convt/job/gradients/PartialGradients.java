package io.convt.job.gradients;

import io.convt.engine.train.GradientAccumulator;
import io.convt.engine.train.LossSum;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * Gradients of some records, as they travel between tasks: the engine's reproducible {@link GradientAccumulator}
 * (a fixed binary tree over the global record index, so any grouping merges to the same bits) in its byte format,
 * the exact loss sum and the number of records. Only bytes, a string and numbers go through Spark serialisation.
 */
public final class PartialGradients implements Serializable {
  private static final long serialVersionUID = 2L;

  private final int weightCount;
  private final int biasCount;
  private final long first;
  private long records;
  private transient GradientAccumulator sum;
  private byte[] bytes;
  private String loss = new LossSum().toString();

  private PartialGradients(GradientAccumulator sum, int weightCount, int biasCount, long first, long records) {
    this.sum = sum;
    this.weightCount = weightCount;
    this.biasCount = biasCount;
    this.first = first;
    this.records = records;
  }

  /** An empty partial for the slice of records {@code [first, first + count)}. */
  public static PartialGradients forSlice(long first, long count, int weightCount, int biasCount) {
    return new PartialGradients(GradientAccumulator.forRange(first, first + count, weightCount, biasCount),
        weightCount, biasCount, first, 0);
  }

  /** Adds record {@code index}'s gradients (records in increasing order within one slice). */
  public void add(long index, float[] weightGradient, float[] biasGradient) {
    sum().add(index, weightGradient, biasGradient);
    records++;
    bytes = null;
  }

  /** This partial with its slice's loss sum attached. */
  public PartialGradients withLoss(LossSum l) {
    this.loss = l.toString();
    return this;
  }

  /**
   * A slice's partial cut into one part per aligned node of {@code 2^level} records (a larger block is a part of
   * its own), keyed by node start, for the first round of the reduction. The slice's loss rides on its first part.
   * Records are counted per part from the slice's range, every record of which this partial holds.
   */
  public List<Map.Entry<Long, PartialGradients>> splitByNode(int level) {
    long end = first + records;
    if (sum().records() != records) {
      throw new IllegalStateException("Cannot split gradients: " + sum().records() + " of " + records + " records");
    }
    NavigableMap<Long, GradientAccumulator> parts = sum().splitByNode(level);
    List<Map.Entry<Long, PartialGradients>> out = new ArrayList<>(parts.size());
    for (Map.Entry<Long, GradientAccumulator> e : parts.entrySet()) {
      Long next = parts.higherKey(e.getKey());
      long from = Math.max(e.getKey(), first);
      long to = next == null ? end : Math.min(next, end);
      PartialGradients p = new PartialGradients(e.getValue(), weightCount, biasCount, from, Math.max(0, to - from));
      if (out.isEmpty()) {
        p.loss = loss;
      }
      out.add(Map.entry(e.getKey(), p));
    }
    return out;
  }

  /** Merges {@code b} into {@code a} (disjoint records; the bits do not depend on the order) and returns {@code a}. */
  public static PartialGradients merge(PartialGradients a, PartialGradients b) {
    if (a.weightCount != b.weightCount || a.biasCount != b.biasCount) {
      throw new IllegalArgumentException("Cannot merge gradients: sizes differ");
    }
    a.sum().merge(b.sum());
    a.records += b.records;
    LossSum l = LossSum.parse(a.loss);
    l.merge(LossSum.parse(b.loss));
    a.loss = l.toString();
    a.bytes = null;
    return a;
  }

  /** The finished sums, rounded to float, with the loss and record count: what the root sends to the driver. */
  public RootGradients finish() {
    return new RootGradients(sum().weightGradient(), sum().biasGradient(), loss, records);
  }

  private GradientAccumulator sum() {
    if (sum == null) {
      sum = GradientAccumulator.fromBytes(bytes);
      bytes = null;
    }
    return sum;
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    if (bytes == null) {
      bytes = sum.toBytes();
    }
    out.defaultWriteObject();
  }

  /** Records covered (over every merged partial). */
  public long records() {
    return records;
  }
}

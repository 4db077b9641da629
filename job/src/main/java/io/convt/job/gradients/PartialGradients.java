package io.convt.job.gradients;

import io.convt.engine.train.GradientAccumulator;
import io.convt.engine.train.LossSum;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.List;

/**
 * The gradients of one slice of records, as shipped from a task to the driver: the engine's reproducible
 * {@link GradientAccumulator} (a fixed binary tree over the global record index, so any slicing merges to the same
 * bits) in its byte format, plus the exact loss sum. Only bytes and a string travel through Spark serialisation.
 */
public final class PartialGradients implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int weightCount;
  private final int biasCount;
  private transient GradientAccumulator sum;
  private byte[] bytes;
  private String loss = new LossSum().toString();

  private PartialGradients(GradientAccumulator sum, int weightCount, int biasCount) {
    this.sum = sum;
    this.weightCount = weightCount;
    this.biasCount = biasCount;
  }

  /** An empty partial for the slice of records {@code [first, first + count)}. */
  public static PartialGradients forSlice(long first, long count, int weightCount, int biasCount) {
    return new PartialGradients(GradientAccumulator.forRange(first, first + count, weightCount, biasCount),
        weightCount, biasCount);
  }

  /** Adds record {@code index}'s gradients (records in increasing order within one slice). */
  public void add(long index, float[] weightGradient, float[] biasGradient) {
    sum().add(index, weightGradient, biasGradient);
    bytes = null;
  }

  /** This partial with its slice's loss sum attached. */
  public PartialGradients withLoss(LossSum l) {
    this.loss = l.toString();
    return this;
  }

  private GradientAccumulator sum() {
    if (sum == null) {
      sum = GradientAccumulator.fromBytes(bytes);
    }
    return sum;
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    if (bytes == null) {
      bytes = sum.toBytes();
    }
    out.defaultWriteObject();
  }

  /** Bytes of the accumulator's wire form (what a task ships to the driver for this partial). */
  public long serializedSize() {
    if (bytes == null) {
      bytes = sum.toBytes();
    }
    return bytes.length;
  }

  /** Merges the partials (in the given order; the result does not depend on it) into one. */
  public static PartialGradients mergeInOrder(List<PartialGradients> partials) {
    if (partials.isEmpty()) {
      throw new IllegalArgumentException("Cannot merge gradients: no partials");
    }
    PartialGradients first = partials.get(0);
    GradientAccumulator acc = GradientAccumulator.empty(first.weightCount, first.biasCount);
    LossSum loss = new LossSum();
    for (PartialGradients p : partials) {
      acc.merge(p.sum());
      loss.merge(LossSum.parse(p.loss));
    }
    return new PartialGradients(acc, first.weightCount, first.biasCount).withLoss(loss);
  }

  /** The summed weight gradient, OHWI. */
  public float[] weightGradient() {
    return sum().weightGradient();
  }

  /** The summed bias gradient. */
  public float[] biasGradient() {
    return sum().biasGradient();
  }

  /** The exact loss sum. */
  public LossSum loss() {
    return LossSum.parse(loss);
  }

  /** Records added (over every merged partial). */
  public long records() {
    return sum().records();
  }
}

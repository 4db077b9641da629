package io.convt.job.gradients;

import io.convt.engine.train.LossSum;
import io.convt.engine.train.RecordTreeSum;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * The gradients of one slice of a pass, as shipped from a task to the driver: the engine's reproducible
 * {@link RecordTreeSum} over {@code weights ‖ bias} vectors keyed by record position within the pass, plus the exact
 * loss sum. Only bytes and a string travel through Spark serialisation.
 */
public final class PartialGradients implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long passFirst;
  private final long passCount;
  private final int weightCount;
  private final int biasCount;
  private transient RecordTreeSum sum;
  private byte[] bytes;
  private String loss = new LossSum().toString();

  private PartialGradients(long passFirst, long passCount, int weightCount, int biasCount) {
    this.passFirst = passFirst;
    this.passCount = passCount;
    this.weightCount = weightCount;
    this.biasCount = biasCount;
    this.sum = new RecordTreeSum(weightCount + biasCount, passCount);
  }

  /** An empty partial for a pass over records {@code [passFirst, passFirst + passCount)}. */
  public static PartialGradients empty(long passFirst, long passCount, int weightCount, int biasCount) {
    return new PartialGradients(passFirst, passCount, weightCount, biasCount);
  }

  /** Adds record {@code index}'s gradients (records in increasing order within one task). */
  public void add(long index, float[] weightGradient, float[] biasGradient) {
    float[] v = Arrays.copyOf(weightGradient, weightCount + biasCount);
    if (biasGradient != null) {
      System.arraycopy(biasGradient, 0, v, weightCount, biasCount);
    }
    sum().add(index - passFirst, v);
    bytes = null;
  }

  /** This partial with its slice's loss sum attached. */
  public PartialGradients withLoss(LossSum l) {
    this.loss = l.toString();
    return this;
  }

  private RecordTreeSum sum() {
    if (sum == null) {
      sum = RecordTreeSum.fromBytes(bytes);
    }
    return sum;
  }

  private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
    if (bytes == null) {
      bytes = sum.toBytes();
    }
    out.defaultWriteObject();
  }

  /** Pools the partials (in the given order; the result does not depend on it) into one. */
  public static PartialGradients mergeInOrder(List<PartialGradients> partials) {
    if (partials.isEmpty()) {
      throw new IllegalArgumentException("Cannot merge gradients: no partials");
    }
    PartialGradients first = partials.get(0);
    PartialGradients out = empty(first.passFirst, first.passCount, first.weightCount, first.biasCount);
    LossSum loss = new LossSum();
    for (PartialGradients p : partials) {
      out.sum().merge(p.sum());
      loss.merge(LossSum.parse(p.loss));
    }
    return out.withLoss(loss);
  }

  private float[] total;

  private float[] total() {
    if (total == null) {
      total = sum().total();
    }
    return total;
  }

  /** The summed weight gradient, OHWI. */
  public float[] weightGradient() {
    return Arrays.copyOf(total(), weightCount);
  }

  /** The summed bias gradient. */
  public float[] biasGradient() {
    return Arrays.copyOfRange(total(), weightCount, weightCount + biasCount);
  }

  /** The exact loss sum. */
  public LossSum loss() {
    return LossSum.parse(loss);
  }

  /** Records in the pass. */
  public long records() {
    return passCount;
  }
}

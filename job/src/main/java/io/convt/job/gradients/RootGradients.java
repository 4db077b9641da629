package io.convt.job.gradients;

import io.convt.engine.train.LossSum;
import java.io.Serializable;

/**
 * The reduction's one result: the finished gradient sums (rounded from double to float on the executor, which is
 * the same deterministic rounding the driver would do), the exact loss sum and the records covered. About
 * {@code 4·(weights + biases)} bytes: all the gradient data the driver receives in a pass.
 */
public final class RootGradients implements Serializable {
  private static final long serialVersionUID = 1L;

  private final float[] weightGradient;
  private final float[] biasGradient;
  private final String loss;
  private final long records;

  RootGradients(float[] weightGradient, float[] biasGradient, String loss, long records) {
    this.weightGradient = weightGradient;
    this.biasGradient = biasGradient;
    this.loss = loss;
    this.records = records;
  }

  /** The summed weight gradient, MPS OHWI. */
  public float[] weightGradient() {
    return weightGradient;
  }

  /** The summed bias gradient. */
  public float[] biasGradient() {
    return biasGradient;
  }

  /** The exact loss sum. */
  public LossSum loss() {
    return LossSum.parse(loss);
  }

  /** Records covered. */
  public long records() {
    return records;
  }
}

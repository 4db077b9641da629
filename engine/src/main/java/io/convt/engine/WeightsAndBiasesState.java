package io.convt.engine;

import java.util.Objects;

/**
 * {@code MPSCNNConvolutionWeightsAndBiasesState}: float32 weights in MPS layout {@code [Cout][kH][kW][Cin/g]} and
 * float32 biases (or null). What {@code exportWeightsAndBiases} returns (the weights actually used: fp16-rounded
 * and batch-norm folded as configured), what optimizers read and write, and what
 * {@code reloadWeightsAndBiases} takes. Arrays are owned by the state; accessors return them without copying,
 * so treat a state as a value you hand over.
 */
public final class WeightsAndBiasesState {
  private final float[] weights;
  private final float[] biases;

  /** @param biases may be null */
  public WeightsAndBiasesState(float[] weights, float[] biases) {
    this.weights = Objects.requireNonNull(weights, "weights");
    this.biases = biases;
  }

  /** OHWI weights (not copied). */
  public float[] weights() {
    return weights;
  }

  /** Biases (not copied), or null. */
  public float[] biases() {
    return biases;
  }

  /** A deep copy. */
  public WeightsAndBiasesState copy() {
    return new WeightsAndBiasesState(weights.clone(), biases == null ? null : biases.clone());
  }
}

package io.convt.engine;

/**
 * What every gradient state exposes to data-source update hooks and optimizers: the weight gradient in MPS layout
 * {@code [Cout][kH][kW][Cin/g]} and the bias gradient (null when the layer has no bias gradient). Both are sums over
 * the batch the state was shared by, never averages.
 */
public interface GradientState {
  /** Weight gradient, OHWI (not copied). */
  float[] gradientForWeights();

  /** Bias gradient per output channel (not copied), or null. */
  float[] gradientForBiases();
}

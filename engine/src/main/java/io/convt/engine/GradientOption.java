package io.convt.engine;

/** {@code MPSCNNConvolutionGradientOption}: which gradients a gradient kernel computes (MPS default ALL). */
public enum GradientOption {
  /** Only the gradient with respect to the source image (MPS value 1). */
  DATA,
  /** Only the weight and bias gradients, written into the state (MPS value 2). */
  WEIGHTS_AND_BIAS,
  /** Both (MPS value 3). */
  ALL
}

package io.convt.engine;

/**
 * The fused neuron types of {@code MPSCNNNeuronType} that a convolution descriptor may carry.
 * Each is applied per output value after bias and folded batch norm (spec §1.2).
 */
public enum NeuronType {
  /** {@code x}. */
  NONE,
  /** {@code a·x + b}. */
  LINEAR,
  /** {@code x ≥ 0 ? x : a·x}. */
  RELU,
  /** {@code 1 / (1 + e^-x)}. */
  SIGMOID,
  /** {@code clamp(a·x + b, 0, 1)}. */
  HARD_SIGMOID,
  /** {@code a·tanh(b·x)}. */
  TANH,
  /** {@code |x|}. */
  ABSOLUTE,
  /** {@code a·log(1 + e^(b·x))}. */
  SOFT_PLUS,
  /** {@code x / (1 + |x|)}. */
  SOFT_SIGN,
  /** {@code x ≥ 0 ? x : a·(e^x − 1)}. */
  ELU,
  /** ReLU with a per-output-channel {@code a[o]}. */
  PRELU,
  /** {@code min(x ≥ 0 ? x : a·x, b)}. */
  RELUN,
  /** {@code (a·x + b)^c}. */
  POWER,
  /** {@code c^(a·x + b)}. */
  EXPONENTIAL,
  /** {@code log_c(a·x + b)}. */
  LOGARITHM,
  /** {@code 0.5·x·(1 + erf(x/√2))}. */
  GELU
}

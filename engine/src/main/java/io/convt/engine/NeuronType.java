package io.convt.engine;

/**
 * The fused neuron types of {@code MPSCNNNeuronType} that a convolution descriptor may carry.
 * Each is applied per output value after bias and folded batch norm (spec §1.2).
 *
 * <p>Each type knows how many of the parameters a, b, c its formula uses and MPS's default for each, the value
 * {@link Neuron#of(NeuronType)} takes when a parameter is not given ("for default behavior, set…" in the MPS
 * header; Power, Exponential and Logarithm are not documented there and follow MPSCNNNeuronGradient's formulas).
 */
public enum NeuronType {
  /** {@code x}. */
  NONE(0, 1f, 0f, 1f),
  /** {@code a·x + b}; defaults a = 1, b = 0. */
  LINEAR(2, 1f, 0f, 1f),
  /** {@code x ≥ 0 ? x : a·x}; default a = 0. */
  RELU(1, 0f, 0f, 1f),
  /** {@code 1 / (1 + e^-x)}. */
  SIGMOID(0, 1f, 0f, 1f),
  /** {@code clamp(a·x + b, 0, 1)}; defaults a = 0.2, b = 0.5. */
  HARD_SIGMOID(2, 0.2f, 0.5f, 1f),
  /** {@code a·tanh(b·x)}; defaults a = 1, b = 1. */
  TANH(2, 1f, 1f, 1f),
  /** {@code |x|}. */
  ABSOLUTE(0, 1f, 0f, 1f),
  /** {@code a·log(1 + e^(b·x))}; defaults a = 1, b = 1. */
  SOFT_PLUS(2, 1f, 1f, 1f),
  /** {@code x / (1 + |x|)}. */
  SOFT_SIGN(0, 1f, 0f, 1f),
  /** {@code x ≥ 0 ? x : a·(e^x − 1)}; default a = 1. */
  ELU(1, 1f, 0f, 1f),
  /** ReLU with a per-output-channel {@code a[o]} (no scalar parameters). */
  PRELU(0, 0f, 0f, 0f),
  /** {@code min(x ≥ 0 ? x : a·x, b)}; defaults a = 1, b = 6. */
  RELUN(2, 1f, 6f, 1f),
  /** {@code (a·x + b)^c}; defaults a = 1, b = 0, c = 1. */
  POWER(3, 1f, 0f, 1f),
  /** {@code c^(a·x + b)}, base e when c = −1; defaults a = 1, b = 0, c = −1. */
  EXPONENTIAL(3, 1f, 0f, -1f),
  /** {@code log_c(a·x + b)}, base e when c = −1; defaults a = 1, b = 0, c = −1. */
  LOGARITHM(3, 1f, 0f, -1f),
  /** {@code 0.5·x·(1 + erf(x/√2))}. */
  GELU(0, 1f, 0f, 1f);

  private final int parameterCount;
  private final float defaultA;
  private final float defaultB;
  private final float defaultC;

  NeuronType(int parameterCount, float defaultA, float defaultB, float defaultC) {
    this.parameterCount = parameterCount;
    this.defaultA = defaultA;
    this.defaultB = defaultB;
    this.defaultC = defaultC;
  }

  /** How many of a, b, c (in that order) the formula uses: 0 to 3 (PReLU's per-channel slopes not counted). */
  public int parameterCount() {
    return parameterCount;
  }

  /** MPS's default for {@code a}. */
  public float defaultA() {
    return defaultA;
  }

  /** MPS's default for {@code b}. */
  public float defaultB() {
    return defaultB;
  }

  /** MPS's default for {@code c}. */
  public float defaultC() {
    return defaultC;
  }
}

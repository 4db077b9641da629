package io.convt.engine;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable fused neuron ({@code MPSNNNeuronDescriptor}): a type plus parameters a, b, c shared by all
 * channels, or, for {@link NeuronType#PRELU}, one {@code a} per output channel.
 *
 * <p>The neuron is applied in the forward pass only; gradient kernels never differentiate it (spec §5.2):
 * the incoming gradient must already be with respect to the pre-activation.
 */
public final class Neuron {
  /** The identity neuron. */
  public static final Neuron NONE = new Neuron(NeuronType.NONE, 1f, 0f, 1f, null);

  /** The value of {@code c} that selects base e for EXPONENTIAL and LOGARITHM (MPS convention). */
  public static final float BASE_E = -1f;

  private final NeuronType type;
  private final float a;
  private final float b;
  private final float c;
  private final float[] perChannelA;

  private Neuron(NeuronType type, float a, float b, float c, float[] perChannelA) {
    this.type = Objects.requireNonNull(type, "type");
    this.a = a;
    this.b = b;
    this.c = c;
    this.perChannelA = perChannelA;
    if (!Float.isFinite(a) || !Float.isFinite(b) || !Float.isFinite(c)) {
      throw new IllegalArgumentException(
          "Cannot create neuron " + type + ": parameters must be finite (a=" + a + ", b=" + b + ", c=" + c + ")");
    }
  }

  /**
   * A neuron of the given type with MPS's parameters; unused parameters are ignored.
   *
   * @throws IllegalArgumentException for PRELU (use {@link #prelu(float[])}) or non-finite parameters
   */
  public static Neuron of(NeuronType type, float a, float b, float c) {
    if (type == NeuronType.PRELU) {
      throw new IllegalArgumentException("Cannot create neuron PRELU from scalars: use Neuron.prelu(float[] a)");
    }
    return new Neuron(type, a, b, c, null);
  }

  /**
   * A neuron of the given type with MPS's default parameters (spec §1.2), e.g. TANH {@code 1·tanh(1·x)},
   * HARD_SIGMOID a = 0.2, b = 0.5, RELUN a = 1, b = 6, EXPONENTIAL and LOGARITHM base e; see {@link NeuronType}.
   */
  public static Neuron of(NeuronType type) {
    return of(type, type.defaultA(), type.defaultB(), type.defaultC());
  }

  /**
   * A neuron whose first {@code given.length} parameters (a, then b, then c) are as given and the rest MPS's
   * defaults, e.g. {@code of(RELUN, new float[] {0.1f})} is {@code min(x ≥ 0 ? x : 0.1·x, 6)}.
   *
   * @throws IllegalArgumentException for PRELU, for more values than the type uses, or non-finite values
   */
  public static Neuron of(NeuronType type, float[] given) {
    Objects.requireNonNull(given, "given");
    if (given.length > type.parameterCount()) {
      throw new IllegalArgumentException("Cannot create neuron " + type + ": it takes "
          + (type.parameterCount() == 0 ? "no parameters" : "at most " + type.parameterCount() + " parameter"
              + (type.parameterCount() == 1 ? "" : "s") + " (" + "abc".substring(0, type.parameterCount()) + ")")
          + ", got " + given.length);
    }
    return of(type, given.length > 0 ? given[0] : type.defaultA(), given.length > 1 ? given[1] : type.defaultB(),
        given.length > 2 ? given[2] : type.defaultC());
  }

  /** PReLU with one slope per output channel (copied). */
  public static Neuron prelu(float[] a) {
    Objects.requireNonNull(a, "a");
    for (int i = 0; i < a.length; i++) {
      if (!Float.isFinite(a[i])) {
        throw new IllegalArgumentException("Cannot create neuron PRELU: a[" + i + "] is " + a[i]);
      }
    }
    return new Neuron(NeuronType.PRELU, 0f, 0f, 0f, a.clone());
  }

  public NeuronType type() {
    return type;
  }

  public float a() {
    return a;
  }

  public float b() {
    return b;
  }

  public float c() {
    return c;
  }

  /** PReLU's per-channel slopes (a copy), or null for other types. */
  public float[] perChannelA() {
    return perChannelA == null ? null : perChannelA.clone();
  }

  /** Number of per-channel parameters (0 unless PRELU). */
  public int channelCount() {
    return perChannelA == null ? 0 : perChannelA.length;
  }

  /** True when this neuron is the identity. */
  public boolean isIdentity() {
    return type == NeuronType.NONE;
  }

  /** Applies the neuron to pre-activation {@code x} of output channel {@code o}. */
  public float apply(float x, int o) {
    switch (type) {
      case NONE:
        return x;
      case LINEAR:
        return a * x + b;
      case RELU:
        return x >= 0 ? x : a * x;
      case SIGMOID:
        return (float) (1.0 / (1.0 + Math.exp(-x)));
      case HARD_SIGMOID:
        return Math.max(0f, Math.min(1f, a * x + b));
      case TANH:
        return (float) (a * Math.tanh(b * (double) x));
      case ABSOLUTE:
        return Math.abs(x);
      case SOFT_PLUS:
        return (float) (a * Math.log1p(Math.exp(b * (double) x)));
      case SOFT_SIGN:
        return x / (1f + Math.abs(x));
      case ELU:
        return x >= 0 ? x : (float) (a * Math.expm1(x));
      case PRELU:
        return x >= 0 ? x : perChannelA[o] * x;
      case RELUN:
        return Math.min(x >= 0 ? x : a * x, b);
      case POWER:
        return (float) Math.pow(a * (double) x + b, c);
      case EXPONENTIAL:
        return (float) (c == BASE_E ? Math.exp(a * (double) x + b) : Math.pow(c, a * (double) x + b));
      case LOGARITHM:
        return (float) (c == BASE_E ? Math.log(a * (double) x + b) : Math.log(a * (double) x + b) / Math.log(c));
      case GELU:
        return (float) (0.5 * x * (1.0 + Erf.erf(x / Math.sqrt(2.0))));
      default:
        throw new AssertionError(type);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Neuron)) {
      return false;
    }
    Neuron n = (Neuron) o;
    return type == n.type
        && Float.compare(a, n.a) == 0
        && Float.compare(b, n.b) == 0
        && Float.compare(c, n.c) == 0
        && Arrays.equals(perChannelA, n.perChannelA);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, a, b, c, Arrays.hashCode(perChannelA));
  }

  @Override
  public String toString() {
    return type == NeuronType.PRELU
        ? "PRELU(a[" + perChannelA.length + "])"
        : type + "(a=" + a + ", b=" + b + ", c=" + c + ")";
  }

  /** erf by Abramowitz–Stegun 7.1.26 refined; max error 1.5e-7, below float resolution for GeLU. */
  private static final class Erf {
    static double erf(double x) {
      double t = 1.0 / (1.0 + 0.3275911 * Math.abs(x));
      double y =
          1.0
              - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592)
                  * t
                  * Math.exp(-x * x);
      return x >= 0 ? y : -y;
    }
  }
}

package io.convt.engine;

import java.util.Objects;

/**
 * Inference batch-norm parameters a descriptor may carry; folded into weights and bias once, when the
 * weights are loaded (spec §1.2): {@code I = γ/√(σ²+ε)}, {@code J = β − I·μ}, {@code W' = W·I[o]},
 * {@code b' = b·I[o] + J[o]}.
 */
public final class BatchNorm {
  private final float[] mean;
  private final float[] variance;
  private final float[] gamma;
  private final float[] beta;
  private final float epsilon;

  /**
   * @param gamma may be null (all ones)
   * @param beta may be null (all zeros)
   * @throws IllegalArgumentException on length mismatch, non-finite values, negative variance or epsilon
   */
  public BatchNorm(float[] mean, float[] variance, float[] gamma, float[] beta, float epsilon) {
    Objects.requireNonNull(mean, "mean");
    Objects.requireNonNull(variance, "variance");
    int n = mean.length;
    this.mean = checked("mean", mean, n);
    this.variance = checked("variance", variance, n);
    this.gamma = gamma == null ? filled(n, 1f) : checked("gamma", gamma, n);
    this.beta = beta == null ? new float[n] : checked("beta", beta, n);
    if (!(epsilon >= 0) || !Float.isFinite(epsilon)) {
      throw new IllegalArgumentException("Cannot create batch norm: epsilon must be finite and >= 0 (" + epsilon + ")");
    }
    for (int i = 0; i < n; i++) {
      if (variance[i] < 0) {
        throw new IllegalArgumentException(
            "Cannot create batch norm: variance[" + i + "] is negative (" + variance[i] + ")");
      }
    }
    this.epsilon = epsilon;
  }

  private static float[] filled(int n, float v) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  private static float[] checked(String name, float[] a, int n) {
    if (a.length != n) {
      throw new IllegalArgumentException(
          "Cannot create batch norm: " + name + " has " + a.length + " values, mean has " + n);
    }
    for (int i = 0; i < a.length; i++) {
      if (!Float.isFinite(a[i])) {
        throw new IllegalArgumentException("Cannot create batch norm: " + name + "[" + i + "] is " + a[i]);
      }
    }
    return a.clone();
  }

  /** Number of channels (must equal the descriptor's output feature channels). */
  public int channels() {
    return mean.length;
  }

  public float epsilon() {
    return epsilon;
  }

  /** Per-channel scale {@code I[o] = γ/√(σ²+ε)}, computed in double. */
  public double scale(int o) {
    return gamma[o] / Math.sqrt((double) variance[o] + epsilon);
  }

  /** Per-channel shift {@code J[o] = β − I·μ}. */
  public double shift(int o) {
    return beta[o] - scale(o) * mean[o];
  }

  /** Equal when every parameter is equal (by value: two descriptors with equal batch norms are equal). */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof BatchNorm)) {
      return false;
    }
    BatchNorm b = (BatchNorm) o;
    return Float.compare(epsilon, b.epsilon) == 0 && java.util.Arrays.equals(mean, b.mean)
        && java.util.Arrays.equals(variance, b.variance) && java.util.Arrays.equals(gamma, b.gamma)
        && java.util.Arrays.equals(beta, b.beta);
  }

  @Override
  public int hashCode() {
    return Objects.hash(epsilon, java.util.Arrays.hashCode(mean), java.util.Arrays.hashCode(variance),
        java.util.Arrays.hashCode(gamma), java.util.Arrays.hashCode(beta));
  }

  /**
   * Folds into OHWI weights in place and returns the folded bias (never null).
   *
   * @param weightsOhwi {@code [Cout][kH][kW][Cin/g]}, scaled in place
   * @param bias may be null (treated as zeros)
   */
  public float[] fold(float[] weightsOhwi, float[] bias, int cout) {
    int per = weightsOhwi.length / cout;
    float[] folded = new float[cout];
    for (int o = 0; o < cout; o++) {
      double s = scale(o);
      for (int i = o * per; i < (o + 1) * per; i++) {
        weightsOhwi[i] = (float) (weightsOhwi[i] * s);
      }
      folded[o] = (float) ((bias == null ? 0.0 : bias[o] * s) + shift(o));
    }
    return folded;
  }
}

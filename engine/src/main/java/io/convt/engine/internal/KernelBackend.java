package io.convt.engine.internal;


/**
 * A compute backend: the scalar reference ({@code internal.scalar}) or its vectorised twin ({@code internal.simd}).
 * Backends are stateless and thread-safe; every method gives the same result, bit for bit, whatever
 * {@code threads} is (parallel splits never change a reduction order). Arrays are NHWC float with the shapes of
 * {@link ConvProblem}; weights are OHWI {@code [cout][kH][kW][cig]}, passed as {@link KernelWeights}: values that
 * never change under one version, so a backend may reuse what it derived from them (packings) by version alone.
 * The {@code float[]} overloads are for one-off calls (tests, references): each wraps the array in a new version,
 * so a caching backend derives its data again on every such call.
 */
public interface KernelBackend {
  /** Name for logs ("scalar", "simd"). */
  String name();

  /**
   * Whether {@link #forward} runs this backend's own kernel for a kernel {@code kernelWidth} columns wide (a plan
   * sends a pass the backend does not handle to the next backend of its list, the scalar reference last).
   */
  default boolean handlesForward(int kernelWidth, boolean halfAccumulation) {
    return true;
  }

  /** As {@link #handlesForward}, for {@link #backwardData} and {@link #backwardWeights}. */
  default boolean handlesBackward(int kernelWidth) {
    return true;
  }

  /** Bytes this backend holds in caches (per-geometry plans, packed weights), for memory reports; 0 without any. */
  default long cachedBytes() {
    return 0;
  }

  /**
   * Forward pass: writes destination pixels inside the clip, channels {@code [dfo, dfo+cout)}, of images
   * {@code dstImage0 ..+images}; leaves everything else in {@code dst} untouched.
   *
   * @param bias per output channel, or null for none (folded BN already included)
   * @param neuron applied after bias
   */
  void forward(
      ConvProblem p, float[] src, KernelWeights weights, float[] bias, Activation neuron, float[] dst, int threads);

  /** {@link #forward(ConvProblem, float[], KernelWeights, float[], Activation, float[], int)}, one-off weights. */
  default void forward(
      ConvProblem p, float[] src, float[] weights, float[] bias, Activation neuron, float[] dst, int threads) {
    forward(p, src, KernelWeights.of(weights), bias, neuron, dst, threads);
  }

  /**
   * Gradient with respect to the source (spec §5.2): the adjoint of {@link #forward} without bias and neuron.
   * Reads {@code gradOut} (destination-shaped) only inside the clip and channel slice; overwrites
   * {@code gradIn} (source-shaped) channels {@code [sfo, sfo+cinRead)} of the problem's images, every pixel;
   * leaves other channels untouched.
   */
  void backwardData(ConvProblem p, float[] gradOut, KernelWeights weights, float[] gradIn, int threads);

  /** {@link #backwardData(ConvProblem, float[], KernelWeights, float[], int)}, one-off weights. */
  default void backwardData(ConvProblem p, float[] gradOut, float[] weights, float[] gradIn, int threads) {
    backwardData(p, gradOut, KernelWeights.of(weights), gradIn, threads);
  }

  /**
   * Gradient with respect to weights (OHWI) and bias: the sum over the problem's images and clip pixels
   * (spec §5.2). Overwrites {@code gradWeights} and, when non-null, {@code gradBias}. The summation order depends
   * only on the problem, never on {@code threads}.
   */
  void backwardWeights(
      ConvProblem p, float[] src, float[] gradOut, float[] gradWeights, float[] gradBias, int threads);

  /**
   * Index of the first NaN or infinite value of {@code values}, or -1 when every value is finite (the job's input
   * check, run on every record before the kernel). Every backend gives the same answer.
   */
  default int firstNonFinite(float[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        return i;
      }
    }
    return -1;
  }
}

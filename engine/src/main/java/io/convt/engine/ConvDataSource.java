package io.convt.engine;

/**
 * {@code MPSCNNConvolutionDataSource}: where a kernel gets its descriptor, weights and biases.
 *
 * <p>Lifecycle (spec §6): {@link #load()} is called before anything else and after every {@link #purge()}; each
 * load is matched by a later purge; calls may come from any thread and re-entrantly, so implementations count
 * loads thread-safely (see {@link AbstractDataSource}) and publish weights as immutable snapshots. A kernel copies
 * the weights while loaded, so the source may drop them on purge.
 */
public interface ConvDataSource {
  /** The weights' data type. */
  DataType dataType();

  /** The layer's descriptor (retained, never mutated). */
  ConvTransposeDescriptor descriptor();

  /**
   * Weights in MPS layout {@code [Cout][kH][kW][Cin/g]}, valid between {@link #load()} and {@link #purge()}.
   */
  WeightData weights();

  /** Float32 bias per output channel, or null for none. */
  float[] biasTerms();

  /**
   * Makes weights available. Returning false makes kernel construction fail.
   *
   * @return whether the weights are available
   */
  boolean load();

  /** Releases what {@link #load()} acquired once all loads are matched. */
  void purge();

  /** A human-readable name, copied into the kernel's label. */
  String label();

  /** How uint8 weights decode; {@link Quantization#NONE} for float weights. */
  default Quantization quantization() {
    return Quantization.NONE;
  }

  /**
   * An independent copy for another executor or device ({@code copyWithZone:device:}): two copies must never
   * overwrite each other's weights when both are updated.
   */
  ConvDataSource copy();

  /**
   * CPU training hook ({@code updateWithGradientState:sourceState:}): given the gradient state of a finished
   * gradient pass and the weights that pass actually used, compute and store new weights in this source and
   * return true; the caller then reloads kernels from the data source. The default declines (frozen layer).
   */
  default boolean updateWithGradientState(GradientState gradientState, WeightsAndBiasesState sourceState) {
    return false;
  }
}

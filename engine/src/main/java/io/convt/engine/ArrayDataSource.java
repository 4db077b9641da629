package io.convt.engine;

import java.util.Objects;
import java.util.function.BiFunction;

/**
 * An in-memory data source over float32 MPS-layout weights and an optional bias. Weights are held as an immutable
 * snapshot replaced atomically by {@link #setWeights} or by the update hook, so kernels on other threads always
 * see a consistent pair.
 */
public final class ArrayDataSource extends AbstractDataSource {
  private volatile WeightsAndBiasesState snapshot;
  private final BiFunction<GradientState, WeightsAndBiasesState, WeightsAndBiasesState> updater;

  /**
   * @param weightsOhwi {@code [Cout][kH][kW][Cin/g]} float32 (copied)
   * @param bias per output channel or null (copied)
   * @throws IllegalArgumentException when sizes do not match the descriptor
   */
  public ArrayDataSource(ConvTransposeDescriptor descriptor, float[] weightsOhwi, float[] bias, String label) {
    this(descriptor, weightsOhwi, bias, label, null);
  }

  /**
   * @param updater computes new weights from (gradient state, weights used), e.g. an optimizer step; null freezes
   *     the layer
   */
  public ArrayDataSource(
      ConvTransposeDescriptor descriptor,
      float[] weightsOhwi,
      float[] bias,
      String label,
      BiFunction<GradientState, WeightsAndBiasesState, WeightsAndBiasesState> updater) {
    super(descriptor, label);
    this.snapshot = checked(descriptor, label, new WeightsAndBiasesState(
        Objects.requireNonNull(weightsOhwi, "weights").clone(), bias == null ? null : bias.clone()));
    this.updater = updater;
  }

  static WeightsAndBiasesState checked(ConvTransposeDescriptor d, String label, WeightsAndBiasesState s) {
    if (s.weights().length != d.weightCount()) {
      throw new IllegalArgumentException(
          "Cannot use weights for '" + label + "': " + s.weights().length + " values, the descriptor needs "
              + d.weightCount() + " (Cout=" + d.outputFeatureChannels() + " x kH=" + d.kernelHeight() + " x kW="
              + d.kernelWidth() + " x Cin/g=" + d.inputChannelsPerGroup() + ")");
    }
    if (s.biases() != null && s.biases().length != d.outputFeatureChannels()) {
      throw new IllegalArgumentException(
          "Cannot use bias for '" + label + "': " + s.biases().length + " values, outputFeatureChannels is "
              + d.outputFeatureChannels());
    }
    return s;
  }

  @Override
  public DataType dataType() {
    return DataType.FLOAT32;
  }

  @Override
  public WeightData weights() {
    requireLoaded("weights");
    return WeightData.ofFloat32(snapshot.weights());
  }

  @Override
  public float[] biasTerms() {
    requireLoaded("biasTerms");
    return snapshot.biases();
  }

  /** Replaces the weights atomically (copied). */
  public void setWeights(float[] weightsOhwi, float[] bias) {
    snapshot = checked(descriptor(), label(), new WeightsAndBiasesState(
        weightsOhwi.clone(), bias == null ? null : bias.clone()));
  }

  /** The current weights (a copy). */
  public WeightsAndBiasesState current() {
    return snapshot.copy();
  }

  @Override
  protected boolean doLoad() {
    return true;
  }

  @Override
  protected void doPurge() {
    // Weights stay in memory: they are the source of truth for this in-memory source.
  }

  @Override
  public ArrayDataSource copy() {
    WeightsAndBiasesState s = snapshot;
    return new ArrayDataSource(descriptor(), s.weights(), s.biases(), label(), updater);
  }

  @Override
  public boolean updateWithGradientState(GradientState gradientState, WeightsAndBiasesState sourceState) {
    if (updater == null) {
      return false;
    }
    WeightsAndBiasesState next = updater.apply(gradientState, sourceState);
    if (next == null) {
      return false;
    }
    snapshot = checked(descriptor(), label(), next.copy());
    return true;
  }
}

package io.convt.engine;

import io.convt.engine.internal.Half;


/**
 * Reads a data source once (load, decode, validate, fold batch norm, round to fp16 if asked, purge) into the
 * float32 arrays a kernel computes with. NaN and infinite weights or biases are rejected with their index: a
 * single NaN weight silently poisons every output it touches.
 */
public final class LoadedWeights {
  private LoadedWeights() {}

  /**
   * @throws IllegalArgumentException naming the data source and the problem
   * @throws IllegalStateException when {@code load()} returns false
   */
  public static WeightsAndBiasesState read(ConvDataSource ds, WeightPrecision precision) {
    String label = ds.label();
    if (!ds.load()) {
      throw new IllegalStateException("Cannot create kernel: data source '" + label + "' failed to load");
    }
    try {
      ConvTransposeDescriptor d = ds.descriptor();
      WeightData wd = ds.weights();
      if (wd == null) {
        throw new IllegalArgumentException("Cannot create kernel: data source '" + label + "' returned no weights");
      }
      if (wd.type() != ds.dataType()) {
        throw new IllegalArgumentException("Cannot create kernel: data source '" + label + "' declares "
            + ds.dataType() + " but delivered " + wd.type() + " weights");
      }
      if (wd.length() != d.weightCount()) {
        throw new IllegalArgumentException(
            "Cannot create kernel: data source '" + label + "' has " + wd.length() + " weights, the descriptor needs "
                + d.weightCount() + " (Cout=" + d.outputFeatureChannels() + " x kH=" + d.kernelHeight() + " x kW="
                + d.kernelWidth() + " x Cin/g=" + d.inputChannelsPerGroup() + ")");
      }
      float[] w = decode(wd, ds, d);
      float[] b = ds.biasTerms();
      if (b != null) {
        if (b.length != d.outputFeatureChannels()) {
          throw new IllegalArgumentException("Cannot create kernel: data source '" + label + "' has " + b.length
              + " bias terms, outputFeatureChannels is " + d.outputFeatureChannels());
        }
        b = b.clone();
      }
      WeightsAndBiasesState s = prepare(d, w, b, precision, label);
      return s;
    } finally {
      ds.purge();
    }
  }

  /** Validates, folds batch norm and applies weight precision to float32 weights (w is modified in place). */
  public static WeightsAndBiasesState prepare(
      ConvTransposeDescriptor d, float[] w, float[] b, WeightPrecision precision, String label) {
    requireFinite(w, "weight", label);
    if (b != null) {
      requireFinite(b, "bias", label);
    }
    if (d.batchNorm() != null) {
      b = d.batchNorm().fold(w, b, d.outputFeatureChannels());
    }
    if (precision == WeightPrecision.FLOAT16) {
      for (int i = 0; i < w.length; i++) {
        w[i] = Half.round(w[i]);
      }
    }
    return new WeightsAndBiasesState(w, b);
  }

  private static float[] decode(WeightData wd, ConvDataSource ds, ConvTransposeDescriptor d) {
    switch (wd.type()) {
      case FLOAT32:
        return wd.float32().clone();
      case FLOAT16:
        {
          short[] h = wd.float16();
          float[] w = new float[h.length];
          for (int i = 0; i < h.length; i++) {
            w[i] = Half.toFloat(h[i]);
          }
          return w;
        }
      case UINT8:
        return ds.quantization().decode(wd.uint8(), d.outputFeatureChannels());
      default:
        throw new AssertionError(wd.type());
    }
  }

  /** Throws on the first NaN or infinity, naming its index. */
  public static void requireFinite(float[] a, String what, String label) {
    for (int i = 0; i < a.length; i++) {
      if (!Float.isFinite(a[i])) {
        throw new IllegalArgumentException(
            "Cannot use weights of '" + label + "': " + what + "[" + i + "] is " + a[i] + " (NaN/Inf weights are rejected)");
      }
    }
  }
}

package io.convt.engine.data;

import io.convt.engine.AbstractDataSource;
import io.convt.engine.ConvTransposeDescriptor;
import io.convt.engine.DataType;
import io.convt.engine.Quantization;
import io.convt.engine.WeightData;
import io.convt.engine.internal.Half;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.TensorFormatException;
import io.convt.engine.io.WeightFiles;
import io.convt.engine.layout.WeightLayout;
import io.convt.engine.layout.WeightLayouts;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * A data source reading weights (and optionally a bias) from {@code .npy}, {@code .npz} or {@code .safetensors}
 * files when loaded and dropping them when purged, as MPS data sources do. Weights may be in any
 * {@link WeightLayout} (converted, with the flip, on load) and float32, float16 (kept as fp16 bits:
 * {@link DataType#FLOAT16}) or uint8 with a {@link Quantization} ({@link DataType#UINT8}). The file's shape must
 * match the descriptor; every mismatch names the file.
 */
public final class TensorFileDataSource extends AbstractDataSource {
  private final Path weightsFile;
  private final Path biasFile;
  private final WeightLayout layout;
  private final Quantization quantization;
  private volatile WeightData weights;
  private volatile float[] bias;
  private volatile DataType dataType = DataType.FLOAT32;

  /**
   * @param biasFile bias file, or {@code null}: then a {@code bias} entry of a multi-tensor weights file is used
   *     if present
   * @param quantization required for uint8 weights, {@link Quantization#NONE} otherwise
   */
  public TensorFileDataSource(ConvTransposeDescriptor descriptor, Path weightsFile, Path biasFile, WeightLayout layout,
      Quantization quantization) {
    super(descriptor, weightsFile.getFileName().toString());
    this.weightsFile = Objects.requireNonNull(weightsFile, "weightsFile");
    this.biasFile = biasFile;
    this.layout = Objects.requireNonNull(layout, "layout");
    this.quantization = quantization == null ? Quantization.NONE : quantization;
  }

  @Override
  public DataType dataType() {
    return dataType;
  }

  @Override
  public WeightData weights() {
    requireLoaded("weights");
    return weights;
  }

  @Override
  public float[] biasTerms() {
    requireLoaded("biasTerms");
    return bias;
  }

  @Override
  public Quantization quantization() {
    return quantization;
  }

  /** SHA-256 of the weight (and bias) file bytes, for run summaries. */
  public String weightsSha256() {
    return WeightFiles.sha256(weightsFile, biasFile);
  }

  @Override
  protected boolean doLoad() {
    ConvTransposeDescriptor d = descriptor();
    NpyArray w = WeightFiles.read(weightsFile, "weights", WeightFiles.WEIGHT_KEY);
    int[] expected = layout.shape(d.outputFeatureChannels(), d.kernelHeight(), d.kernelWidth(),
        d.inputFeatureChannels(), d.groups());
    if (!Arrays.equals(expected, w.shape())) {
      throw new TensorFormatException(weightsFile.toString(), "weights have shape " + w.shapeString() + " but the "
          + layout.label() + " layout of " + d + " needs " + Arrays.toString(expected));
    }
    int[] idx = WeightLayouts.mpsGatherIndex(layout, w.shape(), d.groups(), w.size());
    if (w.bytes() != null) {
      if (quantization.kind() == Quantization.Kind.NONE) {
        throw new TensorFormatException(weightsFile.toString(),
            "uint8 weights need a quantization (linear ranges or a 256-entry lookup table)");
      }
      byte[] q = new byte[idx.length];
      for (int j = 0; j < q.length; j++) {
        q[j] = w.bytes()[idx[j]];
      }
      weights = WeightData.ofUInt8(q);
      dataType = DataType.UINT8;
    } else if (w.dtype().endsWith("f2") || w.dtype().equals("F16")) {
      short[] h = new short[idx.length];
      for (int j = 0; j < h.length; j++) {
        h[j] = Half.fromFloat(w.floats()[idx[j]]); // exact: the values came from fp16
      }
      weights = WeightData.ofFloat16(h);
      dataType = DataType.FLOAT16;
    } else {
      weights = WeightData.ofFloat32(WeightLayouts.toMps(layout, w.floats(), w.shape(), d.groups()));
      dataType = DataType.FLOAT32;
    }
    NpyArray b = biasFile != null ? WeightFiles.readFloat(biasFile, "bias", WeightFiles.BIAS_KEY)
        : weightsFile.toString().endsWith(".npy") ? null
        : WeightFiles.readOptional(weightsFile, "bias", WeightFiles.BIAS_KEY);
    if (b != null && b.size() != d.outputFeatureChannels()) {
      throw new TensorFormatException(String.valueOf(biasFile != null ? biasFile : weightsFile), "bias has "
          + b.size() + " values but the layer has " + d.outputFeatureChannels() + " output channels");
    }
    bias = b == null ? null : b.floats();
    return true;
  }

  @Override
  protected void doPurge() {
    weights = null;
    bias = null;
  }

  @Override
  public TensorFileDataSource copy() {
    return new TensorFileDataSource(descriptor(), weightsFile, biasFile, layout, quantization);
  }
}

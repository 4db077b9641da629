package io.convt.engine.cli;

import io.convt.engine.io.NpyArray;
import io.convt.engine.io.TensorFormatException;
import io.convt.engine.io.WeightFiles;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layer.WeightGeometry;
import io.convt.engine.layout.OnnxAutoPad;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayouts;
import java.nio.file.Path;

/**
 * The local CLI's layer: {@link Layer#open} plus what needs more than a {@link LayerSpec} holds, the state-dict keys
 * of the weight and bias tensors and ONNX geometry, whose pads depend on the input size.
 */
final class LocalLayer {
  private LocalLayer() {}

  /**
   * @param weightsKey entry of the weights file, or {@code null} for {@link WeightFiles#WEIGHT_KEY}
   * @param biasKey entry of the bias file (or of the weights file without {@code --bias}), or {@code null}
   * @param autoPad ONNX auto_pad when pads are derived for the input size, else {@code null}
   * @param outputShape ONNX output_shape {@code {H, W}} or {@code null}
   */
  static Layer open(LayerSpec spec, String weightsKey, String biasKey, OnnxAutoPad autoPad, int[] outputShape,
      int inputH, int inputW) {
    Layer base = weightsKey == null && biasKey == null ? Layer.open(spec) : openWithKeys(spec, weightsKey, biasKey);
    if (autoPad == null) {
      return base;
    }
    WeightGeometry k = base.geometry();
    TorchConvTranspose2d t = spec.geometry();
    TorchConvTranspose2d onnx;
    try {
      onnx = TorchConvTranspose2d.onnx(autoPad, new int[] {t.strideH(), t.strideW()}, null,
          new int[] {t.outputPaddingH(), t.outputPaddingW()}, new int[] {t.dilationH(), t.dilationW()}, t.groups(),
          new int[] {k.kernelHeight(), k.kernelWidth()}, new int[] {inputH, inputW}, outputShape);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid option: --auto-pad " + autoPad.label()
          + (outputShape == null ? "" : " --output-shape " + outputShape[0] + "," + outputShape[1]) + " for input "
          + inputH + "x" + inputW + ": " + e.getMessage(), e);
    }
    LayerSpec s = new LayerSpec(spec.weights(), spec.bias(), spec.layout(), onnx, spec.paddingPolicy(),
        spec.outputSize(), spec.offset(), spec.kernelOffset(), spec.clip(), spec.neuron(), spec.options());
    return Layer.of(s, base.weightsMps(), base.bias(), k);
  }

  /** As {@link Layer#open}, reading the named entries; a named bias entry must exist. */
  private static Layer openWithKeys(LayerSpec spec, String weightsKey, String biasKey) {
    String wk = weightsKey == null ? WeightFiles.WEIGHT_KEY : weightsKey;
    NpyArray w = WeightFiles.readFloat(spec.weights(), "weights", wk).requireRank(spec.weights() + "[" + wk + "]", 4);
    int groups = spec.geometry().groups();
    int[] g;
    float[] mps;
    try {
      g = WeightLayouts.geometry(spec.layout(), w.shape(), groups);
      mps = WeightLayouts.toMps(spec.layout(), w.floats(), w.shape(), groups);
    } catch (IllegalArgumentException e) {
      throw new TensorFormatException(spec.weights() + "[" + wk + "]", e.getMessage(), e);
    }
    Path biasFile = spec.bias() != null ? spec.bias() : spec.weights();
    String bk = biasKey == null ? WeightFiles.BIAS_KEY : biasKey;
    NpyArray b;
    if (biasKey != null || spec.bias() != null) {
      b = WeightFiles.readFloat(biasFile, "bias", bk);
    } else {
      b = biasFile.toString().endsWith(".npy") ? null : WeightFiles.readOptional(biasFile, "bias", bk);
    }
    float[] bias = null;
    if (b != null) {
      if (b.size() != g[0]) {
        throw new TensorFormatException(biasFile + "[" + bk + "]", "bias has " + b.size() + " values "
            + b.shapeString() + " but the weights " + w.shapeString() + " (" + spec.layout().label() + ") have "
            + g[0] + " output channels");
      }
      bias = b.floats();
    }
    return Layer.of(spec, mps, bias, WeightGeometry.of(g));
  }
}

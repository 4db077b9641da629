package io.convt.engine.cli;

import io.convt.engine.ClipRect;
import io.convt.engine.KernelOptions;
import io.convt.engine.Neuron;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.OnnxModel;
import io.convt.engine.io.OnnxNode;
import io.convt.engine.io.TensorFormatException;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.OnnxAutoPad;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code --onnx-model M.onnx [--onnx-node NAME]}: the {@link LayerSpec} of one ConvTranspose node, its weights and
 * bias the graph's initializers (ONNX's weight layout is PyTorch's, {@code [Cin, Cout/G, kH, kW]}) and its geometry
 * the node's attributes, so the layer computes what ONNX's operator specifies.
 */
final class OnnxModelSpecs {
  private static final Set<String> ATTRIBUTES = Set.of("kernel_shape", "strides", "pads", "dilations", "group",
      "output_padding", "output_shape", "auto_pad");

  private OnnxModelSpecs() {}

  static LayerSpec spec(Path model, String nodeName, ClipRect clip, Neuron neuron, KernelOptions options) {
    OnnxModel m = OnnxModel.read(model);
    OnnxNode n = m.convTranspose(nodeName);
    String where = model + " " + n.label();
    try {
      for (String a : n.attributes().keySet()) {
        if (!ATTRIBUTES.contains(a)) {
          throw new IllegalArgumentException("attribute " + a + " not supported");
        }
      }
      if (n.inputs().size() < 2 || !m.hasInitializer(n.inputs().get(1))) {
        throw new IllegalArgumentException("the weights (input 2" + (n.inputs().size() < 2 ? "" : ", '"
            + n.inputs().get(1) + "'") + ") must be an initializer of the graph");
      }
      String weightsName = n.inputs().get(1);
      String biasName = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? n.inputs().get(2) : null;
      if (biasName != null && !m.hasInitializer(biasName)) {
        throw new IllegalArgumentException("the bias (input 3, '" + biasName + "') must be an initializer");
      }
      NpyArray w = m.initializer(weightsName);
      if (w.rank() != 4) {
        throw new IllegalArgumentException("only 2-D ConvTranspose is supported (weights " + w.shapeString()
            + " are not 4-D)");
      }
      int[] kernel = n.ints("kernel_shape", 2, new int[] {w.shape()[2], w.shape()[3]});
      if (kernel[0] != w.shape()[2] || kernel[1] != w.shape()[3]) {
        throw new IllegalArgumentException("kernel_shape " + kernel[0] + "," + kernel[1] + " differs from the weights "
            + w.shapeString());
      }
      int[] s = n.ints("strides", 2, new int[] {1, 1});
      int[] d = n.ints("dilations", 2, new int[] {1, 1});
      int[] op = n.ints("output_padding", 2, new int[] {0, 0});
      int[] p = n.ints("pads", 4, new int[4]); // [top, left, bottom, right]: x1_begin, x2_begin, x1_end, x2_end
      int[] outputShape = n.ints("output_shape", 2, null);
      OnnxAutoPad autoPad = OnnxAutoPad.parse(n.string("auto_pad", "NOTSET"));
      int group = n.intValue("group", 1);
      if (outputShape != null || autoPad != OnnxAutoPad.NOTSET) {
        p = new int[4]; // ONNX ignores pads then: derived per input size by Layer.forInput
      }
      TorchConvTranspose2d g = new TorchConvTranspose2d(s[0], s[1], p[0], p[1], p[2], p[3], op[0], op[1], d[0], d[1],
          group);
      return new LayerSpec(model, null, WeightLayout.PYTORCH, g, null, null, null, null, clip, neuron, options,
          weightsName, biasName, autoPad, outputShape);
    } catch (IllegalArgumentException e) {
      if (e instanceof TensorFormatException) {
        throw e;
      }
      throw new IllegalArgumentException("Invalid ONNX model: " + where + ": " + e.getMessage(), e);
    }
  }
}

package io.convt.engine.layer;

import io.convt.engine.ClipRect;
import io.convt.engine.KernelOptions;
import io.convt.engine.Neuron;
import io.convt.engine.StandardPadding;
import io.convt.engine.layout.OnnxAutoPad;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that defines one transposed-convolution layer as a user names it on a command line
 * ({@code scripts/convt} and {@code scripts/convt-job} share it, so the same words mean the same thing): the weight
 * files and their layout, PyTorch-style geometry, and the optional MPS-native controls. Immutable and validated;
 * {@link Layer#open} turns it into a kernel.
 *
 * <p>Sizing: by default the destination is sized and positioned exactly as PyTorch's {@code ConvTranspose2d} with
 * the given padding/output padding. {@code paddingPolicy} switches to MPS's valid/same/full policies instead;
 * {@code outputSize} selects MPS manual mode (a destination of that size, {@code offset} and {@code kernelOffset}
 * as given).
 *
 * @param weights weights file ({@code .npy} or {@code .safetensors}/{@code .npz} with a {@code weight} entry)
 * @param bias bias file or {@code null} (for {@code .safetensors}/{@code .npz}, the {@code bias} entry is used if present)
 * @param layout layout of the weights file
 * @param geometry stride, padding, output padding, dilation, groups (pairs are height, width)
 * @param paddingPolicy MPS padding policy or {@code null}
 * @param outputSize manual mode destination {@code {H, W}} or {@code null}
 * @param offset manual mode {@code offset} {@code {y, x}} (default 0,0)
 * @param kernelOffset manual mode {@code kernelOffset} {@code {y, x}} (default 0,0)
 * @param clip destination clip rectangle (default: all)
 * @param neuron fused neuron (default none)
 * @param options kernel implementation, threads, weight precision
 * @param weightsKey entry of a state-dict weights file holding the weights ({@code null}: {@code weight})
 * @param biasKey entry holding the bias, in the bias file or else the weights file ({@code null}: {@code bias},
 *     optional); a named entry must exist
 * @param autoPad ONNX {@code auto_pad} ({@code null}: {@link OnnxAutoPad#NOTSET}); with {@code SAME_*} or an
 *     {@code outputShape} the pads depend on the input size and {@link Layer#forInput} derives them
 * @param outputShape ONNX {@code output_shape} {@code {H, W}} or {@code null}
 */
public record LayerSpec(
    Path weights, Path bias, WeightLayout layout, TorchConvTranspose2d geometry, StandardPadding paddingPolicy,
    int[] outputSize, int[] offset, int[] kernelOffset, ClipRect clip, Neuron neuron, KernelOptions options,
    String weightsKey, String biasKey, OnnxAutoPad autoPad, int[] outputShape) {


  public LayerSpec {
    if (weights == null) {
      throw new IllegalArgumentException("Cannot define layer: --weights is required");
    }
    if (layout == null) {
      throw new IllegalArgumentException("Cannot define layer: --weights-layout is required (pytorch, mps or tensorflow)");
    }
    geometry = geometry == null ? TorchConvTranspose2d.defaults() : geometry;
    clip = clip == null ? ClipRect.ALL : clip;
    neuron = neuron == null ? Neuron.NONE : neuron;
    options = options == null ? KernelOptions.defaults() : options;
    if (paddingPolicy != null && outputSize != null) {
      throw new IllegalArgumentException("Cannot define layer: --padding-policy and --output-size exclude each other");
    }
    if ((offset != null || kernelOffset != null) && outputSize == null) {
      throw new IllegalArgumentException(
          "Cannot define layer: --offset/--kernel-offset are MPS manual-mode settings and need --output-size H,W");
    }
    autoPad = autoPad == null ? OnnxAutoPad.NOTSET : autoPad;
    if ((autoPad != OnnxAutoPad.NOTSET || outputShape != null)
        && (paddingPolicy != null || outputSize != null || offset != null || kernelOffset != null)) {
      throw new IllegalArgumentException("Cannot define layer: --auto-pad/--output-shape (ONNX sizing) exclude the MPS"
          + " sizing flags --padding-policy, --output-size, --offset and --kernel-offset");
    }
    if (outputShape != null && (outputShape.length != 2 || outputShape[0] < 1 || outputShape[1] < 1
        || autoPad == OnnxAutoPad.VALID)) {
      throw new IllegalArgumentException("Cannot define layer: --output-shape must be two values >= 1, with --auto-pad"
          + " notset, same_upper or same_lower (got " + Arrays.toString(outputShape) + ", " + autoPad.label() + ")");
    }
    if (outputSize != null && (outputSize.length != 2 || outputSize[0] < 1 || outputSize[1] < 1)) {
      throw new IllegalArgumentException("Cannot define layer: --output-size must be two values >= 1 (got "
          + Arrays.toString(outputSize) + ")");
    }
  }

  /** The spec without state-dict keys or ONNX sizing (the form every caller used before those existed). */
  public LayerSpec(Path weights, Path bias, WeightLayout layout, TorchConvTranspose2d geometry,
      StandardPadding paddingPolicy, int[] outputSize, int[] offset, int[] kernelOffset, ClipRect clip, Neuron neuron,
      KernelOptions options) {
    this(weights, bias, layout, geometry, paddingPolicy, outputSize, offset, kernelOffset, clip, neuron, options,
        null, null, null, null);
  }

  /** True when the pads depend on the input size ({@code --auto-pad same_*} or {@code --output-shape}). */
  public boolean inputDependentPads() {
    return outputShape != null || autoPad == OnnxAutoPad.SAME_UPPER || autoPad == OnnxAutoPad.SAME_LOWER;
  }

  /** This spec with fixed geometry (e.g. the pads ONNX derives for one input size) and no ONNX sizing left. */
  public LayerSpec withGeometry(TorchConvTranspose2d g) {
    return new LayerSpec(weights, bias, layout, g, paddingPolicy, outputSize, offset, kernelOffset, clip, neuron,
        options, weightsKey, biasKey, null, null);
  }

  /** This spec reading other entries of its files ({@code null}: the defaults {@code weight}/{@code bias}). */
  public LayerSpec withKeys(String newWeightsKey, String newBiasKey) {
    return new LayerSpec(weights, bias, layout, geometry, paddingPolicy, outputSize, offset, kernelOffset, clip,
        neuron, options, newWeightsKey, newBiasKey, autoPad, outputShape);
  }

  /** This spec with ONNX sizing ({@code --auto-pad}, {@code --output-shape}). */
  public LayerSpec withOnnxSizing(OnnxAutoPad newAutoPad, int[] newOutputShape) {
    return new LayerSpec(weights, bias, layout, geometry, paddingPolicy, outputSize, offset, kernelOffset, clip,
        neuron, options, weightsKey, biasKey, newAutoPad, newOutputShape);
  }

  /** A spec with PyTorch geometry and defaults for everything MPS-specific. */
  public static LayerSpec of(Path weights, Path bias, WeightLayout layout, TorchConvTranspose2d geometry) {
    return new LayerSpec(weights, bias, layout, geometry, null, null, null, null, null, null, null);
  }

  /** This spec with other kernel options (e.g. the thread count of a Spark task). */
  public LayerSpec withOptions(KernelOptions o) {
    return new LayerSpec(weights, bias, layout, geometry, paddingPolicy, outputSize, offset, kernelOffset, clip,
        neuron, o, weightsKey, biasKey, autoPad, outputShape);
  }

  /** The resolved settings as flat key/value pairs, for run summaries and logs. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("weights", weights.toString());
    m.put("bias", bias == null ? null : bias.toString());
    m.put("weights_layout", layout.label());
    m.put("stride", new int[] {geometry.strideH(), geometry.strideW()});
    m.put("padding", new int[] {geometry.padTop(), geometry.padLeft(), geometry.padBottom(), geometry.padRight()});
    m.put("output_padding", new int[] {geometry.outputPaddingH(), geometry.outputPaddingW()});
    m.put("dilation", new int[] {geometry.dilationH(), geometry.dilationW()});
    m.put("groups", geometry.groups());
    m.put("padding_policy", paddingPolicy == null ? null : paddingPolicy.name().toLowerCase(java.util.Locale.ROOT));
    m.put("output_size", outputSize);
    m.put("offset", offset);
    m.put("kernel_offset", kernelOffset);
    if (weightsKey != null || biasKey != null) {
      m.put("weights_key", weightsKey);
      m.put("bias_key", biasKey);
    }
    if (autoPad != OnnxAutoPad.NOTSET || outputShape != null) {
      m.put("auto_pad", autoPad.label());
      m.put("output_shape", outputShape);
    }
    m.put("clip", clip == ClipRect.ALL ? "all" : clip.toString());
    m.put("neuron", neuron.toString());
    m.put("impl", options.impl().label());
    m.put("threads", options.threads());
    m.put("weight_precision", options.weightPrecision().name().toLowerCase(java.util.Locale.ROOT));
    return m;
  }
}

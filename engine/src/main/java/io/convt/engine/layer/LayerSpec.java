package io.convt.engine.layer;

import io.convt.engine.ClipRect;
import io.convt.engine.KernelOptions;
import io.convt.engine.Neuron;
import io.convt.engine.StandardPadding;
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
 */
public record LayerSpec(
    Path weights, Path bias, WeightLayout layout, TorchConvTranspose2d geometry, StandardPadding paddingPolicy,
    int[] outputSize, int[] offset, int[] kernelOffset, ClipRect clip, Neuron neuron, KernelOptions options) {


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
    if (outputSize != null && (outputSize.length != 2 || outputSize[0] < 1 || outputSize[1] < 1)) {
      throw new IllegalArgumentException("Cannot define layer: --output-size must be two values >= 1 (got "
          + Arrays.toString(outputSize) + ")");
    }
  }

  /** A spec with PyTorch geometry and defaults for everything MPS-specific. */
  public static LayerSpec of(Path weights, Path bias, WeightLayout layout, TorchConvTranspose2d geometry) {
    return new LayerSpec(weights, bias, layout, geometry, null, null, null, null, null, null, null);
  }

  /** This spec with other kernel options (e.g. the thread count of a Spark task). */
  public LayerSpec withOptions(KernelOptions o) {
    return new LayerSpec(weights, bias, layout, geometry, paddingPolicy, outputSize, offset, kernelOffset, clip,
        neuron, o);
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
    m.put("clip", clip == ClipRect.ALL ? "all" : clip.toString());
    m.put("neuron", neuron.toString());
    m.put("impl", options.impl().label());
    m.put("threads", options.threads());
    m.put("weight_precision", options.weightPrecision().name().toLowerCase(java.util.Locale.ROOT));
    return m;
  }
}

package io.convt.engine.cli;

import io.convt.engine.ClipRect;
import io.convt.engine.KernelOptions;
import io.convt.engine.Neuron;
import io.convt.engine.NeuronType;
import io.convt.engine.StandardPadding;
import io.convt.engine.WeightPrecision;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.OnnxAutoPad;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import io.convt.engine.io.OutputPaths;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The layer flags shared by {@code scripts/convt} and {@code scripts/convt-job} (a picocli mixin), so that the same
 * words mean the same thing everywhere. {@link #toSpec()} validates and returns the immutable {@link LayerSpec};
 * errors are {@link IllegalArgumentException}s naming the flag.
 */
public final class LayerOptions {
  /** The command this mixin is part of (its stderr), or null when built outside picocli. */
  @Spec(Spec.Target.MIXEE) CommandSpec mixee;

  @Option(names = "--onnx-model", paramLabel = "M.onnx",
      description = "Take one ConvTranspose node of an ONNX model: weights, bias and every geometry attribute come"
          + " from the node and the graph's initializers (instead of --weights, --weights-layout and geometry flags).")
  Path onnxModel;

  @Option(names = "--onnx-node", paramLabel = "NAME",
      description = "The ConvTranspose node of --onnx-model to use (needed when the model has several).")
  String onnxNode;

  @Option(names = "--weights", paramLabel = "W.npy",
      description = "Weights file: .npy (float16/32/64), or a state dict in .safetensors, .npz or PyTorch .pt/.pth"
          + " (see --weights-key).")
  Path weights;

  @Option(names = "--bias", paramLabel = "B.npy", description = "Bias file (.npy, Cout values).")
  Path bias;

  @Option(names = "--weights-key", paramLabel = "NAME",
      description = "Tensor to use as weights in a .safetensors/.npz/.pt/.pth state dict, e.g. decoder.up.weight"
          + " (default weight; nested dicts are joined with dots).")
  String weightsKey;

  @Option(names = "--bias-key", paramLabel = "NAME",
      description = "Tensor to use as bias in the --bias file, or else in the --weights file (default bias).")
  String biasKey;

  @Option(names = "--weights-layout", paramLabel = "LAYOUT",
      description = "pytorch ([Cin,Cout/G,kH,kW], also ONNX), mps ([Cout,kH,kW,Cin/G], used unrotated) or tensorflow "
          + "([kH,kW,Cout,Cin]).")
  String layout;

  @Option(names = "--stride", paramLabel = "SH,SW", description = "Stride (default 1,1).")
  String stride;

  @Option(names = "--padding", paramLabel = "PH,PW",
      description = "PyTorch padding: rows/columns cropped on each side (default 0,0; one value means both). Four "
          + "values T,L,B,R give ONNX-style asymmetric pads. Not with --padding-policy or --output-size.")
  String padding;

  @Option(names = "--output-padding", paramLabel = "OH,OW",
      description = "PyTorch output_padding (default 0,0; one value means both). Not with --padding-policy or "
          + "--output-size.")
  String outputPadding;

  @Option(names = "--dilation", paramLabel = "DH,DW", description = "Dilation (default 1,1).")
  String dilation;

  @Option(names = "--groups", paramLabel = "G", description = "Groups (default 1).")
  Integer groups;

  @Option(names = "--padding-policy", paramLabel = "POLICY",
      description = "MPS padding policy instead of PyTorch padding: valid, same or full.")
  String paddingPolicy;

  @Option(names = "--output-size", paramLabel = "H,W", description = "MPS manual mode: destination size.")
  String outputSize;

  @Option(names = "--auto-pad", paramLabel = "MODE",
      description = "ONNX auto_pad: notset (default), same_upper, same_lower or valid; ONNX's output size and pad"
          + " split.")
  String autoPad;

  @Option(names = "--output-shape", paramLabel = "H,W",
      description = "ONNX output_shape: pads derived as ONNX specifies (--output-size is MPS's manual mode).")
  String outputShape;

  @Option(names = "--offset", paramLabel = "OY,OX", description = "MPS manual mode: offset (source pixels).")
  String offset;

  @Option(names = "--kernel-offset", paramLabel = "KY,KX", description = "MPS manual mode: kernelOffsetY,X.")
  String kernelOffset;

  @Option(names = "--clip", paramLabel = "Y,X,H,W", description = "MPS clipRect in the destination (default all).")
  String clip;

  @Option(names = "--neuron", paramLabel = "TYPE[:A[,B[,C]]]",
      description = "Fused MPS neuron after the bias, e.g. relu, relu:0.1 (leaky), tanh, linear:2,1 (default none). "
          + "Parameters not given take MPS's defaults (tanh a=b=1, hard_sigmoid a=0.2 b=0.5, soft_plus a=b=1, "
          + "relun a=1 b=6, exponential/logarithm c=-1: base e).")
  String neuron;

  @Option(names = "--impl", paramLabel = "IMPL", description = "Kernel implementation: auto, simd or scalar (default auto).")
  String impl;

  @Option(names = "--threads", paramLabel = "N", description = "Threads per kernel call (default 1).")
  int threads = 1;

  @Option(names = "--weight-precision", paramLabel = "P",
      description = "float32 (default) or float16 (round weights as MPS fp16 weights).")
  String weightPrecision = "float32";

  /**
   * Validates the flags into a {@link LayerSpec} for a job command ({@code gradients}, {@code train}, the ML stage):
   * as {@link #validate()}. {@code --auto-pad same_*} and {@code --output-shape} are accepted: their pads depend on
   * each input's size, and the commands derive them per record size with {@link Layer#forInput}.
   */
  public LayerSpec toSpec() {
    return validate();
  }

  /**
   * Validates every flag into a {@link LayerSpec}, state-dict keys and ONNX {@code --auto-pad}/{@code --output-shape}
   * included (the latter applied by {@link Layer#forInput} once the input size is known).
   */
  public LayerSpec validate() {
    if (onnxModel != null) {
      return validateOnnxModel();
    }
    if (onnxNode != null) {
      throw new IllegalArgumentException("Invalid option: --onnx-node needs --onnx-model");
    }
    if (weights == null || layout == null) {
      throw new IllegalArgumentException("Cannot define layer: Missing required option: "
          + (weights == null ? "'--weights=W.npy'" : "'--weights-layout=LAYOUT'") + " (or --onnx-model M.onnx)");
    }
    WeightLayout l;
    try {
      l = WeightLayout.parse(layout);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid value for --weights-layout: '" + layout
          + "' (expected pytorch, mps or tensorflow)");
    }
    TorchConvTranspose2d g = torchGeometry();
    StandardPadding policy = null;
    if (paddingPolicy != null) {
      try {
        policy = StandardPadding.valueOf(paddingPolicy.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("Invalid value for --padding-policy: '" + paddingPolicy
            + "' (expected valid, same or full)");
      }
    }
    ClipRect c = null;
    if (clip != null) {
      int[] r = ints("--clip", clip);
      if (r.length != 4) {
        throw new IllegalArgumentException("Invalid value for --clip: expected Y,X,H,W (got '" + clip + "')");
      }
      c = ClipRect.of(r[1], r[0], r[3], r[2]);
    }
    WeightPrecision wp;
    try {
      wp = WeightPrecision.valueOf(weightPrecision.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid value for --weight-precision: '" + weightPrecision
          + "' (expected float32 or float16)");
    }
    checkOnnxGeometry(l, g);
    KernelOptions o = KernelOptions.defaults().withThreads(threads).withWeightPrecision(wp);
    if (impl != null) {
      o = o.withImpl(impl);
    }
    return new LayerSpec(weights, bias, l, g, policy, outputSize == null ? null : pair("--output-size", outputSize),
        offset == null ? null : pair("--offset", offset), kernelOffset == null ? null : pair("--kernel-offset", kernelOffset),
        c, parseNeuron(neuron), o, weightsKey, biasKey, autoPad == null ? null : OnnxAutoPad.parse(autoPad),
        outputShape == null ? null : pair("--output-shape", outputShape));
  }

  /** {@code --onnx-model}: everything but the MPS extras (clip, neuron) and kernel options comes from the node. */
  private LayerSpec validateOnnxModel() {
    String[][] given = {{"--weights", str(weights)}, {"--bias", str(bias)}, {"--weights-key", weightsKey},
        {"--bias-key", biasKey}, {"--weights-layout", layout}, {"--stride", stride}, {"--padding", padding},
        {"--output-padding", outputPadding}, {"--dilation", dilation}, {"--groups", str(groups)},
        {"--padding-policy", paddingPolicy}, {"--output-size", outputSize}, {"--auto-pad", autoPad},
        {"--output-shape", outputShape}, {"--offset", offset}, {"--kernel-offset", kernelOffset}};
    for (String[] g : given) {
      if (g[1] != null) {
        throw new IllegalArgumentException("Invalid option: " + g[0] + " with --onnx-model (the model's node gives"
            + " the weights, bias and geometry)");
      }
    }
    LayerSpec plain = new LayerOptions().withKernelFlags(this).validate();
    return OnnxModelSpecs.spec(onnxModel, onnxNode, plain.clip(), plain.neuron(), plain.options());
  }

  private static String str(Object o) {
    return o == null ? null : o.toString();
  }

  /** A copy holding only the flags that apply to any layer (clip, neuron, impl, threads, weight precision). */
  private LayerOptions withKernelFlags(LayerOptions from) {
    weights = from.onnxModel;
    layout = "pytorch";
    clip = from.clip;
    neuron = from.neuron;
    impl = from.impl;
    threads = from.threads;
    weightPrecision = from.weightPrecision;
    return this;
  }

  /** The files these flags read (weights, bias), named by flag, for the output-path checks of a command. */
  public List<OutputPaths.Named> inputFiles() {
    return List.of(new OutputPaths.Named("--weights", weights), new OutputPaths.Named("--bias", bias),
        new OutputPaths.Named("--onnx-model", onnxModel));
  }

  /**
   * PyTorch geometry from --stride, --padding, --output-padding, --dilation, --groups. Padding and output padding
   * size the destination the PyTorch way, which --padding-policy and --output-size replace: given together they
   * would be silently ignored, so the combination is refused.
   */
  private TorchConvTranspose2d torchGeometry() {
    String sizing = paddingPolicy != null ? "--padding-policy" : outputSize != null ? "--output-size" : null;
    String pytorch = padding != null ? "--padding" : outputPadding != null ? "--output-padding" : null;
    if (sizing != null && pytorch != null) {
      throw new IllegalArgumentException("Cannot combine " + pytorch + " with " + sizing + ": " + sizing
          + " sizes and places the destination itself (PyTorch padding would be ignored); drop one of them");
    }
    int[] s = pair("--stride", stride == null ? "1" : stride);
    int[] p = padding == null ? new int[] {0, 0} : ints("--padding", padding);
    int[] op = outputPadding == null ? new int[] {0, 0} : pair("--output-padding", outputPadding);
    int[] d = pair("--dilation", dilation == null ? "1" : dilation);
    int groups = this.groups == null ? 1 : this.groups;
    if (p.length == 1) {
      p = new int[] {p[0], p[0]};
    }
    if (p.length == 2) {
      return TorchConvTranspose2d.pytorch(s, p, op, d, groups);
    }
    if (p.length == 4) {
      return new TorchConvTranspose2d(s[0], s[1], p[0], p[1], p[2], p[3], op[0], op[1], d[0], d[1], groups);
    }
    throw new IllegalArgumentException("Invalid value for --padding: expected P, PH,PW or T,L,B,R (got '" + padding
        + "')");
  }

  /**
   * ONNX flags exclude the MPS sizing flags and explicit pads (ONNX ignores pads when output_shape is given, and
   * auto_pad other than NOTSET excludes them); the MPS sizing flags with PyTorch weights get a one-line warning,
   * because they look like ONNX's attributes but size and place the output the MPS way.
   */
  private void checkOnnxGeometry(WeightLayout l, TorchConvTranspose2d g) {
    OnnxAutoPad mode = autoPad == null ? OnnxAutoPad.NOTSET : OnnxAutoPad.parse(autoPad);
    boolean onnx = outputShape != null || mode != OnnxAutoPad.NOTSET;
    if (onnx && (paddingPolicy != null || outputSize != null || offset != null || kernelOffset != null)) {
      throw new IllegalArgumentException("Invalid option: --auto-pad/--output-shape (ONNX sizing) exclude the MPS"
          + " sizing flags --padding-policy, --output-size, --offset and --kernel-offset");
    }
    boolean pads = g.padTop() != 0 || g.padLeft() != 0 || g.padBottom() != 0 || g.padRight() != 0;
    if (onnx && pads) {
      throw new IllegalArgumentException("Invalid option: --padding " + padding + " excludes --auto-pad "
          + mode.label() + (outputShape == null ? "" : " and --output-shape") + " (ONNX derives the pads)");
    }
    if (outputShape != null) {
      int[] os = pair("--output-shape", outputShape);
      if (os[0] < 1 || os[1] < 1) {
        throw new IllegalArgumentException("Invalid value for --output-shape: must be two values >= 1 (got '"
            + outputShape + "')");
      }
      if (mode == OnnxAutoPad.VALID) {
        throw new IllegalArgumentException("Invalid option: --output-shape needs --auto-pad notset, same_upper or"
            + " same_lower (got valid)");
      }
    }
    if (l == WeightLayout.PYTORCH && (outputSize != null || paddingPolicy != null)) {
      System.err.println("convt: warning: " + (outputSize != null ? "--output-size" : "--padding-policy")
          + " sizes and places the output with MPS semantics, not PyTorch/ONNX's; for ONNX geometry use"
          + " --output-shape H,W or --auto-pad same_upper|same_lower");
    }
  }

  /**
   * The layer for inputs of {@code inputH x inputW}: {@code spec} (from {@link #validate}) opened for that size.
   * When {@code auto} fell back to the scalar kernel, says so in one line on the command's stderr: the scripts hide
   * the log's WARN lines, and the run would be 10-50x slower with no word why.
   */
  public Layer open(LayerSpec spec, int inputH, int inputW) {
    Layer layer = Layer.open(spec).forInput(inputH, inputW);
    KernelBackends.scalarFallbackNotice(spec.options().impl()).ifPresent(notice -> {
      PrintWriter err = mixee != null ? mixee.commandLine().getErr() : new PrintWriter(System.err, true);
      err.println("convt: " + notice);
      err.flush();
    });
    return layer;
  }

  static Neuron parseNeuron(String text) {
    if (text == null || text.isBlank() || text.trim().equalsIgnoreCase("none")) {
      return Neuron.NONE;
    }
    String[] parts = text.trim().split(":", 2);
    NeuronType t;
    try {
      t = NeuronType.valueOf(parts[0].trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid value for --neuron: unknown type '" + parts[0] + "'");
    }
    if (t == NeuronType.PRELU) {
      if (parts.length < 2) {
        throw new IllegalArgumentException("Invalid value for --neuron: prelu needs per-channel slopes, prelu:A0,A1,...");
      }
      return Neuron.prelu(floats("--neuron", parts[1]));
    }
    if (parts.length == 1) {
      return Neuron.of(t);
    }
    float[] given = floats("--neuron", parts[1]);
    try {
      return Neuron.of(t, given);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid value for --neuron: '" + text + "': " + e.getMessage());
    }
  }

  /** One value means both (height and width), as in PyTorch. */
  static int[] pair(String flag, String text) {
    int[] v = ints(flag, text);
    if (v.length == 1) {
      return new int[] {v[0], v[0]};
    }
    if (v.length != 2) {
      throw new IllegalArgumentException("Invalid value for " + flag + ": expected one value or H,W (got '" + text + "')");
    }
    return v;
  }

  static int[] ints(String flag, String text) {
    String[] parts = text.split(",");
    int[] v = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        v[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("Invalid value for " + flag + ": '" + text + "' is not a list of integers");
      }
    }
    return v;
  }

  static float[] floats(String flag, String text) {
    String[] parts = text.split(",");
    float[] v = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        v[i] = Float.parseFloat(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("Invalid value for " + flag + ": '" + text + "' is not a list of numbers");
      }
    }
    return v;
  }
}

package io.convt.engine.layer;

import io.convt.engine.ArrayDataSource;
import io.convt.engine.ConvTranspose;
import io.convt.engine.ConvTransposeDescriptor;
import io.convt.engine.ConvTransposePlan;
import io.convt.engine.DestinationGeometry;
import io.convt.engine.Offset;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.TensorFormatException;
import io.convt.engine.io.WeightFiles;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayouts;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A {@link LayerSpec} made concrete: weights read, converted to MPS layout, validated, and planned
 * ({@link ConvTransposePlan}); {@link #apply} runs it over a batch the way the spec says to size the output.
 * Immutable and safe to share between threads without locks: every encode runs on the immutable plan.
 */
public final class Layer {
  private final LayerSpec spec;
  private final ConvTranspose kernel;
  private final ConvTransposePlan plan;
  private final WeightGeometry geometry;
  private final float[] weightsMps;
  private final float[] bias;

  private Layer(LayerSpec spec, ConvTranspose kernel, WeightGeometry geometry, float[] weightsMps, float[] bias) {
    this.spec = spec;
    this.kernel = kernel;
    this.geometry = geometry;
    this.weightsMps = weightsMps;
    this.bias = bias;
    if (spec.outputSize() != null) { // manual mode: the window position is the spec's
      int[] off = spec.offset() == null ? new int[2] : spec.offset();
      int[] ko = spec.kernelOffset() == null ? new int[2] : spec.kernelOffset();
      kernel.setOffset(Offset.of(off[1], off[0]));
      kernel.setKernelOffsetY(ko[0]);
      kernel.setKernelOffsetX(ko[1]);
    }
    this.plan = kernel.plan();
  }

  /**
   * Reads the spec's files (the entries {@link LayerSpec#weightsKey()}/{@link LayerSpec#biasKey()} of a state dict)
   * and builds the kernel; every error names the file, entry or flag at fault.
   */
  public static Layer open(LayerSpec spec) {
    String wk = spec.weightsKey() == null ? WeightFiles.WEIGHT_KEY : spec.weightsKey();
    String wLabel = spec.weightsKey() == null ? spec.weights().toString() : spec.weights() + "[" + wk + "]";
    NpyArray w = WeightFiles.readFloat(spec.weights(), "weights", wk).requireRank(wLabel, 4);
    int groups = spec.geometry().groups();
    float[] mps;
    int[] g;
    try {
      g = WeightLayouts.geometry(spec.layout(), w.shape(), groups);
      mps = WeightLayouts.toMps(spec.layout(), w.floats(), w.shape(), groups);
    } catch (IllegalArgumentException e) {
      throw new TensorFormatException(wLabel, e.getMessage(), e);
    }
    Path biasFile = spec.bias() != null ? spec.bias() : spec.weights();
    String bk = spec.biasKey() == null ? WeightFiles.BIAS_KEY : spec.biasKey();
    NpyArray b;
    if (spec.biasKey() != null || spec.bias() != null) { // named: must exist
      b = WeightFiles.readFloat(biasFile, "bias", bk);
    } else { // the state dict's 'bias' entry, if any
      String f = biasFile.toString();
      b = f.endsWith(".npy") || f.endsWith(".onnx") ? null : WeightFiles.readOptional(biasFile, "bias", bk);
    }
    float[] bias = null;
    if (b != null) {
      if (b.size() != g[0]) {
        String bLabel = spec.biasKey() == null ? biasFile.toString() : biasFile + "[" + bk + "]";
        throw new TensorFormatException(bLabel, "bias has " + b.size() + " values " + b.shapeString()
            + " but the weights " + w.shapeString() + " (" + spec.layout().label() + ") have " + g[0]
            + " output channels");
      }
      bias = b.floats();
    }
    return of(spec, mps, bias, WeightGeometry.of(g));
  }

  /** Builds from MPS-layout arrays already in memory (e.g. a Spark broadcast). */
  public static Layer of(LayerSpec spec, float[] weightsMps, float[] bias, WeightGeometry g) {
    ConvTransposeDescriptor d;
    try {
      d = spec.geometry().descriptor(g.inputChannels(), g.outputChannels(), g.kernelHeight(), g.kernelWidth())
          .toBuilder().neuron(spec.neuron()).build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Cannot build layer from " + spec.weights() + ": " + e.getMessage(), e);
    }
    String label = spec.weights().getFileName().toString();
    ConvTranspose k = new ConvTranspose(new ArrayDataSource(d, weightsMps, bias, label), spec.options());
    k.setClipRect(spec.clip());
    if (spec.paddingPolicy() != null) {
      k.setPadding(spec.paddingPolicy());
    } else {
      k.setPadding(spec.geometry().padding());
    }
    return new Layer(spec, k, g, weightsMps, bias);
  }

  public LayerSpec spec() { return spec; }

  /**
   * The layer for sources of {@code h x w}: this one, or, when the spec's pads depend on the input size
   * ({@code --auto-pad same_*}, {@code --output-shape}), a layer with the pads ONNX derives for that size. That
   * layer differs only in its padding policy: it shares this one's loaded weights, plan and packed weights
   * ({@link ConvTranspose#copy}), so it costs a few small objects and is built per call, not cached per size.
   *
   * @throws IllegalArgumentException naming the flags and the size when ONNX's pads cannot be expressed
   */
  public Layer forInput(int h, int w) {
    if (!spec.inputDependentPads()) {
      return this;
    }
    TorchConvTranspose2d t = spec.geometry();
    TorchConvTranspose2d onnx;
    try {
      onnx = TorchConvTranspose2d.onnx(spec.autoPad(), new int[] {t.strideH(), t.strideW()}, null,
          new int[] {t.outputPaddingH(), t.outputPaddingW()}, new int[] {t.dilationH(), t.dilationW()}, t.groups(),
          new int[] {geometry.kernelHeight(), geometry.kernelWidth()}, new int[] {h, w}, spec.outputShape());
    } catch (IllegalArgumentException e) {
      int[] os = spec.outputShape();
      throw new IllegalArgumentException("Invalid option: --auto-pad " + spec.autoPad().label()
          + (os == null ? "" : " --output-shape " + os[0] + "," + os[1]) + " for input " + h + "x" + w + ": "
          + e.getMessage(), e);
    }
    ConvTranspose sized = kernel.copy();
    sized.setPadding(spec.paddingPolicy() != null ? spec.paddingPolicy() : onnx.padding());
    return new Layer(spec.withGeometry(onnx), sized, geometry, weightsMps, bias);
  }

  /**
   * The MPS facade this layer was built with, for the gradient API (states, {@code ConvTransposeGradient}); it is
   * mutable: callers that change its properties must not share it. Encodes go through {@link #plan()}.
   */
  public ConvTranspose kernel() { return kernel; }

  /**
   * The immutable plan {@link #apply} runs; when the pads depend on the input size ({@link #forInput}), the plan
   * with zero pads, good for labels only: encode through {@code forInput(h, w).plan()}.
   */
  public ConvTransposePlan plan() { return plan; }

  public int inputChannels() { return geometry.inputChannels(); }

  public int outputChannels() { return geometry.outputChannels(); }

  /** MPS-layout weights (a copy). */
  public float[] weightsMps() { return weightsMps.clone(); }

  /** Bias (a copy) or {@code null}. */
  public float[] bias() { return bias == null ? null : bias.clone(); }

  /** Output channels, kernel size and input channels. */
  public WeightGeometry geometry() { return geometry; }

  /**
   * The output image shape for a source of {@code h x w}.
   *
   * @throws IllegalArgumentException naming the sizes (and the flag at fault) when the layer cannot take it
   */
  public OutputShape outputShape(int h, int w) {
    if (spec.inputDependentPads()) {
      return forInput(h, w).outputShape(h, w);
    }
    if (spec.outputSize() != null) {
      return new OutputShape(spec.outputSize()[0], spec.outputSize()[1], outputChannels());
    }
    DestinationGeometry g = plan.destinationFor(w, h);
    return new OutputShape(g.height(), g.width(), outputChannels());
  }

  /** Runs the layer over every image of {@code source}; the caller closes the returned batch. */
  public ImageBatch apply(BufferAllocator allocator, ImageBatch source) {
    if (spec.inputDependentPads()) {
      return forInput(source.height(), source.width()).apply(allocator, source);
    }
    if (source.channels() != inputChannels()) {
      throw new IllegalArgumentException("Cannot apply layer " + plan.label() + ": images have " + source.channels()
          + " channels, the weights expect " + inputChannels());
    }
    if (spec.outputSize() == null) {
      return plan.encodeBatch(allocator, source);
    }
    ImageBatch dst = ImageBatch.allocate(allocator, source.count(), spec.outputSize()[0], spec.outputSize()[1],
        outputChannels());
    try {
      plan.encodeBatch(source, dst);
      return dst;
    } catch (RuntimeException e) {
      dst.close();
      throw e;
    }
  }

  @Override
  public String toString() {
    return "Layer(" + plan.label() + ", " + geometry + ", " + plan.implementation() + ")";
  }
}

package io.convt.job;

import io.convt.engine.ClipRect;
import io.convt.engine.KernelOptions;
import io.convt.engine.Neuron;
import io.convt.engine.NeuronType;
import io.convt.engine.StandardPadding;
import io.convt.engine.WeightPrecision;
import io.convt.engine.backend.KernelImpl;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layer.WeightGeometry;
import io.convt.engine.layout.OnnxAutoPad;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.file.Paths;

/**
 * What the driver broadcasts for one gradient pass: the layer definition and its current weights in MPS layout
 * (plain arrays, never Arrow buffers). {@link LayerSpec}'s parts ({@code Path}, {@code Neuron}, ...) are not
 * {@code Serializable}, so the spec travels as its primitive fields and is rebuilt on the executor; its ONNX
 * {@code auto_pad}/{@code output_shape} travel too, so each executor derives the pads per input size
 * ({@link Layer#forInput}). Never modify
 * the arrays after construction.
 */
public final class LayerWeights implements Serializable {
  private static final long serialVersionUID = 1L;

  private transient LayerSpec spec;
  private final float[] weightsMps;
  private final float[] bias;
  private final int[] geometry;

  /**
   * @param spec the layer flags (geometry, layout, options)
   * @param weightsMps weights {@code [Cout][kH][kW][Cin/g]}
   * @param bias per output channel, or null
   * @param geometry {@code {cout, kH, kW, cin}}
   */
  public LayerWeights(LayerSpec spec, float[] weightsMps, float[] bias, int[] geometry) {
    this.spec = spec;
    this.weightsMps = weightsMps;
    this.bias = bias;
    this.geometry = geometry;
  }

  /** The weights a layer holds now. */
  public static LayerWeights of(Layer layer) {
    return new LayerWeights(layer.spec(), layer.weightsMps(), layer.bias(), geometryArray(layer.geometry()));
  }

  /** {@code {cout, kH, kW, cin}}: the serialised form of a layer's weight geometry. */
  public static int[] geometryArray(WeightGeometry g) {
    return new int[] {g.outputChannels(), g.kernelHeight(), g.kernelWidth(), g.inputChannels()};
  }

  /** The same layer with other weights. */
  public LayerWeights withWeights(float[] newWeightsMps, float[] newBias) {
    return new LayerWeights(spec, newWeightsMps, newBias, geometry);
  }

  /** A new layer (kernel) over these weights; each executor task builds its own. */
  public Layer open() {
    return Layer.of(spec, weightsMps, bias, WeightGeometry.of(geometry));
  }

  public LayerSpec spec() {
    return spec;
  }

  /** Weights, MPS layout (not copied: do not modify). */
  public float[] weightsMps() {
    return weightsMps;
  }

  /** Bias (not copied), or null. */
  public float[] bias() {
    return bias;
  }

  /** {@code {cout, kH, kW, cin}}. */
  public int[] geometry() {
    return geometry.clone();
  }

  /** Output channels. */
  public int outputChannels() {
    return geometry[0];
  }

  /** Number of weights. */
  public int weightCount() {
    return weightsMps.length;
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    LayerSpec s = spec;
    out.writeUTF(s.weights().toString());
    out.writeObject(s.bias() == null ? null : s.bias().toString());
    out.writeObject(s.layout());
    TorchConvTranspose2d g = s.geometry();
    out.writeObject(new int[] {g.strideH(), g.strideW(), g.padTop(), g.padLeft(), g.padBottom(), g.padRight(),
        g.outputPaddingH(), g.outputPaddingW(), g.dilationH(), g.dilationW(), g.groups()});
    out.writeObject(s.paddingPolicy());
    out.writeObject(s.outputSize());
    out.writeObject(s.offset());
    out.writeObject(s.kernelOffset());
    ClipRect c = s.clip();
    out.writeObject(new int[] {c.x(), c.y(), c.z(), c.width(), c.height(), c.depth()});
    Neuron n = s.neuron();
    out.writeObject(n.type());
    out.writeObject(new float[] {n.a(), n.b(), n.c()});
    out.writeObject(n.perChannelA());
    KernelOptions o = s.options();
    out.writeUTF(o.impl().label());
    out.writeInt(o.threads());
    out.writeObject(o.weightPrecision());
    out.writeObject(s.weightsKey());
    out.writeObject(s.biasKey());
    out.writeObject(s.autoPad());
    out.writeObject(s.outputShape());
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    String weights = in.readUTF();
    String biasFile = (String) in.readObject();
    WeightLayout layout = (WeightLayout) in.readObject();
    int[] g = (int[]) in.readObject();
    StandardPadding policy = (StandardPadding) in.readObject();
    int[] outputSize = (int[]) in.readObject();
    int[] offset = (int[]) in.readObject();
    int[] kernelOffset = (int[]) in.readObject();
    int[] c = (int[]) in.readObject();
    NeuronType type = (NeuronType) in.readObject();
    float[] abc = (float[]) in.readObject();
    float[] perChannel = (float[]) in.readObject();
    String impl = in.readUTF();
    int threads = in.readInt();
    WeightPrecision precision = (WeightPrecision) in.readObject();
    String weightsKey = (String) in.readObject();
    String biasKey = (String) in.readObject();
    OnnxAutoPad autoPad = (OnnxAutoPad) in.readObject();
    int[] outputShape = (int[]) in.readObject();
    Neuron neuron = type == NeuronType.PRELU ? Neuron.prelu(perChannel) : Neuron.of(type, abc[0], abc[1], abc[2]);
    spec = new LayerSpec(Paths.get(weights), biasFile == null ? null : Paths.get(biasFile), layout,
        new TorchConvTranspose2d(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10]), policy,
        outputSize, offset, kernelOffset, new ClipRect(c[0], c[1], c[2], c[3], c[4], c[5]), neuron,
        new KernelOptions(KernelImpl.parse(impl, "kernel impl"), threads, precision), weightsKey, biasKey, autoPad,
        outputShape);
  }
}

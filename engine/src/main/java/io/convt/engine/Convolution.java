package io.convt.engine;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.KernelWeights;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;

/**
 * {@code MPSCNNConvolution}, the forward counterpart of {@link ConvTranspose} (the encoder of an auto-encoder):
 * <pre>
 * y[dfo + o](j) = neuron(b'[o] + Σ_{il &lt; Cig} Σ_k W'[o][k][il] · x[sfo + gr·Cig + il](fo + s·j − c + d·k))
 * </pre>
 * per axis, with {@code c = kE >> 1}, {@code fo} the {@link #offset()}, reads outside the source as 0 and weights in
 * MPS layout {@code [Cout][kH][kW][Cin/g]} (no flip). The descriptor type is shared with the transpose
 * (input/output channels are the convolution's own). Every image of the source maps to the same image of the
 * destination; clipRect is not supported here (whole destination).
 *
 * <p>It runs as the data gradient of the adjoint transposed convolution (in/out-swapped, flipped weights,
 * {@code T = (kE even ? 1 : 0) − fo}), so it uses the same backend (scalar or SIMD). The gradient state it returns
 * sizes the transpose that undoes it (spec §2.2): destination = this source size, positioned exactly adjointly
 * (here parity uses kE; MPS uses the kernel width, which differs only for even kernels with even dilation).
 */
public final class Convolution {
  private final ConvDataSource dataSource;
  private final ConvTransposeDescriptor descriptor;
  private final KernelOptions options;
  private final KernelBackend backend;
  private volatile WeightsAndBiasesState weights;
  /** The adjoint's weights, a new version whenever {@link #weights} is replaced (never modified in place). */
  private volatile KernelWeights adjointWeights;
  private Offset offset = Offset.ZERO;
  private StandardPadding padding = StandardPadding.SAME;
  private int sourceFeatureChannelOffset;
  private int destinationFeatureChannelOffset;

  public Convolution(ConvDataSource dataSource) {
    this(dataSource, KernelOptions.defaults());
  }

  /** Loads, converts (fp16, BN fold) and purges the data source, as {@link ConvTranspose} does. */
  public Convolution(ConvDataSource dataSource, KernelOptions options) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.options = Objects.requireNonNull(options, "options");
    this.descriptor = Objects.requireNonNull(dataSource.descriptor(), "dataSource.descriptor()");
    this.backend = KernelBackends.candidates(options.impl()).get(0);
    setWeights(LoadedWeights.read(dataSource, options.weightPrecision()));
  }

  public ConvTransposeDescriptor descriptor() { return descriptor; }
  public ConvDataSource dataSource() { return dataSource; }
  public int inputFeatureChannels() { return descriptor.inputFeatureChannels(); }
  public int outputFeatureChannels() { return descriptor.outputFeatureChannels(); }
  /** The window offset {@code fo} (source pixels); image-returning encodes overwrite it. */
  public Offset offset() { return offset; }
  public void setOffset(Offset o) { offset = Objects.requireNonNull(o, "offset"); }
  public StandardPadding padding() { return padding; }
  public void setPadding(StandardPadding p) { padding = Objects.requireNonNull(p, "padding"); }
  public int sourceFeatureChannelOffset() { return sourceFeatureChannelOffset; }
  public void setSourceFeatureChannelOffset(int v) { sourceFeatureChannelOffset = nonNegative("sourceFeatureChannelOffset", v); }
  public int destinationFeatureChannelOffset() { return destinationFeatureChannelOffset; }
  public void setDestinationFeatureChannelOffset(int v) { destinationFeatureChannelOffset = nonNegative("destinationFeatureChannelOffset", v); }

  private static int nonNegative(String name, int v) {
    if (v < 0) {
      throw new IllegalArgumentException("Cannot set " + name + ": must be >= 0 (" + v + ")");
    }
    return v;
  }

  /** Manual mode: every source image into the same destination image, offset as set. */
  public void encode(ImageBatch source, ImageBatch destination) {
    ConvProblem p = problem(source, destination);
    float[] x = Scratch.source(source.count() * source.imageSize());
    float[] y = Scratch.destination(destination.count() * destination.imageSize());
    source.readAll(x, 0);
    destination.readAll(y, 0); // other channels survive
    backend.backwardData(p, x, adjointWeights, y, options.threads());
    float[] bias = weights.biases();
    Neuron neuron = descriptor.neuron();
    int dfo = destinationFeatureChannelOffset;
    for (int px = 0; px < destination.count() * destination.height() * destination.width(); px++) {
      int at = px * destination.channels() + dfo;
      for (int o = 0; o < descriptor.outputFeatureChannels(); o++) {
        y[at + o] = neuron.apply(bias == null ? y[at + o] : y[at + o] + bias[o], o);
      }
    }
    destination.writeAll(y, 0);
  }

  /** Sizes the destination with the padding (setting {@link #offset()}), encodes and returns it (caller closes). */
  public ImageBatch encode(BufferAllocator allocator, ImageBatch source) {
    int w = size(source.width(), descriptor.strideInPixelsX(), descriptor.dilatedKernelWidth());
    int h = size(source.height(), descriptor.strideInPixelsY(), descriptor.dilatedKernelHeight());
    offset = new Offset(offsetFor(source.width(), w, descriptor.strideInPixelsX(), descriptor.dilatedKernelWidth()),
        offsetFor(source.height(), h, descriptor.strideInPixelsY(), descriptor.dilatedKernelHeight()), offset.z());
    ImageBatch dst = ImageBatch.allocate(allocator, source.count(), h, w,
        destinationFeatureChannelOffset + descriptor.outputFeatureChannels());
    try {
      encode(source, dst);
      return dst;
    } catch (RuntimeException e) {
      dst.close();
      throw e;
    }
  }

  /** {@code encode(cb, src, &state, isTemp)}: as {@link #encode(BufferAllocator, ImageBatch)} plus the gradient state. */
  public StatefulResult encodeWithState(BufferAllocator allocator, ImageBatch source) {
    ImageBatch dst = encode(allocator, source);
    return new StatefulResult(dst, resultState(source, dst));
  }

  /** A gradient state for {@code source → destination} with the current properties (one per batch). */
  public ConvolutionGradientState resultState(ImageBatch source, ImageBatch destination) {
    ConvolutionGradientState s = new ConvolutionGradientState(source.width(), source.height(), offset.x(), offset.y(),
        descriptor.weightCount(), descriptor.outputFeatureChannels());
    s.attachForward(problem(source, destination), source.vector());
    return s;
  }

  /** An encoded image and its {@link ConvolutionGradientState}. */
  public record StatefulResult(ImageBatch image, ConvolutionGradientState state) {}

  private int size(int n, int s, int kE) {
    int out = padding.style() < 0 ? (n - kE) / s + 1 : padding.style() == 0 ? (n - 1) / s + 1 : (n + kE - 2) / s + 1;
    if (n - kE < 0 && padding.style() < 0 || out <= 0) {
      throw new IllegalArgumentException("Cannot size convolution destination with padding " + padding
          + ": source " + n + " is smaller than the dilated kernel " + kE);
    }
    return out;
  }

  private int offsetFor(int n, int out, int s, int kE) {
    int pad = Math.max(0, (out - 1) * s + kE - n);
    boolean topLeft = !padding.name().endsWith("BOTTOM_RIGHT");
    return (kE >> 1) - (pad + (topLeft ? 1 : 0)) / 2;
  }

  /** The adjoint transposed-convolution problem: its source is our destination and vice versa. */
  ConvProblem problem(ImageBatch src, ImageBatch dst) {
    Objects.requireNonNull(src, "source");
    Objects.requireNonNull(dst, "destination");
    int cin = descriptor.inputFeatureChannels();
    int cout = descriptor.outputFeatureChannels();
    if (src.vector() == dst.vector()) {
      throw new IllegalArgumentException("Cannot encode convolution: destination aliases source (" + src.shape() + ")");
    }
    if (src.channels() < sourceFeatureChannelOffset + cin || dst.channels() < destinationFeatureChannelOffset + cout) {
      throw new IllegalArgumentException("Cannot encode convolution: channels too few (source " + src.shape()
          + " needs " + (sourceFeatureChannelOffset + cin) + ", destination " + dst.shape() + " needs "
          + (destinationFeatureChannelOffset + cout) + ")");
    }
    if (src.count() != dst.count()) {
      throw new IllegalArgumentException("Cannot encode convolution: source has " + src.count()
          + " images, destination " + dst.count());
    }
    int kEx = descriptor.dilatedKernelWidth();
    int kEy = descriptor.dilatedKernelHeight();
    int tX = (kEx % 2 == 0 ? 1 : 0) - offset.x();
    int tY = (kEy % 2 == 0 ? 1 : 0) - offset.y();
    return new ConvProblem(src.count(),
        dst.height(), dst.width(), dst.channels(), destinationFeatureChannelOffset, cout,
        src.height(), src.width(), src.channels(), sourceFeatureChannelOffset,
        cout, cin, descriptor.groups(), descriptor.kernelHeight(), descriptor.kernelWidth(),
        descriptor.strideInPixelsY(), descriptor.strideInPixelsX(), descriptor.dilationRateY(),
        descriptor.dilationRateX(), tY, tX, 0, 0, src.height(), src.width(), 0, 0, false);
  }

  // ---- weights ----------------------------------------------------------------------------------------------

  /** The weights actually used (OHWI, after fp16 rounding and BN folding), as a fresh copy. */
  public WeightsAndBiasesState exportWeightsAndBiases() {
    return weights.copy();
  }

  /** Replaces the weights (e.g. after an optimizer step). */
  public void reloadWeightsAndBiases(WeightsAndBiasesState state) {
    Objects.requireNonNull(state, "state");
    if (state.weights().length != descriptor.weightCount()
        || (state.biases() != null && state.biases().length != descriptor.outputFeatureChannels())) {
      throw new IllegalArgumentException("Cannot reload convolution weights of '" + dataSource.label()
          + "': sizes differ from the descriptor " + descriptor);
    }
    WeightsAndBiasesState copy = state.copy();
    LoadedWeights.requireFinite(copy.weights(), "weight", dataSource.label());
    setWeights(copy);
  }

  private void setWeights(WeightsAndBiasesState w) {
    weights = w;
    adjointWeights = KernelWeights.of(swapAndFlip(descriptor, w.weights()));
  }

  KernelBackend backend() { return backend; }
  KernelOptions options() { return options; }
  KernelWeights adjointWeights() { return adjointWeights; }

  /**
   * OHWI weights of a convolution {@code [Cout][kH][kW][Cin/g]} to those of its adjoint transpose
   * {@code [Cin][kH][kW][Cout/g]}: in/out swapped within each group and flipped 180°. The map is an involution
   * given the swapped channel counts.
   */
  static float[] swapAndFlip(ConvTransposeDescriptor d, float[] w) {
    int kH = d.kernelHeight();
    int kW = d.kernelWidth();
    int cig = d.inputChannelsPerGroup();
    int cog = d.outputChannelsPerGroup();
    float[] t = new float[w.length];
    for (int o = 0; o < d.outputFeatureChannels(); o++) {
      int gr = o / cog;
      for (int ky = 0; ky < kH; ky++) {
        for (int kx = 0; kx < kW; kx++) {
          for (int il = 0; il < cig; il++) {
            int i = gr * cig + il;
            t[((i * kH + kH - 1 - ky) * kW + kW - 1 - kx) * cog + o % cog] = w[((o * kH + ky) * kW + kx) * cig + il];
          }
        }
      }
    }
    return t;
  }
}

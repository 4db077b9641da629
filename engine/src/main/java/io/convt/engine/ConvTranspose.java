package io.convt.engine;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;

/**
 * {@code MPSCNNConvolutionTranspose}: a transposed convolution with MPS's exact semantics (unrotated OHWI weights,
 * zero insertion, {@code T = offset·stride + kernelOffset}, clip, channel slices, padding policies).
 *
 * <p>Construction loads the data source once, copies and converts its weights (fp16 rounding and batch-norm
 * folding as configured), then purges it. Properties mirror MPS's and are plain fields: set them before encoding;
 * encodes read a consistent snapshot and may run concurrently on different images as long as no thread changes
 * properties meanwhile. Image-returning encodes size the destination and, as in MPS, overwrite {@code offset}
 * and {@code kernelOffsetX/Y}.
 */
public final class ConvTranspose {
  private final ConvDataSource dataSource;
  private final ConvTransposeDescriptor descriptor;
  private final KernelOptions options;
  private final KernelBackend backend;
  private final String label;
  private volatile WeightsAndBiasesState weights;

  private int kernelOffsetX;
  private int kernelOffsetY;
  private Offset offset = Offset.ZERO;
  private ClipRect clipRect = ClipRect.ALL;
  private int sourceFeatureChannelOffset;
  private int destinationFeatureChannelOffset;
  private int sourceFeatureChannelMaxCount = Integer.MAX_VALUE;
  private EdgeMode edgeMode = EdgeMode.ZERO;
  private PaddingPolicy padding = StandardPadding.SAME;
  private AccumulatorPrecision accumulatorPrecision = AccumulatorPrecision.FLOAT;

  /** A kernel with {@link KernelOptions#defaults()}. */
  public ConvTranspose(ConvDataSource dataSource) {
    this(dataSource, KernelOptions.defaults());
  }

  /**
   * @throws IllegalArgumentException when the data source's weights do not fit its descriptor or are not finite
   * @throws IllegalStateException when the data source fails to load
   */
  public ConvTranspose(ConvDataSource dataSource, KernelOptions options) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.options = Objects.requireNonNull(options, "options");
    this.descriptor = Objects.requireNonNull(dataSource.descriptor(), "dataSource.descriptor()");
    this.label = dataSource.label();
    this.backend = backendFor(options);
    this.weights = LoadedWeights.read(dataSource, options.weightPrecision());
  }

  private static KernelBackend backendFor(KernelOptions o) {
    return "auto".equals(o.impl()) && "auto".equals(KernelBackends.configuredImpl())
        ? KernelBackends.defaultBackend()
        : KernelBackends.lookup(o.impl());
  }

  // ---- MPS properties -------------------------------------------------------------------------------------

  public ConvTransposeDescriptor descriptor() { return descriptor; }
  public ConvDataSource dataSource() { return dataSource; }
  public String label() { return label; }
  public KernelOptions options() { return options; }
  /** The backend computing this kernel ("scalar" or "simd"). */
  public String implementation() { return backend.name(); }
  public int inputFeatureChannels() { return descriptor.inputFeatureChannels(); }
  public int outputFeatureChannels() { return descriptor.outputFeatureChannels(); }
  public int groups() { return descriptor.groups(); }
  public int kernelOffsetX() { return kernelOffsetX; }
  public int kernelOffsetY() { return kernelOffsetY; }
  public void setKernelOffsetX(int v) { kernelOffsetX = v; }
  public void setKernelOffsetY(int v) { kernelOffsetY = v; }
  public Offset offset() { return offset; }
  public void setOffset(Offset o) { offset = Objects.requireNonNull(o, "offset"); }
  public ClipRect clipRect() { return clipRect; }
  public void setClipRect(ClipRect c) { clipRect = Objects.requireNonNull(c, "clipRect"); }
  public int sourceFeatureChannelOffset() { return sourceFeatureChannelOffset; }
  public int destinationFeatureChannelOffset() { return destinationFeatureChannelOffset; }
  public int sourceFeatureChannelMaxCount() { return sourceFeatureChannelMaxCount; }
  public EdgeMode edgeMode() { return edgeMode; }
  public PaddingPolicy padding() { return padding; }
  public void setPadding(PaddingPolicy p) { padding = Objects.requireNonNull(p, "padding"); }
  public AccumulatorPrecision accumulatorPrecision() { return accumulatorPrecision; }
  public void setAccumulatorPrecision(AccumulatorPrecision p) { accumulatorPrecision = Objects.requireNonNull(p); }

  /** @throws IllegalArgumentException when negative, or not a multiple of 4 under strict MPS rules */
  public void setSourceFeatureChannelOffset(int v) { sourceFeatureChannelOffset = channelOffset("sourceFeatureChannelOffset", v); }

  /** @throws IllegalArgumentException when negative, or not a multiple of 4 under strict MPS rules */
  public void setDestinationFeatureChannelOffset(int v) { destinationFeatureChannelOffset = channelOffset("destinationFeatureChannelOffset", v); }

  /** Caps the source channels read; channels past the cap count as zero. */
  public void setSourceFeatureChannelMaxCount(int v) {
    if (v <= 0) {
      throw new IllegalArgumentException("Cannot set sourceFeatureChannelMaxCount: must be > 0 (" + v + ")");
    }
    sourceFeatureChannelMaxCount = v;
  }

  /** @throws IllegalArgumentException for CLAMP, which MPS does not define for the transpose */
  public void setEdgeMode(EdgeMode m) {
    if (m != EdgeMode.ZERO) {
      throw new IllegalArgumentException("Cannot set edgeMode " + m + ": only ZERO is defined for the transposed convolution");
    }
    edgeMode = m;
  }

  private int channelOffset(String name, int v) {
    if (v < 0 || (descriptor.strictMps() && v % 4 != 0)) {
      throw new IllegalArgumentException("Cannot set " + name + ": must be >= 0"
          + (descriptor.strictMps() ? " and a multiple of 4" : "") + " (" + v + ")");
    }
    return v;
  }

  // ---- encodes ----------------------------------------------------------------------------------------------

  /** Manual mode: offsets and clip as set, images {@code offset.z…} into {@code clipRect.z…}; no padding, no state. */
  public void encode(ImageBatch source, ImageBatch destination) {
    run(problem(source, destination, false, kernelOffsetX, kernelOffsetY, offset), source, destination);
  }

  /** Manual mode with a forward convolution's state: offsets as set; consumes one read of the state. */
  public void encode(ImageBatch source, ConvolutionGradientState state, ImageBatch destination) {
    Objects.requireNonNull(state, "state").decrementReadCount();
    encode(source, destination);
  }

  /** Sizes a destination with the padding policy (setting offset and kernelOffset), encodes, returns it (caller closes). */
  public ImageBatch encode(BufferAllocator allocator, ImageBatch source) {
    return sized(allocator, source, padding.destinationFor(descriptor, source.width(), source.height()), false);
  }

  /** Sizes and positions the destination from a forward convolution's state (spec §2.2); caller closes it. */
  public ImageBatch encode(BufferAllocator allocator, ImageBatch source, ConvolutionGradientState state) {
    DestinationGeometry g = geometryFrom(state);
    state.decrementReadCount();
    return sized(allocator, source, g, false);
  }

  /** Every image of {@code source} into the same image of {@code destination}, offsets and clip (x, y) as set. */
  public void encodeBatch(ImageBatch source, ImageBatch destination) {
    run(problem(source, destination, true, kernelOffsetX, kernelOffsetY, offset), source, destination);
  }

  /** Batch form of {@link #encode(BufferAllocator, ImageBatch)}; caller closes the result. */
  public ImageBatch encodeBatch(BufferAllocator allocator, ImageBatch source) {
    return sized(allocator, source, padding.destinationFor(descriptor, source.width(), source.height()), true);
  }

  /** Batch form of {@link #encode(BufferAllocator, ImageBatch, ConvolutionGradientState)}: one state drives sizing. */
  public ImageBatch encodeBatch(BufferAllocator allocator, ImageBatch source, ConvolutionGradientState state) {
    DestinationGeometry g = geometryFrom(state);
    state.decrementReadCount();
    return sized(allocator, source, g, true);
  }

  // ---- training: gradient states (spec §4, §5.1) -------------------------------------------------------

  /**
   * {@code resultState}: a gradient state for the single-image encode {@code source → destination} with the
   * properties as they are now (call after they are final). {@code forwardState} (may be null) is the forward
   * convolution's state the transpose was sized by; it is only referenced.
   */
  public ConvolutionTransposeGradientState resultState(
      ImageBatch source, ConvolutionGradientState forwardState, ImageBatch destination) {
    return newState(source, forwardState, destination, false, false);
  }

  /** {@code temporaryResultState}: as {@link #resultState}, consumed after {@code readCount} gradient reads. */
  public ConvolutionTransposeGradientState temporaryResultState(
      ImageBatch source, ConvolutionGradientState forwardState, ImageBatch destination) {
    return newState(source, forwardState, destination, true, false);
  }

  /** {@code resultStateBatch}: one state for every image of the batch, repeated once per image. */
  public List<ConvolutionTransposeGradientState> resultStateBatch(
      ImageBatch source, ConvolutionGradientState forwardState, ImageBatch destination) {
    return Collections.nCopies(source.count(), newState(source, forwardState, destination, false, true));
  }

  /** {@code temporaryResultStateBatch}: the temporary form of {@link #resultStateBatch}. */
  public List<ConvolutionTransposeGradientState> temporaryResultStateBatch(
      ImageBatch source, ConvolutionGradientState forwardState, ImageBatch destination) {
    return Collections.nCopies(source.count(), newState(source, forwardState, destination, true, true));
  }

  /**
   * The training encode {@code encode(cb, src, convGradState?, &outState, isTemp)}: sizes the destination (from
   * {@code forwardState} when non-null, else the padding policy), runs the forward pass and returns the image with
   * a new gradient state. The caller closes the image.
   */
  public StatefulResult encodeWithState(
      BufferAllocator allocator, ImageBatch source, ConvolutionGradientState forwardState, boolean temporary) {
    ImageBatch dst = forwardState == null ? encode(allocator, source) : encode(allocator, source, forwardState);
    return new StatefulResult(dst, newState(source, forwardState, dst, temporary, false));
  }

  /** Batch form of {@link #encodeWithState}: the returned state is shared by (and sums over) every image. */
  public StatefulResult encodeBatchWithState(
      BufferAllocator allocator, ImageBatch source, ConvolutionGradientState forwardState, boolean temporary) {
    ImageBatch dst = forwardState == null ? encodeBatch(allocator, source) : encodeBatch(allocator, source, forwardState);
    return new StatefulResult(dst, newState(source, forwardState, dst, temporary, true));
  }

  /** An encoded image and its gradient state. */
  public record StatefulResult(ImageBatch image, ConvolutionTransposeGradientState state) {}

  private ConvolutionTransposeGradientState newState(
      ImageBatch source, ConvolutionGradientState forwardState, ImageBatch destination, boolean temp, boolean batch) {
    ConvProblem p = problem(source, destination, batch, kernelOffsetX, kernelOffsetY, offset);
    return new ConvolutionTransposeGradientState(this, forwardState, p, source, destination, temp, batch);
  }

  /** The geometry a forward convolution's state implies: its source size, {@code T = (k even ? 1 : 0) − fo}. */
  public DestinationGeometry geometryFrom(ConvolutionGradientState state) {
    Objects.requireNonNull(state, "state");
    int tX = (descriptor.kernelWidth() % 2 == 0 ? 1 : 0) - state.offsetX();
    int tY = (descriptor.kernelHeight() % 2 == 0 ? 1 : 0) - state.offsetY();
    return DestinationGeometry.fromT(state.sourceWidth(), state.sourceHeight(), tX, tY,
        descriptor.strideInPixelsX(), descriptor.strideInPixelsY());
  }

  private ImageBatch sized(BufferAllocator allocator, ImageBatch source, DestinationGeometry g, boolean batch) {
    // MPS overwrites offset and kernelOffset here; the encode itself uses only locals, so concurrent sized
    // encodes from several task threads on one kernel (one kernel per executor JVM) cannot race.
    Offset off = new Offset(g.offsetX(), g.offsetY(), offset.z());
    offset = off;
    kernelOffsetX = g.kernelOffsetX();
    kernelOffsetY = g.kernelOffsetY();
    int images = batch ? source.count() : Math.max(0, Math.min(clipRect.depth(), source.count() - off.z()));
    if (images == 0) {
      throw new IllegalArgumentException("Cannot encode: no source images at offset.z=" + offset.z() + " of " + source.shape());
    }
    ImageBatch dst = ImageBatch.allocate(allocator, images, g.height(), g.width(),
        destinationFeatureChannelOffset + descriptor.outputFeatureChannels());
    try {
      ConvProblem p = problem(source, dst, batch, g.kernelOffsetX(), g.kernelOffsetY(), off);
      run(p, source, dst);
      return dst;
    } catch (RuntimeException e) {
      dst.close();
      throw e;
    }
  }

  /**
   * Resolves properties and shapes into a {@link ConvProblem}, validating channel slices and batch ranges.
   * Package-private: the gradient kernels in this package share it.
   */
  ConvProblem problem(ImageBatch src, ImageBatch dst, boolean wholeBatch, int koX, int koY, Offset off) {
    Objects.requireNonNull(src, "source");
    Objects.requireNonNull(dst, "destination");
    if (src.vector() == dst.vector()) {
      throw new IllegalArgumentException("Cannot encode: destination aliases source (" + src.shape() + ")");
    }
    int cin = descriptor.inputFeatureChannels();
    int cout = descriptor.outputFeatureChannels();
    int sfo = sourceFeatureChannelOffset;
    int dfo = destinationFeatureChannelOffset;
    int cinRead = Math.min(cin, sourceFeatureChannelMaxCount);
    if (src.channels() < sfo + cinRead) {
      throw new IllegalArgumentException("Cannot encode: source has " + src.channels() + " channels, needs "
          + (sfo + cinRead) + " (sourceFeatureChannelOffset=" + sfo + " + input channels read=" + cinRead + ")");
    }
    if (dst.channels() < dfo + cout) {
      throw new IllegalArgumentException("Cannot encode: destination has " + dst.channels() + " channels, needs "
          + (dfo + cout) + " (destinationFeatureChannelOffset=" + dfo + " + outputFeatureChannels=" + cout + ")");
    }
    int srcImage0 = wholeBatch ? 0 : off.z();
    int dstImage0 = wholeBatch ? 0 : ClipRect.lo(clipRect.z(), dst.count());
    int images;
    if (wholeBatch) {
      if (src.count() != dst.count()) {
        throw new IllegalArgumentException("Cannot encode batch: source has " + src.count()
            + " images, destination " + dst.count() + " (" + src.shape() + " vs " + dst.shape() + ")");
      }
      images = src.count();
    } else {
      if (srcImage0 < 0 || srcImage0 >= src.count()) {
        throw new IllegalArgumentException("Cannot encode: offset.z=" + srcImage0 + " outside source " + src.shape());
      }
      int dstEnd = ClipRect.hi(clipRect.z(), clipRect.depth(), dst.count());
      images = Math.min(dstEnd - dstImage0, src.count() - srcImage0);
    }
    int cy0 = ClipRect.lo(clipRect.y(), dst.height());
    int cy1 = ClipRect.hi(clipRect.y(), clipRect.height(), dst.height());
    int cx0 = ClipRect.lo(clipRect.x(), dst.width());
    int cx1 = ClipRect.hi(clipRect.x(), clipRect.width(), dst.width());
    int tY = off.y() * descriptor.strideInPixelsY() + koY;
    int tX = off.x() * descriptor.strideInPixelsX() + koX;
    return new ConvProblem(Math.max(0, images),
        src.height(), src.width(), src.channels(), sfo, cinRead,
        dst.height(), dst.width(), dst.channels(), dfo,
        cin, cout, descriptor.groups(),
        descriptor.kernelHeight(), descriptor.kernelWidth(),
        descriptor.strideInPixelsY(), descriptor.strideInPixelsX(),
        descriptor.dilationRateY(), descriptor.dilationRateX(),
        tY, tX, cy0, cx0, cy1 - cy0, cx1 - cx0, srcImage0, dstImage0,
        accumulatorPrecision == AccumulatorPrecision.HALF);
  }

  private void run(ConvProblem p, ImageBatch src, ImageBatch dst) {
    if (p.images() == 0 || p.clipH() == 0 || p.clipW() == 0) {
      return; // an empty clip writes nothing
    }
    WeightsAndBiasesState w = weights;
    float[] s = Scratch.source(src.count() * src.imageSize());
    float[] d = Scratch.destination(dst.count() * dst.imageSize());
    src.readAll(s, 0);
    dst.readAll(d, 0); // untouched pixels and channels must survive the round trip
    backend.forward(p, s, w.weights(), w.biases(), NeuronActivation.of(descriptor.neuron()), d, options.threads());
    dst.writeAll(d, 0);
  }

  /** The backend, for the gradient kernels of this package. */
  KernelBackend backend() {
    return backend;
  }

  // ---- weights ----------------------------------------------------------------------------------------------

  /** The weights actually used (after fp16 rounding and BN folding), as a fresh copy. */
  public WeightsAndBiasesState exportWeightsAndBiases() {
    return weights.copy();
  }

  /**
   * Replaces the weights from a state (e.g. an optimizer's result); the values are used as given (no BN fold).
   *
   * @throws IllegalArgumentException when sizes differ or values are not finite
   */
  public void reloadWeightsAndBiases(WeightsAndBiasesState state) {
    Objects.requireNonNull(state, "state");
    if (state.weights().length != descriptor.weightCount()) {
      throw new IllegalArgumentException("Cannot reload weights of '" + label + "': state has "
          + state.weights().length + " weights, the kernel needs " + descriptor.weightCount());
    }
    if (state.biases() != null && state.biases().length != descriptor.outputFeatureChannels()) {
      throw new IllegalArgumentException("Cannot reload biases of '" + label + "': state has "
          + state.biases().length + ", the kernel needs " + descriptor.outputFeatureChannels());
    }
    WeightsAndBiasesState copy = state.copy();
    LoadedWeights.requireFinite(copy.weights(), "weight", label);
    if (copy.biases() != null) {
      LoadedWeights.requireFinite(copy.biases(), "bias", label);
    }
    weights = copy;
  }

  /** Loads, converts and purges the data source again (after a CPU update hook changed it). */
  public void reloadWeightsAndBiasesFromDataSource() {
    weights = LoadedWeights.read(dataSource, options.weightPrecision());
  }

  /** The current weights without copying, for the gradient kernels of this package. */
  WeightsAndBiasesState weightsUsed() {
    return weights;
  }

  @Override
  public String toString() {
    return "ConvTranspose[" + label + ", " + descriptor + ", " + backend.name() + "]";
  }

  /** Per-thread scratch arrays reused across encodes (no allocation per batch once warm). */
  static final class Scratch {
    private static final ThreadLocal<float[][]> ARRAYS = ThreadLocal.withInitial(() -> new float[4][0]);

    static float[] get(int slot, int n) {
      float[][] a = ARRAYS.get();
      if (a[slot].length < n) {
        a[slot] = new float[n];
      }
      return a[slot];
    }

    static float[] source(int n) {
      return get(0, n);
    }

    static float[] destination(int n) {
      return get(1, n);
    }
  }
}

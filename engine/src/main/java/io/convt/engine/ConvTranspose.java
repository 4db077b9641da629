package io.convt.engine;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.internal.ConvProblem;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;

/**
 * {@code MPSCNNConvolutionTranspose}: a transposed convolution with MPS's exact semantics (unrotated OHWI weights,
 * zero insertion, {@code T = offset·stride + kernelOffset}, clip, channel slices, padding policies).
 *
 * <p>The MPS-faithful, mutable facade over an immutable {@link ConvTransposePlan}: construction loads the data
 * source once (fp16 rounding and batch-norm folding as configured) and plans it; properties mirror MPS's and are
 * plain fields; each encode runs on a plan snapshot of the properties as they are at the call. Encodes may run
 * concurrently on different images as long as no thread changes properties meanwhile; code that shares one kernel
 * between threads should share its {@link #plan()} instead. Image-returning encodes size the destination and, as
 * in MPS, overwrite {@code offset} and {@code kernelOffsetX/Y} on this facade (never on a plan).
 */
public final class ConvTranspose {
  private final ConvDataSource dataSource;
  private final ConvTransposeDescriptor descriptor;
  private final KernelOptions options;
  private final String label;
  /** Weights and backends; its properties are replaced by this facade's at each {@link #plan()}. */
  private volatile ConvTransposePlan base;

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
    this.base = ConvTransposePlan.create(dataSource, ConvTransposePlan.Properties.DEFAULTS, options);
  }

  /** A facade over {@code from}'s data source, options and plan, with its properties. */
  private ConvTranspose(ConvTranspose from) {
    this.dataSource = from.dataSource;
    this.options = from.options;
    this.descriptor = from.descriptor;
    this.label = from.label;
    this.base = from.base;
    this.kernelOffsetX = from.kernelOffsetX;
    this.kernelOffsetY = from.kernelOffsetY;
    this.offset = from.offset;
    this.clipRect = from.clipRect;
    this.sourceFeatureChannelOffset = from.sourceFeatureChannelOffset;
    this.destinationFeatureChannelOffset = from.destinationFeatureChannelOffset;
    this.sourceFeatureChannelMaxCount = from.sourceFeatureChannelMaxCount;
    this.edgeMode = from.edgeMode;
    this.padding = from.padding;
    this.accumulatorPrecision = from.accumulatorPrecision;
  }

  /**
   * A copy, as MPS's {@code copyWithZone:device:}: a new facade with this one's properties (changed independently
   * from now on) over the same loaded weights and plan, so nothing is loaded, converted or packed again.
   */
  public ConvTranspose copy() {
    return new ConvTranspose(this);
  }

  /** An immutable snapshot of this kernel: its weights and the properties as they are now. */
  public ConvTransposePlan plan() {
    return base.withProperties(properties(kernelOffsetX, kernelOffsetY, offset));
  }

  private ConvTransposePlan.Properties properties(int koX, int koY, Offset off) {
    return new ConvTransposePlan.Properties(koX, koY, off, clipRect, sourceFeatureChannelOffset,
        destinationFeatureChannelOffset, sourceFeatureChannelMaxCount, padding, accumulatorPrecision);
  }

  // ---- MPS properties -------------------------------------------------------------------------------------

  public ConvTransposeDescriptor descriptor() { return descriptor; }
  public ConvDataSource dataSource() { return dataSource; }
  public String label() { return label; }
  public KernelOptions options() { return options; }
  /** The backend of each pass: "simd", "scalar", or one per pass when they differ ({@link ConvTransposePlan#implementation()}). */
  public String implementation() { return plan().implementation(); }
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
    plan().encode(source, destination);
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
    plan().encodeBatch(source, destination);
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
    ConvProblem p = plan().problem(source, destination, batch, kernelOffsetX, kernelOffsetY, offset);
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
    // MPS overwrites offset and kernelOffset here (on this facade only); the plan encodes with g itself
    offset = new Offset(g.offsetX(), g.offsetY(), offset.z());
    kernelOffsetX = g.kernelOffsetX();
    kernelOffsetY = g.kernelOffsetY();
    return plan().sized(allocator, source, g, batch);
  }

  // ---- weights ----------------------------------------------------------------------------------------------

  /** The weights actually used (after fp16 rounding and BN folding), as a fresh copy. */
  public WeightsAndBiasesState exportWeightsAndBiases() {
    return base.weightsUsed().copy();
  }

  /**
   * Replaces the weights from a state (e.g. an optimizer's result); the values are used as given (no BN fold).
   *
   * @throws IllegalArgumentException when sizes differ or values are not finite
   */
  public void reloadWeightsAndBiases(WeightsAndBiasesState state) {
    base = base.withWeights(state);
  }

  /** Loads, converts and purges the data source again (after a CPU update hook changed it). */
  public void reloadWeightsAndBiasesFromDataSource() {
    base = base.withWeightsFrom(dataSource);
  }

  @Override
  public String toString() {
    return "ConvTranspose[" + label + ", " + descriptor + ", " + implementation() + "]";
  }
}

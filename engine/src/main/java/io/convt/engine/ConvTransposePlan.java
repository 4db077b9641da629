package io.convt.engine;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.KernelWeights;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;

/**
 * An immutable, thread-safe transposed convolution, oneDNN style: built once from a descriptor, a snapshot of the
 * MPS properties ({@link Properties}) and {@link KernelOptions}, then executed any number of times, from any
 * number of threads, with per-call arguments (source, destination). Nothing here is written after construction:
 * the sized encodes return the destination and leave the properties alone ({@link ConvTranspose}, the MPS facade,
 * is what overwrites {@code offset} as MPS does).
 *
 * <p>Owns: the converted weights (fp16 rounding and batch-norm folding done once; never modified, so one
 * {@link KernelWeights} version names them for the plan's life and every plan sharing them), the backend of each
 * {@link KernelPass} (the first of {@link KernelBackends#candidates} that handles it: the vectorised backend,
 * the scalar reference last) and, through the backend, the packed weights (per weight shape, shared by every
 * image size) and small per-geometry plans (bounded in bytes).
 */
public final class ConvTransposePlan {
  private final ConvTransposeDescriptor descriptor;
  private final Properties properties;
  private final KernelOptions options;
  private final WeightsAndBiasesState weights;
  private final KernelWeights kernelWeights;
  private final String label;
  private final Activation activation;
  private final Map<KernelPass, KernelBackend> backends;

  /**
   * The MPS properties a plan computes with (the settable properties of {@code MPSCNNConvolutionTranspose}).
   *
   * @param kernelOffsetX kernel offset x, in zero-inserted pixels
   * @param kernelOffsetY kernel offset y
   * @param offset source offset (x, y in source pixels; z = first source image of a single-image encode)
   * @param clipRect destination region written
   * @param sourceFeatureChannelOffset first source channel read
   * @param destinationFeatureChannelOffset first destination channel written
   * @param sourceFeatureChannelMaxCount cap on source channels read (those past it count as zero)
   * @param padding how sized encodes size and position the destination
   * @param accumulatorPrecision FLOAT or HALF (fp16 rounding after every multiply-add)
   */
  public record Properties(int kernelOffsetX, int kernelOffsetY, Offset offset, ClipRect clipRect,
      int sourceFeatureChannelOffset, int destinationFeatureChannelOffset, int sourceFeatureChannelMaxCount,
      PaddingPolicy padding, AccumulatorPrecision accumulatorPrecision) {
    /** MPS's defaults: no offsets, whole clip, every channel, SAME padding, float accumulation. */
    public static final Properties DEFAULTS = new Properties(0, 0, Offset.ZERO, ClipRect.ALL, 0, 0,
        Integer.MAX_VALUE, StandardPadding.SAME, AccumulatorPrecision.FLOAT);

    public Properties {
      Objects.requireNonNull(offset, "offset");
      Objects.requireNonNull(clipRect, "clipRect");
      Objects.requireNonNull(padding, "padding");
      Objects.requireNonNull(accumulatorPrecision, "accumulatorPrecision");
      if (sourceFeatureChannelOffset < 0 || destinationFeatureChannelOffset < 0) {
        throw new IllegalArgumentException("Cannot set channel offsets: must be >= 0 (source "
            + sourceFeatureChannelOffset + ", destination " + destinationFeatureChannelOffset + ")");
      }
      if (sourceFeatureChannelMaxCount <= 0) {
        throw new IllegalArgumentException(
            "Cannot set sourceFeatureChannelMaxCount: must be > 0 (" + sourceFeatureChannelMaxCount + ")");
      }
    }

    /** These properties with a manual-mode window position. */
    public Properties withOffsets(Offset o, int koX, int koY) {
      return new Properties(koX, koY, o, clipRect, sourceFeatureChannelOffset, destinationFeatureChannelOffset,
          sourceFeatureChannelMaxCount, padding, accumulatorPrecision);
    }

    public Properties withClipRect(ClipRect c) {
      return new Properties(kernelOffsetX, kernelOffsetY, offset, c, sourceFeatureChannelOffset,
          destinationFeatureChannelOffset, sourceFeatureChannelMaxCount, padding, accumulatorPrecision);
    }

    public Properties withPadding(PaddingPolicy p) {
      return new Properties(kernelOffsetX, kernelOffsetY, offset, clipRect, sourceFeatureChannelOffset,
          destinationFeatureChannelOffset, sourceFeatureChannelMaxCount, p, accumulatorPrecision);
    }
  }

  private ConvTransposePlan(ConvTransposeDescriptor descriptor, Properties properties, KernelOptions options,
      WeightsAndBiasesState weights, KernelWeights kernelWeights, String label, Map<KernelPass, KernelBackend> backends) {
    this.descriptor = descriptor;
    this.properties = properties;
    this.options = options;
    this.weights = weights;
    this.kernelWeights = kernelWeights;
    this.label = label;
    this.activation = NeuronActivation.of(descriptor.neuron());
    this.backends = backends;
  }

  /**
   * Loads the data source once (weights converted, validated and purged) and plans it.
   *
   * @throws IllegalArgumentException when the weights do not fit the descriptor or are not finite
   * @throws IllegalStateException when the data source fails to load
   * @throws UnsupportedOperationException when the options force a backend that cannot load
   */
  public static ConvTransposePlan create(ConvDataSource dataSource, Properties properties, KernelOptions options) {
    Objects.requireNonNull(dataSource, "dataSource");
    ConvTransposeDescriptor d = Objects.requireNonNull(dataSource.descriptor(), "dataSource.descriptor()");
    WeightsAndBiasesState w = LoadedWeights.read(dataSource, options.weightPrecision());
    return new ConvTransposePlan(d, Objects.requireNonNull(properties, "properties"), options, w,
        KernelWeights.of(w.weights()), dataSource.label(), choose(d, properties, options));
  }

  /** The plan with other properties: weights and packed weights are shared, not copied. */
  public ConvTransposePlan withProperties(Properties p) {
    Objects.requireNonNull(p, "properties");
    if (p.equals(properties)) {
      return this;
    }
    Map<KernelPass, KernelBackend> b = p.accumulatorPrecision() == properties.accumulatorPrecision()
        ? backends : choose(descriptor, p, options);
    return new ConvTransposePlan(descriptor, p, options, weights, kernelWeights, label, b);
  }

  /**
   * The plan with other weights (e.g. an optimizer's result), used as given: no batch-norm fold.
   *
   * @throws IllegalArgumentException when sizes differ or values are not finite
   */
  public ConvTransposePlan withWeights(WeightsAndBiasesState state) {
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
    return new ConvTransposePlan(descriptor, properties, options, copy, KernelWeights.of(copy.weights()), label,
        backends);
  }

  /** The plan with weights loaded again from a data source (after a CPU update hook changed it). */
  ConvTransposePlan withWeightsFrom(ConvDataSource ds) {
    WeightsAndBiasesState w = LoadedWeights.read(ds, options.weightPrecision());
    return new ConvTransposePlan(descriptor, properties, options, w, KernelWeights.of(w.weights()), label, backends);
  }

  private static Map<KernelPass, KernelBackend> choose(
      ConvTransposeDescriptor d, Properties p, KernelOptions options) {
    List<KernelBackend> list = KernelBackends.candidates(options.impl());
    boolean half = p.accumulatorPrecision() == AccumulatorPrecision.HALF;
    Map<KernelPass, KernelBackend> m = new EnumMap<>(KernelPass.class);
    for (KernelPass pass : KernelPass.values()) {
      for (KernelBackend b : list) {
        boolean handles = pass == KernelPass.FORWARD
            ? b.handlesForward(d.kernelWidth(), half) : b.handlesBackward(d.kernelWidth());
        if (handles) {
          m.put(pass, b);
          break;
        }
      }
    }
    return m;
  }

  // ---- what the plan is -------------------------------------------------------------------------------------

  public ConvTransposeDescriptor descriptor() { return descriptor; }
  public Properties properties() { return properties; }
  public KernelOptions options() { return options; }
  public String label() { return label; }

  /** The backend that really runs {@code pass} ("simd" or "scalar"). */
  public String implementation(KernelPass pass) {
    return backends.get(pass).name();
  }

  /**
   * The backend of every pass: one name when all passes use the same one, else each pass's, e.g.
   * {@code "forward=scalar, backwardData=simd, backwardWeights=simd"}.
   */
  public String implementation() {
    if (backends.values().stream().distinct().count() == 1) {
      return implementation(KernelPass.FORWARD);
    }
    return backends.entrySet().stream().map(e -> passLabel(e.getKey()) + "=" + e.getValue().name())
        .collect(Collectors.joining(", "));
  }

  private static String passLabel(KernelPass p) {
    switch (p) {
      case FORWARD: return "forward";
      case BACKWARD_DATA: return "backwardData";
      default: return "backwardWeights";
    }
  }

  /** Where the padding policy puts the destination for a source of {@code width x height}. */
  public DestinationGeometry destinationFor(int width, int height) {
    return properties.padding().destinationFor(descriptor, width, height);
  }

  // ---- execution --------------------------------------------------------------------------------------------

  /** Manual mode: image {@code offset.z…} of the source into {@code clipRect.z…}, offsets and clip as planned. */
  public void encode(ImageBatch source, ImageBatch destination) {
    run(problem(source, destination, false, properties.kernelOffsetX(), properties.kernelOffsetY(),
        properties.offset()), source, destination);
  }

  /** Manual mode over every image: image i of the source into image i of the destination. */
  public void encodeBatch(ImageBatch source, ImageBatch destination) {
    run(problem(source, destination, true, properties.kernelOffsetX(), properties.kernelOffsetY(),
        properties.offset()), source, destination);
  }

  /** Sizes the destination with the padding policy, encodes every image, returns it (the caller closes it). */
  public ImageBatch encodeBatch(BufferAllocator allocator, ImageBatch source) {
    return sized(allocator, source, destinationFor(source.width(), source.height()), true);
  }

  /**
   * Sizes the destination by {@code g} and encodes into it with {@code g}'s offsets ({@code offset.z} from the
   * properties); {@code batch} encodes every image, else from {@code offset.z} into the clip's depth.
   */
  ImageBatch sized(BufferAllocator allocator, ImageBatch source, DestinationGeometry g, boolean batch) {
    Offset off = new Offset(g.offsetX(), g.offsetY(), properties.offset().z());
    ClipRect clip = properties.clipRect();
    int images = batch ? source.count() : Math.max(0, Math.min(clip.depth(), source.count() - off.z()));
    if (images == 0) {
      throw new IllegalArgumentException("Cannot encode: no source images at offset.z=" + off.z() + " of "
          + source.shape());
    }
    int channels = Math.addExact(properties.destinationFeatureChannelOffset(), descriptor.outputFeatureChannels());
    g.requireBatchFits(images, channels, descriptor, properties.padding().label());
    ImageBatch dst = ImageBatch.allocate(allocator, images, g.height(), g.width(), channels);
    try {
      run(problem(source, dst, batch, g.kernelOffsetX(), g.kernelOffsetY(), off), source, dst);
      return dst;
    } catch (RuntimeException e) {
      dst.close();
      throw e;
    }
  }

  /**
   * Resolves properties and shapes into a {@link ConvProblem}, validating channel slices and batch ranges; the
   * gradient kernels of this package share it.
   */
  ConvProblem problem(ImageBatch src, ImageBatch dst, boolean wholeBatch, int koX, int koY, Offset off) {
    return ProblemBuilder.problem(descriptor, properties, src, dst, wholeBatch, koX, koY, off);
  }

  /** Runs the forward pass of a resolved problem over whole batches. */
  void run(ConvProblem p, ImageBatch src, ImageBatch dst) {
    if (p.images() == 0 || p.clipH() == 0 || p.clipW() == 0) {
      return; // an empty clip writes nothing
    }
    float[] s = Scratch.source(src.count() * src.imageSize());
    float[] d = Scratch.destination(dst.count() * dst.imageSize());
    src.readAll(s, 0);
    dst.readAll(d, 0); // untouched pixels and channels must survive the round trip
    backends.get(KernelPass.FORWARD).forward(p, s, kernelWeights, weights.biases(), activation, d,
        options.threads());
    dst.writeAll(d, 0);
  }

  /** The backend of a pass, for the gradient kernels of this package. */
  KernelBackend backend(KernelPass pass) {
    return backends.get(pass);
  }

  /** The weights computed with, not copied: never modified, never handed out of the package. */
  WeightsAndBiasesState weightsUsed() {
    return weights;
  }

  /** {@link #weightsUsed()}'s weights as the kernels take them: one version while this plan's weights last. */
  KernelWeights kernelWeights() {
    return kernelWeights;
  }

  @Override
  public String toString() {
    return "ConvTransposePlan[" + label + ", " + descriptor + ", " + implementation() + "]";
  }
}

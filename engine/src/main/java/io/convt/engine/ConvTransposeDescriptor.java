package io.convt.engine;

import java.util.Objects;

/**
 * The immutable, validated description of a transposed convolution ({@code MPSCNNConvolutionDescriptor} as
 * used by {@code MPSCNNConvolutionTranspose}): kernel size, channels, stride, dilation, groups, an optional fused
 * neuron and optional inference batch norm. Built with {@link #builder(int, int, int, int)}.
 *
 * <p>Channel-count rule: MPS requires each group's channel count to be a multiple of 4 when groups &gt; 1
 * (a GPU texture-slice limit). A CPU has no such limit and users import depthwise layers, so the rule is only
 * enforced with {@link Builder#strictMps(boolean) strictMps(true)}.
 */
public final class ConvTransposeDescriptor {
  private final int kernelWidth;
  private final int kernelHeight;
  private final int inputFeatureChannels;
  private final int outputFeatureChannels;
  private final int strideX;
  private final int strideY;
  private final int dilationX;
  private final int dilationY;
  private final int groups;
  private final Neuron neuron;
  private final BatchNorm batchNorm;
  private final boolean strictMps;

  private ConvTransposeDescriptor(Builder b) {
    this.kernelWidth = b.kernelWidth;
    this.kernelHeight = b.kernelHeight;
    this.inputFeatureChannels = b.inputFeatureChannels;
    this.outputFeatureChannels = b.outputFeatureChannels;
    this.strideX = b.strideX;
    this.strideY = b.strideY;
    this.dilationX = b.dilationX;
    this.dilationY = b.dilationY;
    this.groups = b.groups;
    this.neuron = b.neuron;
    this.batchNorm = b.batchNorm;
    this.strictMps = b.strictMps;
    validate();
  }

  private void validate() {
    positive("kernelWidth", kernelWidth);
    positive("kernelHeight", kernelHeight);
    positive("inputFeatureChannels", inputFeatureChannels);
    positive("outputFeatureChannels", outputFeatureChannels);
    positive("strideX", strideX);
    positive("strideY", strideY);
    positive("dilationX", dilationX);
    positive("dilationY", dilationY);
    positive("groups", groups);
    if (inputFeatureChannels % groups != 0 || outputFeatureChannels % groups != 0) {
      throw new IllegalArgumentException(
          "Cannot create descriptor: groups must divide both channel counts (groups="
              + groups + ", inputFeatureChannels=" + inputFeatureChannels
              + ", outputFeatureChannels=" + outputFeatureChannels + ")");
    }
    if (strictMps && groups > 1 && ((inputFeatureChannels / groups) % 4 != 0 || (outputFeatureChannels / groups) % 4 != 0)) {
      throw new IllegalArgumentException(
          "Cannot create descriptor: MPS requires channels per group to be multiples of 4 when groups > 1 (groups="
              + groups + ", input per group=" + inputFeatureChannels / groups
              + ", output per group=" + outputFeatureChannels / groups + ")");
    }
    dilatedExtent("x", dilationX, kernelWidth);
    dilatedExtent("y", dilationY, kernelHeight);
    long weights = (long) outputFeatureChannels * kernelHeight * kernelWidth * (inputFeatureChannels / groups);
    if (weights > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Cannot create descriptor: " + weights + " weights exceed one Java array");
    }
    if (neuron.type() == NeuronType.PRELU && neuron.channelCount() != outputFeatureChannels) {
      throw new IllegalArgumentException(
          "Cannot create descriptor: PRELU has " + neuron.channelCount() + " slopes, outputFeatureChannels is "
              + outputFeatureChannels);
    }
    if (batchNorm != null && batchNorm.channels() != outputFeatureChannels) {
      throw new IllegalArgumentException(
          "Cannot create descriptor: batch norm has " + batchNorm.channels() + " channels, outputFeatureChannels is "
              + outputFeatureChannels);
    }
  }

  /** The dilated extent {@code dilation·(k−1)+1} must be an int: every index the kernels compute builds on it. */
  private static void dilatedExtent(String axis, int dilation, int k) {
    long extent = (long) dilation * (k - 1) + 1;
    if (extent > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Cannot create descriptor: dilated kernel " + axis + " extent dilation " + dilation
          + " x (kernel " + k + " - 1) + 1 = " + extent + " exceeds 2^31-1 (dilation too large)");
    }
  }

  private static void positive(String name, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException("Cannot create descriptor: " + name + " must be > 0 (" + v + ")");
    }
  }

  /** Starts a builder with the four required values; everything else defaults as in MPS (stride 1, dilation 1, groups 1). */
  public static Builder builder(int kernelWidth, int kernelHeight, int inputFeatureChannels, int outputFeatureChannels) {
    return new Builder(kernelWidth, kernelHeight, inputFeatureChannels, outputFeatureChannels);
  }

  /** A builder prefilled with this descriptor's values. */
  public Builder toBuilder() {
    Builder b = new Builder(kernelWidth, kernelHeight, inputFeatureChannels, outputFeatureChannels);
    b.strideX = strideX;
    b.strideY = strideY;
    b.dilationX = dilationX;
    b.dilationY = dilationY;
    b.groups = groups;
    b.neuron = neuron;
    b.batchNorm = batchNorm;
    b.strictMps = strictMps;
    return b;
  }

  public int kernelWidth() { return kernelWidth; }
  public int kernelHeight() { return kernelHeight; }
  public int inputFeatureChannels() { return inputFeatureChannels; }
  public int outputFeatureChannels() { return outputFeatureChannels; }
  public int strideInPixelsX() { return strideX; }
  public int strideInPixelsY() { return strideY; }
  public int dilationRateX() { return dilationX; }
  public int dilationRateY() { return dilationY; }
  public int groups() { return groups; }
  /** The fused neuron, {@link Neuron#NONE} when there is none. */
  public Neuron neuron() { return neuron; }
  /** Inference batch norm to fold at load, or null. */
  public BatchNorm batchNorm() { return batchNorm; }
  /** Whether MPS's GPU-only channel rules are enforced. */
  public boolean strictMps() { return strictMps; }

  /** Input channels per group, {@code Cin/g}. */
  public int inputChannelsPerGroup() { return inputFeatureChannels / groups; }
  /** Output channels per group, {@code Cout/g}. */
  public int outputChannelsPerGroup() { return outputFeatureChannels / groups; }
  /** Dilated kernel extent along x, {@code d·(k−1)+1}. */
  public int dilatedKernelWidth() { return dilationX * (kernelWidth - 1) + 1; }
  /** Dilated kernel extent along y. */
  public int dilatedKernelHeight() { return dilationY * (kernelHeight - 1) + 1; }
  /** Number of weights in MPS layout {@code [Cout][kH][kW][Cin/g]}. */
  public int weightCount() { return outputFeatureChannels * kernelHeight * kernelWidth * inputChannelsPerGroup(); }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ConvTransposeDescriptor)) {
      return false;
    }
    ConvTransposeDescriptor d = (ConvTransposeDescriptor) o;
    return kernelWidth == d.kernelWidth && kernelHeight == d.kernelHeight
        && inputFeatureChannels == d.inputFeatureChannels && outputFeatureChannels == d.outputFeatureChannels
        && strideX == d.strideX && strideY == d.strideY && dilationX == d.dilationX && dilationY == d.dilationY
        && groups == d.groups && neuron.equals(d.neuron) && Objects.equals(batchNorm, d.batchNorm) && strictMps == d.strictMps;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kernelWidth, kernelHeight, inputFeatureChannels, outputFeatureChannels, strideX, strideY,
        dilationX, dilationY, groups, neuron, batchNorm, strictMps);
  }

  @Override
  public String toString() {
    return "ConvTransposeDescriptor{k=" + kernelHeight + "x" + kernelWidth + ", Cin=" + inputFeatureChannels
        + ", Cout=" + outputFeatureChannels + ", stride=" + strideY + "," + strideX + ", dilation=" + dilationY
        + "," + dilationX + ", groups=" + groups + ", neuron=" + neuron + (batchNorm != null ? ", batchNorm" : "")
        + "}";
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private final int kernelWidth;
    private final int kernelHeight;
    private final int inputFeatureChannels;
    private final int outputFeatureChannels;
    private int strideX = 1;
    private int strideY = 1;
    private int dilationX = 1;
    private int dilationY = 1;
    private int groups = 1;
    private Neuron neuron = Neuron.NONE;
    private BatchNorm batchNorm;
    private boolean strictMps;

    private Builder(int kernelWidth, int kernelHeight, int inputFeatureChannels, int outputFeatureChannels) {
      this.kernelWidth = kernelWidth;
      this.kernelHeight = kernelHeight;
      this.inputFeatureChannels = inputFeatureChannels;
      this.outputFeatureChannels = outputFeatureChannels;
    }

    /** Stride in source pixels along x and y. */
    public Builder stride(int x, int y) { this.strideX = x; this.strideY = y; return this; }
    /** Dilation rate along x and y. */
    public Builder dilation(int x, int y) { this.dilationX = x; this.dilationY = y; return this; }
    public Builder groups(int g) { this.groups = g; return this; }
    public Builder neuron(Neuron n) { this.neuron = Objects.requireNonNull(n, "neuron"); return this; }
    public Builder batchNorm(BatchNorm bn) { this.batchNorm = bn; return this; }
    public Builder strictMps(boolean strict) { this.strictMps = strict; return this; }

    /** @throws IllegalArgumentException naming the first violated rule and its values */
    public ConvTransposeDescriptor build() {
      return new ConvTransposeDescriptor(this);
    }
  }
}

package io.convt.engine;

/**
 * {@code MPSCNNConvolutionGradientState} of a forward convolution: the geometry the forward pass used (its source
 * size and offset), which sizes and positions the transposed convolution that undoes it (spec §2.2), plus the
 * forward layer's weight and bias gradient buffers. States are single-batch; {@link #readCount()} counts the
 * kernels that still may read it.
 */
public class ConvolutionGradientState implements GradientState {
  private final int sourceWidth;
  private final int sourceHeight;
  private final int offsetX;
  private final int offsetY;
  private final float[] gradientForWeights;
  private final float[] gradientForBiases;
  private int readCount = 1;
  // Set by Convolution: the resolved adjoint problem of the forward pass and its source batch, for the gradient.
  private io.convt.engine.internal.ConvProblem forwardProblem;
  private Object forwardSource;

  /**
   * @param sourceWidth the forward convolution's source width
   * @param sourceHeight the forward convolution's source height
   * @param offsetX the forward convolution's offset x
   * @param offsetY the forward convolution's offset y
   * @param weightCount weight-gradient size (0 for none)
   * @param biasCount bias-gradient size (0 for none)
   */
  public ConvolutionGradientState(
      int sourceWidth, int sourceHeight, int offsetX, int offsetY, int weightCount, int biasCount) {
    if (sourceWidth <= 0 || sourceHeight <= 0) {
      throw new IllegalArgumentException(
          "Cannot create gradient state: source size must be > 0 (" + sourceWidth + "x" + sourceHeight + ")");
    }
    this.sourceWidth = sourceWidth;
    this.sourceHeight = sourceHeight;
    this.offsetX = offsetX;
    this.offsetY = offsetY;
    this.gradientForWeights = new float[weightCount];
    this.gradientForBiases = biasCount > 0 ? new float[biasCount] : null;
  }

  public int sourceWidth() { return sourceWidth; }
  public int sourceHeight() { return sourceHeight; }
  /** The forward convolution's offset x. */
  public int offsetX() { return offsetX; }
  /** The forward convolution's offset y. */
  public int offsetY() { return offsetY; }

  @Override
  public float[] gradientForWeights() { return gradientForWeights; }

  @Override
  public float[] gradientForBiases() { return gradientForBiases; }

  /** Kernels that may still read this state. */
  public synchronized int readCount() { return readCount; }

  /** Sets the read count (MPS's readCount property). */
  public synchronized void setReadCount(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("Cannot set readCount: must be >= 0 (" + n + ")");
    }
    readCount = n;
  }

  /** Called by each kernel that consumes the state; rejects a state already consumed. */
  public synchronized void decrementReadCount() {
    if (readCount <= 0) {
      throw new IllegalStateException("Cannot use gradient state: its readCount is already 0 (state consumed)");
    }
    readCount--;
  }

  void attachForward(io.convt.engine.internal.ConvProblem problem, Object source) {
    this.forwardProblem = problem;
    this.forwardSource = source;
  }

  io.convt.engine.internal.ConvProblem forwardProblem() {
    return forwardProblem;
  }

  Object forwardSource() {
    return forwardSource;
  }
}

package io.convt.engine;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.internal.ConvProblem;
import java.util.Objects;

/**
 * {@code MPSCNNConvolutionTransposeGradientState}: made by {@link ConvTranspose#resultState} (or the training
 * encodes) and consumed by {@link ConvTransposeGradient}. It snapshots the forward pass's geometry when it is
 * created (stride, offset, kernelOffset, dilation, clipRect, channel offsets, source and destination sizes and the
 * image range), so property changes on the kernel afterwards do not affect the gradient. It carries the weight
 * gradient in MPS layout {@code [Cout][kH][kW][Cin/g]} and the bias gradient {@code [Cout]}; one state is shared
 * by all images of a batch and its gradients are the <b>sum</b> over those images, never the mean.
 *
 * <p>As in MPS it is-a {@link ConvolutionGradientState}: its source size and offset are those of the transpose's
 * source and offset. A temporary state (made by the {@code temporary…} forms) may be read {@link #readCount()}
 * times (1 by default) and is rejected once consumed; a non-temporary state can be read any number of times.
 * Gradient buffers are overwritten (not accumulated) by each gradient encode.
 */
public final class ConvolutionTransposeGradientState extends ConvolutionGradientState {
  private final ConvTranspose convolutionTranspose;
  private final ConvolutionGradientState forwardState;
  private final ConvProblem problem;
  private final Object sourceIdentity;
  private final int sourceCount;
  private final int destinationCount;
  private final boolean temporary;
  private final boolean batch;

  ConvolutionTransposeGradientState(ConvTranspose kernel, ConvolutionGradientState forwardState, ConvProblem problem,
      ImageBatch source, ImageBatch destination, boolean temporary, boolean batch) {
    super(problem.srcW(), problem.srcH(), kernel.offset().x(), kernel.offset().y(),
        problem.weightCount(), problem.cout());
    this.convolutionTranspose = Objects.requireNonNull(kernel, "kernel");
    this.forwardState = forwardState;
    this.problem = problem;
    this.sourceIdentity = source.vector();
    this.sourceCount = source.count();
    this.destinationCount = destination.count();
    this.temporary = temporary;
    this.batch = batch;
  }

  /** The transposed convolution that made this state. */
  public ConvTranspose convolutionTranspose() {
    return convolutionTranspose;
  }

  /**
   * The forward convolution's state this transpose was sized by.
   *
   * @throws IllegalStateException when the transpose was encoded without one (as MPS's {@code convolution} fails)
   */
  public ConvolutionGradientState convolutionState() {
    if (forwardState == null) {
      throw new IllegalStateException("Cannot get the forward convolution state: the transpose had none");
    }
    return forwardState;
  }

  /** True for states made by the temporary forms (consumed by reads, see the class comment). */
  public boolean isTemporary() {
    return temporary;
  }

  /** True when one state is shared by every image of a batch ({@code isResultStateReusedAcrossBatch}). */
  public boolean isBatchState() {
    return batch;
  }

  /** Number of images whose gradients this state sums. */
  public int images() {
    return problem.images();
  }

  /** Stride x snapshot. */
  public int strideX() { return problem.strideX(); }
  /** Stride y snapshot. */
  public int strideY() { return problem.strideY(); }
  /** Dilation x snapshot. */
  public int dilationRateX() { return problem.dilX(); }
  /** Dilation y snapshot. */
  public int dilationRateY() { return problem.dilY(); }
  /** Total shift x, {@code offset.x·strideX + kernelOffsetX}, snapshot. */
  public int totalShiftX() { return problem.tX(); }
  /** Total shift y snapshot. */
  public int totalShiftY() { return problem.tY(); }
  /** Destination (forward output) width. */
  public int destinationWidth() { return problem.dstW(); }
  /** Destination (forward output) height. */
  public int destinationHeight() { return problem.dstH(); }

  /** A one-line description of the snapshot geometry. */
  public String describe() {
    return problem.describe();
  }

  ConvProblem problem() {
    return problem;
  }

  /**
   * Checks that {@code gradient} and {@code source} are the forward pass's images and consumes one read.
   *
   * @throws IllegalArgumentException on a shape mismatch or a source from another batch
   */
  void checkAndConsume(ImageBatch gradient, ImageBatch source) {
    Objects.requireNonNull(gradient, "gradient");
    Objects.requireNonNull(source, "sourceImage");
    if (source.vector() != sourceIdentity || source.count() != sourceCount) {
      throw new IllegalArgumentException("Cannot encode gradient: the gradient state was made for another source "
          + "batch (state: " + sourceCount + "x" + problem.srcH() + "x" + problem.srcW() + "x" + problem.srcC()
          + ", given " + source.shape() + ")");
    }
    if (gradient.count() != destinationCount || gradient.height() != problem.dstH()
        || gradient.width() != problem.dstW() || gradient.channels() != problem.dstC()) {
      throw new IllegalArgumentException("Cannot encode gradient: the incoming gradient must have the forward "
          + "destination's shape " + destinationCount + "x" + problem.dstH() + "x" + problem.dstW() + "x"
          + problem.dstC() + " (given " + gradient.shape() + ")");
    }
    if (temporary) {
      decrementReadCount();
    }
  }
}

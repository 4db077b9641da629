package io.convt.engine;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelWeights;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;

/**
 * {@code MPSCNNConvolutionTransposeGradient}: back-propagation through a {@link ConvTranspose} (spec §5.2).
 * Given the gradient of the loss with respect to the forward destination ({@code dE}), the forward source and the
 * {@link ConvolutionTransposeGradientState} of that forward pass, it computes
 * <pre>
 * dSrc[i](j)        = Σ_{o∈grp(i)} Σ_k W'[o][k][i%Cig] · dE[o](s·j − T + c − d·k)
 * dW[o][ky][kx][il] = Σ_n Σ_{v,u} dE_n[o](v,u) · Z_n[gr·Cig+il](Ty+v−cy+dy·ky, Tx+u−cx+dx·kx)
 * db[o]             = Σ_n Σ_{v,u} dE_n[o](v,u)
 * </pre>
 * with (u, v) over the forward clipRect only, and the source channel slice and image range of the forward pass.
 * The data gradient is the exact adjoint of the forward pass. dW and db go into the state, <b>summed</b> over the
 * state's images. The weights are those the forward kernel actually uses (fp16-rounded, BN-folded) and are read
 * from it at each encode, so a reload of the forward kernel is seen here.
 *
 * <p><b>The fused neuron is not differentiated</b> (as in MPS): {@code dE} must already be the gradient with
 * respect to the pre-activation. Batch-norm folding is likewise not differentiated. Bias gradients are produced
 * even when the layer has no bias.
 */
public final class ConvTransposeGradient {
  private final ConvTranspose forward;
  private volatile GradientOption gradientOption = GradientOption.ALL;

  /** A gradient kernel sharing the forward kernel's weights and backend. */
  public ConvTransposeGradient(ConvTranspose forward) {
    this.forward = Objects.requireNonNull(forward, "forward");
  }

  /** {@code initWithDevice:weights:}: loads its own copy of the weights from the (same) data source. */
  public ConvTransposeGradient(ConvDataSource dataSource, KernelOptions options) {
    this(new ConvTranspose(dataSource, options));
  }

  /** Channels of the incoming gradient (the forward kernel's output channels). */
  public int sourceGradientFeatureChannels() { return forward.outputFeatureChannels(); }
  /** Channels of the forward source (the forward kernel's input channels). */
  public int sourceImageFeatureChannels() { return forward.inputFeatureChannels(); }
  public int groups() { return forward.groups(); }
  public ConvDataSource dataSource() { return forward.dataSource(); }
  public GradientOption gradientOption() { return gradientOption; }
  public void setGradientOption(GradientOption o) { gradientOption = Objects.requireNonNull(o, "gradientOption"); }

  /**
   * Computes the gradients and returns the source gradient, shaped like {@code sourceImage} (zero outside the
   * forward's source channel slice and image range), or null when the option is {@link GradientOption#WEIGHTS_AND_BIAS}.
   * The caller closes the result.
   *
   * @throws IllegalArgumentException when shapes differ from the state's snapshot, the source is from another
   *     batch, or the gradient holds NaN or infinity
   */
  public ImageBatch encode(BufferAllocator allocator, ImageBatch gradient, ImageBatch sourceImage,
      ConvolutionTransposeGradientState state) {
    Objects.requireNonNull(sourceImage, "sourceImage");
    if (gradientOption == GradientOption.WEIGHTS_AND_BIAS) {
      encode(gradient, sourceImage, state, null);
      return null;
    }
    ImageBatch dst = ImageBatch.allocate(allocator, sourceImage.count(), sourceImage.height(), sourceImage.width(),
        sourceImage.channels());
    try {
      encode(gradient, sourceImage, state, dst);
      return dst;
    } catch (RuntimeException e) {
      dst.close();
      throw e;
    }
  }

  /**
   * As {@link #encode(BufferAllocator, ImageBatch, ImageBatch, ConvolutionTransposeGradientState)} into the
   * caller's {@code destinationGradient} (shaped like the source; channels outside the forward's source slice are
   * left untouched). {@code destinationGradient} may be null when only weight gradients are wanted.
   */
  public void encode(ImageBatch gradient, ImageBatch sourceImage, ConvolutionTransposeGradientState state,
      ImageBatch destinationGradient) {
    Objects.requireNonNull(state, "state");
    if (state.convolutionTranspose().descriptor().weightCount() != forward.descriptor().weightCount()
        || !state.convolutionTranspose().descriptor().equals(forward.descriptor())) {
      throw new IllegalArgumentException("Cannot encode gradient: the state was made by a kernel with another "
          + "descriptor (" + state.convolutionTranspose().descriptor() + " vs " + forward.descriptor() + ")");
    }
    state.checkAndConsume(gradient, sourceImage);
    ConvProblem p = state.problem();
    GradientOption option = gradientOption;
    boolean data = option != GradientOption.WEIGHTS_AND_BIAS;
    if (data) {
      Objects.requireNonNull(destinationGradient, "destinationGradient");
      if (destinationGradient.count() != sourceImage.count() || destinationGradient.height() != p.srcH()
          || destinationGradient.width() != p.srcW() || destinationGradient.channels() != p.srcC()) {
        throw new IllegalArgumentException("Cannot encode gradient: the destination gradient must be shaped like "
            + "the source " + sourceImage.shape() + " (given " + destinationGradient.shape() + ")");
      }
    }
    float[] gOut = Scratch.get(Scratch.Slot.DESTINATION, gradient.count() * gradient.imageSize());
    gradient.readAll(gOut, 0);
    requireFinite(p, gOut);
    ConvTransposePlan plan = forward.plan();
    KernelWeights w = plan.kernelWeights();
    int threads = forward.options().threads();
    if (data) {
      float[] gIn = Scratch.get(Scratch.Slot.GRADIENT, destinationGradient.count() * destinationGradient.imageSize());
      destinationGradient.readAll(gIn, 0); // channels outside the slice survive
      if (p.images() > 0) {
        plan.backend(KernelPass.BACKWARD_DATA).backwardData(p, gOut, w, gIn, threads);
      }
      destinationGradient.writeAll(gIn, 0);
    }
    if (option != GradientOption.DATA) {
      float[] src = Scratch.source(sourceImage.count() * sourceImage.imageSize());
      sourceImage.readAll(src, 0);
      plan.backend(KernelPass.BACKWARD_WEIGHTS)
          .backwardWeights(p, src, gOut, state.gradientForWeights(), state.gradientForBiases(), threads);
    }
  }

  /** Batch form: with a batch state this is the same computation (the state covers every image). */
  public ImageBatch encodeBatch(BufferAllocator allocator, ImageBatch gradients, ImageBatch sourceImages,
      List<ConvolutionTransposeGradientState> states) {
    return encode(allocator, gradients, sourceImages, batchState(states));
  }

  /** Batch form into the caller's destination gradients. */
  public void encodeBatch(ImageBatch gradients, ImageBatch sourceImages,
      List<ConvolutionTransposeGradientState> states, ImageBatch destinationGradients) {
    encode(gradients, sourceImages, batchState(states), destinationGradients);
  }

  private static ConvolutionTransposeGradientState batchState(List<ConvolutionTransposeGradientState> states) {
    if (states == null || states.isEmpty()) {
      throw new IllegalArgumentException("Cannot encode gradient batch: no gradient states given");
    }
    ConvolutionTransposeGradientState s = states.get(0);
    for (ConvolutionTransposeGradientState other : states) {
      if (other != s) {
        throw new IllegalArgumentException("Cannot encode gradient batch: the states differ; a batch shares one "
            + "state made by resultStateBatch (" + states.size() + " states)");
      }
    }
    if (!s.isBatchState()) {
      throw new IllegalArgumentException("Cannot encode gradient batch: the state was made for a single image "
          + "(use resultStateBatch)");
    }
    return s;
  }

  // A NaN in dE would silently poison every weight gradient of the batch, so reject it with its position.
  private static void requireFinite(ConvProblem p, float[] g) {
    for (int t = 0; t < p.images(); t++) {
      int base = (p.dstImage0() + t) * p.dstImageSize();
      for (int v = 0; v < p.clipH(); v++) {
        for (int u = 0; u < p.clipW(); u++) {
          int at = base + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC() + p.dfo();
          for (int o = 0; o < p.cout(); o++) {
            if (!Float.isFinite(g[at + o])) {
              throw new IllegalArgumentException("Cannot encode gradient: incoming gradient is not finite at image "
                  + (p.dstImage0() + t) + " pixel (" + (p.clipY() + v) + "," + (p.clipX() + u) + ") channel "
                  + (p.dfo() + o) + " (" + g[at + o] + ")");
            }
          }
        }
      }
    }
  }
}

package io.convt.engine;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelWeights;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;

/**
 * {@code MPSCNNConvolutionGradient}: back-propagation through a {@link Convolution}. The source gradient is the
 * forward pass of the adjoint transposed convolution (zero-inserted {@code dE}, in/out-swapped flipped weights);
 * the weight gradient {@code [Cout][kH][kW][Cin/g]} and bias gradient go into the
 * {@link ConvolutionGradientState} returned by the forward encode, summed over its batch. The fused neuron is not
 * differentiated ({@code dE} is with respect to the pre-activation), as in MPS.
 */
public final class ConvolutionGradient {
  private final Convolution forward;
  private volatile GradientOption gradientOption = GradientOption.ALL;

  public ConvolutionGradient(Convolution forward) {
    this.forward = Objects.requireNonNull(forward, "forward");
  }

  public GradientOption gradientOption() { return gradientOption; }
  public void setGradientOption(GradientOption o) { gradientOption = Objects.requireNonNull(o, "gradientOption"); }

  /**
   * Returns the source gradient shaped like {@code sourceImage} (null for {@link GradientOption#WEIGHTS_AND_BIAS});
   * the caller closes it.
   *
   * @throws IllegalArgumentException when the state is not this convolution's for {@code sourceImage}, the gradient's
   *     shape differs from the forward destination, or it holds NaN or infinity
   */
  public ImageBatch encode(BufferAllocator allocator, ImageBatch gradient, ImageBatch sourceImage,
      ConvolutionGradientState state) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(gradient, "gradient");
    Objects.requireNonNull(sourceImage, "sourceImage");
    ConvProblem p = state.forwardProblem();
    if (p == null || state.forwardSource() != sourceImage.vector()) {
      throw new IllegalArgumentException("Cannot encode convolution gradient: the state was not made by a "
          + "Convolution for this source batch (" + sourceImage.shape() + ")");
    }
    if (state.gradientForWeights().length != forward.descriptor().weightCount()) {
      throw new IllegalArgumentException("Cannot encode convolution gradient: the state belongs to another "
          + "convolution (" + state.gradientForWeights().length + " weights, this one " + forward.descriptor().weightCount() + ")");
    }
    if (gradient.count() != p.images() || gradient.height() != p.srcH() || gradient.width() != p.srcW()
        || gradient.channels() != p.srcC()) {
      throw new IllegalArgumentException("Cannot encode convolution gradient: the incoming gradient must be "
          + p.images() + "x" + p.srcH() + "x" + p.srcW() + "x" + p.srcC() + " (given " + gradient.shape() + ")");
    }
    float[] dy = new float[gradient.count() * gradient.imageSize()];
    gradient.readAll(dy, 0);
    for (int i = 0; i < dy.length; i++) {
      if (!Float.isFinite(dy[i])) {
        throw new IllegalArgumentException("Cannot encode convolution gradient: incoming gradient is not finite "
            + "at flat index " + i + " (" + dy[i] + ")");
      }
    }
    GradientOption option = gradientOption;
    KernelWeights adj = forward.adjointWeights();
    int threads = forward.options().threads();
    if (option != GradientOption.DATA) {
      float[] x = new float[sourceImage.count() * sourceImage.imageSize()];
      sourceImage.readAll(x, 0);
      float[] gT = new float[adj.length()];
      forward.backend().backwardWeights(p, dy, x, gT, null, threads);
      unswap(forward.descriptor(), gT, state.gradientForWeights());
      double[] db = new double[p.cin()];
      for (int px = 0; px < p.images() * p.srcH() * p.srcW(); px++) {
        for (int o = 0; o < p.cin(); o++) {
          db[o] += dy[px * p.srcC() + p.sfo() + o];
        }
      }
      float[] gb = state.gradientForBiases();
      for (int o = 0; o < db.length && gb != null; o++) {
        gb[o] = (float) db[o];
      }
    }
    if (option == GradientOption.WEIGHTS_AND_BIAS) {
      return null;
    }
    ImageBatch dx = ImageBatch.allocate(allocator, sourceImage.count(), sourceImage.height(), sourceImage.width(),
        sourceImage.channels());
    try {
      float[] d = new float[dx.count() * dx.imageSize()];
      forward.backend().forward(p, dy, adj, null, Activation.IDENTITY, d, threads);
      dx.writeAll(d, 0);
      return dx;
    } catch (RuntimeException e) {
      dx.close();
      throw e;
    }
  }

  // Adjoint-transpose layout [Cin][kH][kW][Cout/g] back to the convolution's [Cout][kH][kW][Cin/g].
  private static void unswap(ConvTransposeDescriptor d, float[] gT, float[] out) {
    int kH = d.kernelHeight();
    int kW = d.kernelWidth();
    int cig = d.inputChannelsPerGroup();
    int cog = d.outputChannelsPerGroup();
    for (int o = 0; o < d.outputFeatureChannels(); o++) {
      int gr = o / cog;
      for (int ky = 0; ky < kH; ky++) {
        for (int kx = 0; kx < kW; kx++) {
          for (int il = 0; il < cig; il++) {
            int i = gr * cig + il;
            out[((o * kH + ky) * kW + kx) * cig + il] = gT[((i * kH + kH - 1 - ky) * kW + kW - 1 - kx) * cog + o % cog];
          }
        }
      }
    }
  }
}

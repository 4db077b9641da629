package io.convt.engine;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.internal.ConvProblem;
import java.util.Objects;

/** Resolves a plan's properties and two image batches into a {@link ConvProblem}, validating as it goes. */
final class ProblemBuilder {
  private ProblemBuilder() {}

  /**
   * @throws IllegalArgumentException for channel slices the batches cannot hold, image ranges outside the
   *     source, aliasing batches, or a window shift {@code offset·stride + kernelOffset} outside the int range
   */
  static ConvProblem problem(ConvTransposeDescriptor descriptor, ConvTransposePlan.Properties props,
      ImageBatch src, ImageBatch dst, boolean wholeBatch, int koX, int koY, Offset off) {
    Objects.requireNonNull(src, "source");
    Objects.requireNonNull(dst, "destination");
    if (src.vector() == dst.vector()) {
      throw new IllegalArgumentException("Cannot encode: destination aliases source (" + src.shape() + ")");
    }
    int cin = descriptor.inputFeatureChannels();
    int cout = descriptor.outputFeatureChannels();
    int sfo = props.sourceFeatureChannelOffset();
    int dfo = props.destinationFeatureChannelOffset();
    int cinRead = Math.min(cin, props.sourceFeatureChannelMaxCount());
    if (src.channels() < (long) sfo + cinRead) {
      throw new IllegalArgumentException("Cannot encode: source has " + src.channels() + " channels, needs "
          + ((long) sfo + cinRead) + " (sourceFeatureChannelOffset=" + sfo + " + input channels read=" + cinRead + ")");
    }
    if (dst.channels() < (long) dfo + cout) {
      throw new IllegalArgumentException("Cannot encode: destination has " + dst.channels() + " channels, needs "
          + ((long) dfo + cout) + " (destinationFeatureChannelOffset=" + dfo + " + outputFeatureChannels=" + cout
          + ")");
    }
    ClipRect clip = props.clipRect();
    int srcImage0 = wholeBatch ? 0 : off.z();
    int dstImage0 = wholeBatch ? 0 : ClipRect.lo(clip.z(), dst.count());
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
      int dstEnd = ClipRect.hi(clip.z(), clip.depth(), dst.count());
      images = Math.min(dstEnd - dstImage0, src.count() - srcImage0);
    }
    int cy0 = ClipRect.lo(clip.y(), dst.height());
    int cy1 = ClipRect.hi(clip.y(), clip.height(), dst.height());
    int cx0 = ClipRect.lo(clip.x(), dst.width());
    int cx1 = ClipRect.hi(clip.x(), clip.width(), dst.width());
    int tY = shift(off.y(), descriptor.strideInPixelsY(), koY, "y");
    int tX = shift(off.x(), descriptor.strideInPixelsX(), koX, "x");
    return new ConvProblem(Math.max(0, images),
        src.height(), src.width(), src.channels(), sfo, cinRead,
        dst.height(), dst.width(), dst.channels(), dfo,
        cin, cout, descriptor.groups(),
        descriptor.kernelHeight(), descriptor.kernelWidth(),
        descriptor.strideInPixelsY(), descriptor.strideInPixelsX(),
        descriptor.dilationRateY(), descriptor.dilationRateX(),
        tY, tX, cy0, cx0, cy1 - cy0, cx1 - cx0, srcImage0, dstImage0,
        props.accumulatorPrecision() == AccumulatorPrecision.HALF);
  }

  /** {@code T = offset·stride + kernelOffset} (docs/mps-semantics.md §1.1), exactly. */
  static int shift(int offset, int stride, int kernelOffset, String axis) {
    long t = (long) offset * stride + kernelOffset;
    if (t != (int) t) {
      throw new IllegalArgumentException("Cannot encode: window shift " + axis + " = offset " + offset + " x stride "
          + stride + " + kernelOffset " + kernelOffset + " = " + t
          + " is outside the int range (offset/stride too large)");
    }
    return (int) t;
  }
}

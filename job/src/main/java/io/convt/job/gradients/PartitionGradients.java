package io.convt.job.gradients;

import io.convt.job.LayerWeights;
import io.convt.job.SparkErrors;
import io.convt.job.storage.HadoopFiles;
import io.convt.engine.ConvTranspose;
import io.convt.engine.ConvTransposeGradient;
import io.convt.engine.ConvolutionTransposeGradientState;
import io.convt.engine.GradientOption;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.ImageCodec;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.NpyHeader;
import io.convt.engine.layer.Layer;
import io.convt.engine.train.LossSum;
import io.convt.job.LayerWeights;
import io.convt.job.SparkErrors;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;

/**
 * The executor side of a gradient pass, with no Spark in it: the gradients of one contiguous range of records.
 * Each record is run as its own one-image batch, so its contribution depends only on the record and the weights;
 * {@link PartialGradients} then sums contributions keyed by global record index, which is what makes the final sum
 * independent of how records were split into partitions. A retried or speculative task recomputes the same range
 * and returns the same bytes; the dL/dX file for the range is written into the attempt's own directory
 * ({@link GradientFiles#writeGradInput}), and the driver's commit keeps one complete attempt's copy.
 */
public final class PartitionGradients {
  /** Records read from disk at once: bounds task memory whatever the partition size. */
  static final int READ_CHUNK = 32;

  private PartitionGradients() {}

  /**
   * The partial sums of records {@code [first, first + count)}.
   *
   * @param conf the driver's Hadoop configuration ({@link io.convt.job.storage.HadoopConf}): the stacks may be on
   *     any Hadoop file system
   * @throws IllegalArgumentException naming the record and file on bad values (NaN, shape) or unreadable files
   */
  public static PartialGradients compute(GradientsRequest request, LayerWeights weights, long first, int count,
      Configuration conf) {
    Layer layer = weights.open();
    ConvTranspose kernel = layer.kernel();
    ConvTransposeGradient gradient = new ConvTransposeGradient(kernel);
    boolean writeGradInput = request.gradInputDir() != null;
    gradient.setGradientOption(writeGradInput ? GradientOption.ALL : GradientOption.WEIGHTS_AND_BIAS);
    PartialGradients partial = PartialGradients.forSlice(first, count, weights.weightCount(), weights.outputChannels());
    LossSum loss = new LossSum();
    PairedDataset paired = request.paired();
    if (paired != null) {
      return pairedRecords(request, paired, layer, gradient, first, count, partial, loss, conf);
    }
    String xFile = request.input();
    String yFile = request.outputSideFile();
    NpyHeader xh = HadoopFiles.npyHeader(xFile, conf);
    NpyHeader yh = HadoopFiles.npyHeader(yFile, conf);
    int xPer = (int) xh.recordElements();
    float[] gradInput = writeGradInput ? new float[Math.multiplyExact(count, xPer)] : null;
    try (BufferAllocator alloc = new RootAllocator()) {
      for (int c = 0; c < count; c += READ_CHUNK) {
        int n = Math.min(READ_CHUNK, count - c);
        float[][] xs = HadoopFiles.npyRecords(xFile, conf, xh, first + c, n);
        float[][] ys = HadoopFiles.npyRecords(yFile, conf, yh, first + c, n);
        for (int r = 0; r < n; r++) {
          long index = first + c + r;
          float[] x = xs[r];
          float[] y = ys[r];
          float[] dx = record(request, layer, gradient, alloc, index, x, xh.shape(), y, yh.shape(), partial, loss);
          if (gradInput != null) {
            System.arraycopy(dx, 0, gradInput, (c + r) * xPer, xPer);
          }
        }
      }
    }
    if (gradInput != null) {
      int[] shape = xh.shape().clone();
      shape[0] = count;
      GradientFiles.writeGradInput(request.gradInputDir(), first, count, shape, gradInput, conf);
    }
    return partial.withLoss(loss);
  }

  /** Records {@code [first, first + count)} of a paired image dataset, one record read at a time. */
  private static PartialGradients pairedRecords(GradientsRequest request, PairedDataset paired, Layer layer,
      ConvTransposeGradient gradient, long first, int count, PartialGradients partial, LossSum loss,
      Configuration conf) {
    int[] xShape = {count, paired.inputShape()[0], paired.inputShape()[1], paired.inputShape()[2]};
    int[] yShape = {count, paired.outputShape()[0], paired.outputShape()[1], paired.outputShape()[2]};
    int xPer = xShape[1] * xShape[2] * xShape[3];
    float[] gradInput = request.gradInputDir() != null ? new float[Math.multiplyExact(count, xPer)] : null;
    try (BufferAllocator alloc = new RootAllocator()) {
      for (int r = 0; r < count; r++) {
        long index = first + r;
        float[] dx = record(request, layer, gradient, alloc, index, paired.input(index, conf), xShape,
            paired.target(index, conf), yShape, partial, loss);
        if (gradInput != null) {
          System.arraycopy(dx, 0, gradInput, r * xPer, xPer);
        }
      }
    }
    if (gradInput != null) {
      GradientFiles.writeGradInput(request.gradInputDir(), first, count, xShape, gradInput, conf);
    }
    return partial.withLoss(loss);
  }

  /** The dL/dX file of a record range: {@code grad_input-<first>-<count>.npy}, zero-padded so names sort. */
  public static String gradInputFileName(long first, int count) {
    return String.format("grad_input-%012d-%d.npy", first, count);
  }

  private static float[] record(GradientsRequest request, Layer layer, ConvTransposeGradient gradient,
      BufferAllocator alloc, long index, float[] x, int[] xShape, float[] y, int[] yShape, PartialGradients partial,
      LossSum loss) {
    try (ImageBatch src = NchwArrays.toBatch(alloc, one(x, xShape));
        ImageBatch out = layer.apply(alloc, src)) {
      List<ConvolutionTransposeGradientState> states = layer.kernel().resultStateBatch(src, null, out);
      requireFinite(x, "--input", inputName(request, index), index);
      if (request.loss() == null) {
        requireFinite(y, "--grad-output", targetName(request, index), index);
      }
      float[] dy = y;
      if (request.loss() != null) {
        dy = new float[y.length];
        String what = "record " + index + " of " + targetName(request, index);
        loss.add(request.loss().sumValueAndGradient(NchwArrays.fromBatch(out), y, dy, what));
      }
      try (ImageBatch gy = NchwArrays.toBatch(alloc, one(dy, yShape));
          ImageBatch dx = gradient.encodeBatch(alloc, gy, src, states)) {
        ConvolutionTransposeGradientState s = states.get(0);
        partial.add(index, s.gradientForWeights(), s.gradientForBiases());
        return dx == null ? null : NchwArrays.fromBatch(dx);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("Cannot compute gradients of record " + index + " of "
            + inputName(request, index)
            + ": " + e.getMessage(), e);
      }
    }
  }

  /** The file holding record {@code index}'s input: the stack, or the record's own image. */
  private static String inputName(GradientsRequest request, long index) {
    return request.paired() == null ? request.input() : request.paired().pairs().get((int) index).input();
  }

  private static String targetName(GradientsRequest request, long index) {
    return request.paired() == null ? request.outputSideFile() : request.paired().pairs().get((int) index).target();
  }

  /** A NaN or infinity is blamed on the file and record it is in, before it spreads into the output or the loss. */
  private static void requireFinite(float[] values, String flag, String file, long record) {
    int bad = ImageCodec.firstNonFinite(values);
    if (bad >= 0) {
      throw new IllegalArgumentException("Cannot compute gradients: record " + record + " of " + flag + " " + file
          + " holds " + values[bad] + " at element " + bad);
    }
  }

  private static NpyArray one(float[] values, int[] stackShape) {
    int[] s = stackShape.clone();
    s[0] = 1;
    return new NpyArray("<f4", s, values, null);
  }
}

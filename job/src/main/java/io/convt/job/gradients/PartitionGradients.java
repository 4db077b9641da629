package io.convt.job.gradients;

import io.convt.job.LayerWeights;
import io.convt.job.SparkErrors;
import io.convt.job.storage.HadoopFiles;
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
import java.util.Iterator;
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
    boolean writeGradInput = request.gradInputDir() != null;
    PartialGradients partial = PartialGradients.forSlice(first, count, weights.weightCount(), weights.outputChannels());
    LossSum loss = new LossSum();
    PairedDataset paired = request.paired();
    if (paired != null) {
      Layer layer = sized(weights, paired.inputShape()[1], paired.inputShape()[2]);
      return pairedRecords(request, paired, layer, gradient(layer, writeGradInput), first, count, partial, loss, conf);
    }
    String xFile = request.input();
    String yFile = request.outputSideFile();
    NpyHeader xh = HadoopFiles.npyHeader(xFile, conf);
    NpyHeader yh = HadoopFiles.npyHeader(yFile, conf);
    Layer layer = sized(weights, xh.shape()[2], xh.shape()[3]);
    ConvTransposeGradient gradient = gradient(layer, writeGradInput);
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

  /**
   * The partial sums of records {@code [first, first + count)} of a paired tensor dataset, streamed in
   * {@code sorted} as {@link IndexedTensor}s in key order: each record's input (key {@code 2·index}) right before
   * its target (key {@code 2·index + 1}), exactly one of each per record of the slice.
   *
   * @throws IllegalArgumentException naming the record when a tensor is missing, repeated, misshapen or not finite
   */
  public static PartialGradients computeTensors(GradientsRequest request, LayerWeights weights, long first, int count,
      Iterator<IndexedTensor> sorted, Configuration conf) {
    PairedDataset paired = request.paired();
    Layer layer = sized(weights, paired.inputShape()[1], paired.inputShape()[2]);
    boolean writeGradInput = request.gradInputDir() != null;
    ConvTransposeGradient gradient = gradient(layer, writeGradInput);
    PartialGradients partial = PartialGradients.forSlice(first, count, weights.weightCount(), weights.outputChannels());
    LossSum loss = new LossSum();
    int[] xShape = {count, paired.inputShape()[0], paired.inputShape()[1], paired.inputShape()[2]};
    int[] yShape = {count, paired.outputShape()[0], paired.outputShape()[1], paired.outputShape()[2]};
    int xPer = xShape[1] * xShape[2] * xShape[3];
    float[] gradInput = writeGradInput ? new float[Math.multiplyExact(count, xPer)] : null;
    try (BufferAllocator alloc = new RootAllocator()) {
      for (int r = 0; r < count; r++) {
        long index = first + r;
        float[] x = TensorRecords.take(sorted, index, IndexedTensor.INPUT, paired, request, xPer);
        float[] y = TensorRecords.take(sorted, index, IndexedTensor.TARGET, paired, request,
            yShape[1] * yShape[2] * yShape[3]);
        float[] dx = record(request, layer, gradient, alloc, index, x, xShape, y, yShape, partial, loss);
        if (gradInput != null) {
          System.arraycopy(dx, 0, gradInput, r * xPer, xPer);
        }
      }
      TensorRecords.requireEnd(sorted, request);
    }
    if (gradInput != null) {
      GradientFiles.writeGradInput(request.gradInputDir(), first, count, xShape, gradInput, conf);
    }
    return partial.withLoss(loss);
  }

  /** The layer for inputs of {@code h × w}: ONNX {@code --auto-pad same_*}/{@code --output-shape} pads derived. */
  private static Layer sized(LayerWeights weights, int h, int w) {
    return weights.open().forInput(h, w);
  }

  private static ConvTransposeGradient gradient(Layer layer, boolean writeGradInput) {
    ConvTransposeGradient gradient = new ConvTransposeGradient(layer.kernel());
    gradient.setGradientOption(writeGradInput ? GradientOption.ALL : GradientOption.WEIGHTS_AND_BIAS);
    return gradient;
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

  /**
   * The file holding record {@code index}'s input: the stack, the record's own image, or (tensor datasets) the
   * record's id and the dataset file it is in.
   */
  private static String inputName(GradientsRequest request, long index) {
    PairedDataset p = request.paired();
    if (p == null) {
      return request.input();
    }
    PairedDataset.Pair pair = p.pairs().get((int) index);
    return p.tensors() == null ? pair.input() : request.input() + " (id " + pair.id() + ", in " + pair.input() + ")";
  }

  private static String targetName(GradientsRequest request, long index) {
    PairedDataset p = request.paired();
    if (p == null) {
      return request.outputSideFile();
    }
    PairedDataset.Pair pair = p.pairs().get((int) index);
    return p.tensors() == null ? pair.target()
        : request.outputSideFile() + " (id " + pair.id() + ", in " + pair.target() + ")";
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

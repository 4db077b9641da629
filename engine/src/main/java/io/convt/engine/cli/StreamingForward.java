package io.convt.engine.cli;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.NpyFloat32Writer;
import io.convt.engine.io.NpyRecordReader;
import io.convt.engine.io.TensorFormatException;
import io.convt.engine.layer.Layer;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.arrow.memory.BufferAllocator;

/**
 * {@code Y = layer(X)} from one NCHW {@code .npy} stack to another, {@code batchSize} records at a time: the input
 * header is read once, each batch is read, run through {@link Layer#apply} ({@code encodeBatch}, with the layer's
 * threads) and appended to the output, whose header carries the final shape {@code [N, Cout, H', W']} from the
 * start. Memory is bounded by one batch (input, output, their Arrow copies), whatever N is. Each record's output is
 * bit-identical to running the whole stack at once: the kernels compute every image independently.
 *
 * <p>The output appears atomically when complete; a failure at any point (bad input, truncated file, full disk)
 * leaves no output and no temporary file.
 */
public final class StreamingForward {
  private StreamingForward() {}

  /**
   * Streams {@code input} through {@code layer} into {@code output}. Arrow memory comes from {@code allocator}
   * (borrowed, not closed; everything allocated here is freed before returning).
   *
   * @return the number of records written
   * @throws TensorFormatException naming {@code input} when it is malformed, truncated, not a 4-d float array or
   *     has the wrong channel count
   * @throws IllegalArgumentException when {@code batchSize} is not positive or the layer cannot take the image size
   */
  public static long run(BufferAllocator allocator, Layer layer, Path input, Path output, int batchSize) {
    try (NpyRecordReader in = NpyRecordReader.open(input, 4)) {
      return run(allocator, layer, in, output, batchSize);
    }
  }

  /**
   * As {@link #run(BufferAllocator, Layer, Path, Path, int)}, from the records {@code input} has not read yet
   * ({@code input} is borrowed: the caller closes it).
   */
  public static long run(BufferAllocator allocator, Layer layer, NpyRecordReader input, Path output, int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("Invalid value for --batch-size: must be > 0 (got " + batchSize + ")");
    }
    int[] s = input.header().shape().clone();
    s[0] = (int) input.remaining();
    if (s[1] != layer.inputChannels()) {
      throw new TensorFormatException(input.source(), "has " + s[1] + " channels "
          + Arrays.toString(input.header().shape()) + " but the weights " + layer.spec().weights() + " expect "
          + layer.inputChannels());
    }
    int[] hwc = layer.outputShape(s[2], s[3]);
    try (NpyFloat32Writer out = NpyFloat32Writer.open(output, new int[] {s[0], hwc[2], hwc[0], hwc[1]})) {
      float[] image = new float[hwc[0] * hwc[1] * hwc[2]];
      while (input.remaining() > 0) {
        NpyArray x = input.next(batchSize);
        try (ImageBatch src = NchwArrays.toBatch(allocator, x);
            ImageBatch dst = layer.apply(allocator, src)) {
          if (dst.height() != hwc[0] || dst.width() != hwc[1] || dst.channels() != hwc[2]) {
            throw new IllegalStateException("Layer " + layer + " produced " + dst.shape() + ", expected "
                + Arrays.toString(hwc) + " (HWC) for " + input.source());
          }
          for (int n = 0; n < dst.count(); n++) {
            dst.readCHW(n, image);
            out.append(image, 0, image.length);
          }
        }
      }
      out.commit();
    }
    return s[0];
  }
}

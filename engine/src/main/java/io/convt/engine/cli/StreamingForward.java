package io.convt.engine.cli;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.HeapBudget;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.NpyFloat32Writer;
import io.convt.engine.io.NpyRecordReader;
import io.convt.engine.io.TensorFormatException;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.OutputShape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;

/**
 * {@code Y = layer(X)} from one NCHW {@code .npy} stack to another, {@code batchSize} records at a time: the input
 * header is read once, each batch is read, run through {@link Layer#apply} ({@code encodeBatch}, with the layer's
 * threads) and appended to the output, whose header carries the final shape {@code [N, Cout, H', W']} from the
 * start. Writing a batch overlaps reading and computing the next one (one writer thread). Memory is bounded by two
 * batches (one being computed, one being written, with their Arrow copies), whatever N is. Each record's output is
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
    return run(allocator, layer, input, output, batchSize, new AtomicLong());
  }

  /**
   * As {@link #run(BufferAllocator, Layer, NpyRecordReader, Path, int)}, adding to {@code written} the records
   * appended to the output as each batch is written (for a progress display polling it from another thread).
   */
  public static long run(BufferAllocator allocator, Layer layer, NpyRecordReader input, Path output, int batchSize,
      AtomicLong written) {
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
    OutputShape o = layer.outputShape(s[2], s[3]);
    int[] hwc = {o.height(), o.width(), o.channels()};
    long perRecord = bytesPerRecord(s[1], s[2], s[3], hwc);
    if (HeapBudget.bytes(batchSize, perRecord) > HeapBudget.limitBytes()) {
      throw new IllegalArgumentException("Invalid value for --batch-size: " + batchSize + " records of "
          + Arrays.toString(new int[] {s[1], s[2], s[3]}) + " -> " + Arrays.toString(new int[] {hwc[2], hwc[0], hwc[1]})
          + " need " + HeapBudget.mb(HeapBudget.bytes(batchSize, perRecord)) + " at once, more than the "
          + HeapBudget.mb(HeapBudget.limitBytes())
          + " allowed (half of the maximum heap); use --batch-size " + fittingBatch(perRecord, batchSize)
          + " or raise the heap (CONVT_JAVA_OPTS=-Xmx...)");
    }
    try (NpyFloat32Writer out = NpyFloat32Writer.open(output, new int[] {s[0], hwc[2], hwc[0], hwc[1]})) {
      // One writer thread: batch k's outputs are copied out of Arrow and appended while batch k+1 is read and
      // computed, so the kernel's threads do not wait for the file (a serial read-compute-write loop leaves cores idle
      // while it writes). At most one batch is being written, so memory stays two output batches.
      ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "convt-forward-writer");
        t.setDaemon(true);
        return t;
      });
      float[] image = new float[hwc[0] * hwc[1] * hwc[2]];
      Future<?> writing = null;
      try {
        while (input.remaining() > 0) {
          NpyArray x = input.next(batchSize);
          ImageBatch dst;
          try (ImageBatch src = NchwArrays.toBatch(allocator, x)) {
            dst = layer.apply(allocator, src);
          }
          try {
            if (dst.height() != hwc[0] || dst.width() != hwc[1] || dst.channels() != hwc[2]) {
              throw new IllegalStateException("Layer " + layer + " produced " + dst.shape() + ", expected "
                  + Arrays.toString(hwc) + " (HWC) for " + input.source());
            }
            await(writing);
          } catch (RuntimeException | Error e) {
            dst.close(); // not handed to the writer: freed here, so the allocator closes clean
            throw e;
          }
          writing = writer.submit(() -> {
            try (dst) {
              for (int n = 0; n < dst.count(); n++) {
                dst.readCHW(n, image);
                out.append(image, 0, image.length);
              }
              written.addAndGet(dst.count());
            }
          });
        }
        await(writing);
        writing = null;
      } finally {
        // on a failure, let the batch being written finish (it uses the writer and the allocator) before they close
        if (writing != null) {
          try {
            writing.get();
          } catch (InterruptedException | ExecutionException ignored) {
            // the first failure is the one reported
          }
        }
        writer.shutdown();
      }
      out.commit();
    }
    return s[0];
  }

  /**
   * Bytes one record takes while streamed, exact: its input and Arrow copy, its Arrow output and the copy written,
   * twice (one batch computed while the previous one is written).
   *
   * @throws IllegalArgumentException when one record alone does not fit the heap budget or a Java array (an
   *     output size, stride, dilation or padding far larger than intended)
   */
  static long bytesPerRecord(int cin, int h, int w, int[] outHwc) {
    long in = HeapBudget.bytes(HeapBudget.bytes((long) cin * h, w), 4);
    long out = HeapBudget.bytes(HeapBudget.bytes((long) outHwc[0] * outHwc[1], outHwc[2]), 4);
    long per = HeapBudget.bytes(2, HeapBudget.sum(HeapBudget.bytes(in, 2), out));
    if (out / 4 > Integer.MAX_VALUE - 8 || per > HeapBudget.limitBytes()) {
      throw new IllegalArgumentException("Cannot run the layer: one output record "
          + Arrays.toString(new int[] {outHwc[2], outHwc[0], outHwc[1]}) + " is " + HeapBudget.mb(out)
          + "; running it needs " + HeapBudget.mb(per) + ", more than the " + HeapBudget.mb(HeapBudget.limitBytes())
          + " allowed (half of the maximum heap); check --output-size, --stride, --dilation and --padding, or raise "
          + "the heap (CONVT_JAVA_OPTS=-Xmx...)");
    }
    return per;
  }

  /** The largest batch of at most {@code preferred} records of {@code perRecord} bytes within the heap budget. */
  static int fittingBatch(long perRecord, int preferred) {
    return (int) Math.max(1, Math.min(preferred, HeapBudget.limitBytes() / perRecord));
  }

  /**
   * The batch size to use when the user gave none: {@code preferred}, or fewer records when that many would not
   * fit the heap budget (results do not depend on the batch size).
   */
  public static int defaultBatchSize(Layer layer, int[] nchw, int preferred) {
    if (nchw.length != 4 || nchw[1] != layer.inputChannels()) {
      return preferred; // run() reports the mismatch, naming the file
    }
    OutputShape o = layer.outputShape(nchw[2], nchw[3]);
    int[] hwc = {o.height(), o.width(), o.channels()};
    return fittingBatch(bytesPerRecord(nchw[1], nchw[2], nchw[3], hwc), preferred);
  }


  /** Waits for a batch write; its failure is rethrown as it was thrown (unchecked). */
  private static void await(Future<?> writing) {
    if (writing == null) {
      return;
    }
    try {
      writing.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while writing the output", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    }
  }
}

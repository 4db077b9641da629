package io.convt.engine.cli;

import io.convt.engine.ConvTranspose;
import io.convt.engine.ConvTransposeGradient;
import io.convt.engine.ConvolutionTransposeGradientState;
import io.convt.engine.GradientOption;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.TensorFormatException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The passes of {@code convt backward} with live progress: the forward pass and the data gradient are per record,
 * so they run in chunks of records counted by a {@link ConsoleProgress}; the weight and bias gradients are one sum
 * over the whole stack, so they stay one call (their summation order, and so their bits, are those of the
 * whole-stack call), shown by an {@link EstimatedProgress} whose estimate is the forward pass's time (the same
 * multiply-adds per record). The results are bit-identical to one whole-stack
 * {@link ConvTranspose#encodeBatchWithState} followed by one {@link ConvTransposeGradient} encode
 * ({@code BackwardPassesTest} checks it on both kernels).
 */
final class BackwardPasses {
  /** How progress is shown: style, seconds between plain lines, where. */
  record Reporting(ConsoleProgress.Style style, long intervalMillis, PrintStream out) {}

  /** The gradients: dL/dX as NCHW, dL/dW in MPS layout {@code [Cout][kH][kW][Cin/g]}, dL/db (null if none). */
  record Gradients(float[] input, float[] weightsMps, float[] biases) {}

  private static final String WHAT = "convt backward";

  private final ConvTranspose kernel;
  private final int chunkRecords;
  private final Reporting reporting;
  private final LongConsumer afterChunk;

  /**
   * @param chunkRecords records per chunk of the per-record passes, ≥ 1
   * @param afterChunk told the records done after each chunk (tests slow a run down with it)
   */
  BackwardPasses(ConvTranspose kernel, int chunkRecords, Reporting reporting, LongConsumer afterChunk) {
    if (chunkRecords < 1) {
      throw new IllegalArgumentException("chunkRecords must be >= 1 (" + chunkRecords + ")");
    }
    this.kernel = kernel;
    this.chunkRecords = chunkRecords;
    this.reporting = reporting;
    this.afterChunk = afterChunk;
  }

  /** Chunks of about 1% of the stack (at least 16 records, so the kernel's threads stay busy). */
  static int defaultChunkRecords(int records) {
    return Math.max(16, (records + 99) / 100);
  }

  /**
   * Runs the three passes.
   *
   * @param inputName, gradOutputName the files X and GY came from, for messages
   * @throws TensorFormatException when GY is not shaped like the layer's output for X
   */
  Gradients run(BufferAllocator alloc, NpyArray x, NpyArray gy, String inputName, String gradOutputName) {
    int n = x.shape()[0];
    long forwardStart = System.nanoTime();
    int[] yShape = forward(alloc, x);
    double forwardSeconds = (System.nanoTime() - forwardStart) / 1e9;
    if (!Arrays.equals(yShape, gy.shape())) {
      throw new TensorFormatException(gradOutputName, "has shape " + gy.shapeString()
          + " but the output Y of this layer for " + inputName + " has shape " + Arrays.toString(yShape));
    }
    ConvTransposeGradient grad = new ConvTransposeGradient(kernel);
    float[] gw;
    float[] gb;
    // Before the data gradient: this whole-stack call rejects a non-finite GY naming its record in the stack.
    try (ImageBatch src = NchwArrays.toBatch(alloc, x); ImageBatch g = NchwArrays.toBatch(alloc, gy);
        EstimatedProgress p = EstimatedProgress.start(WHAT + " (weight gradient)", forwardSeconds,
            reporting.intervalMillis(), reporting.style(), reporting.out())) {
      ConvolutionTransposeGradientState state = kernel.resultStateBatch(src, null, g).get(0);
      grad.setGradientOption(GradientOption.WEIGHTS_AND_BIAS);
      grad.encode(alloc, g, src, state);
      gw = state.gradientForWeights();
      gb = state.gradientForBiases();
    }
    float[] gx = dataGradient(alloc, grad, x, gy, n);
    return new Gradients(gx, gw, gb);
  }

  /** The forward pass chunk by chunk (its values are not needed, only its shape); returns Y's NCHW shape. */
  private int[] forward(BufferAllocator alloc, NpyArray x) {
    int n = x.shape()[0];
    int[] yShape = null;
    AtomicLong done = new AtomicLong();
    try (ConsoleProgress p = progress("forward pass", done, n)) {
      int from = 0;
      do {
        int m = Math.min(chunkRecords, n - from);
        try (ImageBatch src = NchwArrays.toBatch(alloc, records(x, from, m));
            ImageBatch y = kernel.encodeBatch(alloc, src)) {
          yShape = new int[] {n, y.channels(), y.height(), y.width()};
        }
        from += m;
        done.set(from);
        afterChunk.accept(from);
      } while (from < n);
    }
    return yShape;
  }

  /** dL/dX chunk by chunk: each record's gradient depends on that record's GY alone. */
  private float[] dataGradient(BufferAllocator alloc, ConvTransposeGradient grad, NpyArray x, NpyArray gy, int n) {
    float[] gx = new float[x.floats().length];
    int per = x.shape()[1] * x.shape()[2] * x.shape()[3];
    grad.setGradientOption(GradientOption.DATA);
    AtomicLong done = new AtomicLong();
    try (ConsoleProgress p = progress("data gradient", done, n)) {
      for (int from = 0; from < n; from += chunkRecords) {
        int m = Math.min(chunkRecords, n - from);
        try (ImageBatch src = NchwArrays.toBatch(alloc, records(x, from, m));
            ImageBatch g = NchwArrays.toBatch(alloc, records(gy, from, m))) {
          ConvolutionTransposeGradientState state = kernel.resultStateBatch(src, null, g).get(0);
          try (ImageBatch d = grad.encode(alloc, g, src, state)) {
            System.arraycopy(NchwArrays.fromBatch(d), 0, gx, from * per, m * per);
          }
        }
        done.set(from + m);
        afterChunk.accept(from + m);
      }
    }
    return gx;
  }

  private ConsoleProgress progress(String pass, AtomicLong done, int total) {
    return ConsoleProgress.start(WHAT + " (" + pass + ")", done::get, total, reporting.intervalMillis(),
        reporting.style(), reporting.out(), null);
  }

  /** Records {@code from … from+count-1} of an NCHW stack. */
  private static NpyArray records(NpyArray a, int from, int count) {
    int[] s = a.shape();
    int per = s[1] * s[2] * s[3];
    return new NpyArray(a.dtype(), new int[] {count, s[1], s[2], s[3]},
        Arrays.copyOfRange(a.floats(), from * per, (from + count) * per), null);
  }
}

package io.convt.engine.cli;

import io.convt.engine.io.NpyRecordReader;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code convt forward}: {@code Y = convT(X)} for a float NCHW stack {@code X.npy}, written as float32 NCHW
 * {@code Y.npy}. With {@code --weights-layout pytorch} the result equals
 * {@code torch.nn.functional.conv_transpose2d(X, W, B, stride, padding, output_padding, groups, dilation)}.
 * The stack is streamed {@code --batch-size} records at a time ({@link StreamingForward}), so memory does not grow
 * with N; the output appears atomically once complete.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
    description = "Run the transposed convolution over an NCHW .npy stack, streamed in batches of records "
        + "(memory bounded by --batch-size, not by N).")
public final class ForwardCommand implements Callable<Integer> {
  /** Records per {@code encodeBatch} call unless {@code --batch-size} says otherwise. */
  public static final int DEFAULT_BATCH_SIZE = 64;

  @Option(names = "--input", required = true, paramLabel = "X.npy",
      description = "Input stack [N,Cin,H,W] float32 (or float16/64, either byte order).")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "Y.npy",
      description = "Output stack [N,Cout,H',W'] float32, written atomically (temporary file, then rename).")
  Path output;

  @Option(names = "--batch-size", paramLabel = "N",
      description = "Records read, computed and written per step (default " + DEFAULT_BATCH_SIZE + "). Memory grows "
          + "with it, not with the stack; results do not depend on it.")
  int batchSize = DEFAULT_BATCH_SIZE;

  @Mixin LayerOptions layer;

  @Override
  public Integer call() {
    LayerSpec spec = layer.validate();
    if (batchSize <= 0) {
      throw new IllegalArgumentException("Invalid value for --batch-size: must be > 0 (got " + batchSize + ")");
    }
    // The input's header is checked before the weights are read (bad input is reported first, as before).
    try (NpyRecordReader in = NpyRecordReader.open(input, 4)) {
      Layer l = layer.open(spec, in.header().shape()[2], in.header().shape()[3]);
      try (RootAllocator alloc = new RootAllocator()) {
        StreamingForward.run(alloc, l, in, output, batchSize);
      }
    }
    return 0;
  }
}

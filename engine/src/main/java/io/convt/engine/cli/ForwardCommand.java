package io.convt.engine.cli;

import io.convt.engine.io.NpyRecordReader;
import io.convt.engine.io.OutputPaths;
import io.convt.engine.io.PixelScaling;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
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
      description = "Input stack [N,Cin,H,W] float32 (or float16/64, either byte order, or uint8 pixels scaled by "
          + "--input-scaling).")
  Path input;

  @Option(names = "--input-scaling", paramLabel = "SCALING",
      description = "How a uint8 input becomes floats, as for 8-bit images: unit (v/255, default), signed "
          + "(2v/255-1) or raw (v). Float inputs are read as they are.")
  String inputScaling = "unit";

  @Option(names = "--output", required = true, paramLabel = "Y.npy",
      description = "Output stack [N,Cout,H',W'] float32, written atomically (temporary file, then rename).")
  Path output;

  @Option(names = "--batch-size", paramLabel = "N",
      description = "Records read, computed and written per step (default " + DEFAULT_BATCH_SIZE + ", fewer when "
          + "that many would not fit half the heap). Memory grows with it, not with the stack; results do not depend "
          + "on it.")
  Integer batchSize;

  @Option(names = "--quiet", description = "No progress on stderr (by default a long run reports records done, "
      + "rate and ETA every few seconds: a bar on a terminal, plain lines otherwise; CONVT_PROGRESS=bar|lines|off).")
  boolean quiet;

  @Mixin LayerOptions layer;

  /** Seconds between plain progress lines (a bar on a terminal is redrawn every second). */
  static final int PROGRESS_SECONDS = 2;

  @Override
  public Integer call() {
    LayerSpec spec = layer.validate();
    if (batchSize != null && batchSize <= 0) {
      throw new IllegalArgumentException("Invalid value for --batch-size: must be > 0 (got " + batchSize + ")");
    }
    List<OutputPaths.Named> inputs = new ArrayList<>(layer.inputFiles());
    inputs.add(new OutputPaths.Named("--input", input));
    OutputPaths.check(inputs, List.of(new OutputPaths.Named("--output", output)), OutputPaths.Kind.FILE);
    // The input's header is checked before the weights are read (bad input is reported first, as before).
    PixelScaling scaling = PixelScaling.parse(inputScaling, "--input-scaling");
    try (NpyRecordReader in = NpyRecordReader.open(input, 4, scaling)) {
      Layer l = layer.open(spec, in.header().shape()[2], in.header().shape()[3]);
      try (RootAllocator alloc = new RootAllocator()) {
        int[] nchw = in.header().shape();
        int batch = batchSize != null ? batchSize : StreamingForward.defaultBatchSize(l, nchw, DEFAULT_BATCH_SIZE);
        AtomicLong written = new AtomicLong();
        ConsoleProgress.Style style = quiet ? ConsoleProgress.Style.OFF : ConsoleProgress.Style.detect();
        try (ConsoleProgress p = ConsoleProgress.start("convt forward", written::get, in.remaining(),
            PROGRESS_SECONDS * 1000L, style, System.err, null)) {
          StreamingForward.run(alloc, l, in, output, batch, written);
        }
      }
    }
    return 0;
  }
}

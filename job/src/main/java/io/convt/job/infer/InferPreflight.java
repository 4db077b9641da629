package io.convt.job.infer;

import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.job.JobConfig;
import io.convt.job.OutputGuard;
import java.io.PrintWriter;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * Everything {@code infer} checks on the driver before a Spark session starts (about a second): configuration,
 * weights, input (format, listing, Parquet footers, the first record's channels against the weights), output
 * (safety against the inputs, existing output and mode), output format against the layer's channels, and memory
 * per record against the heap. A mistake here exits 2 with one line and nothing written.
 */
public final class InferPreflight {
  /** Images tried for the first-record channel check (unreadable ones are skipped: they are quarantined later). */
  private static final int FIRST_RECORD_TRIES = 8;

  private InferPreflight() {}

  /** A run that passed every driver check. */
  public record Prepared(InferConfig config, LayerSpec spec, Layer layer, InputPlan plan, String input,
      String output) {}

  /**
   * @param input as given ({@code --input}); a convt output root is read through its {@code data/} or
   *     {@code images/}
   * @param notes where notes go (skipped subdirectories, leftovers of an interrupted overwrite)
   */
  public static Prepared prepare(LayerSpec spec, JobConfig config, String input, String output,
      Configuration hadoop, PrintWriter notes) {
    InferConfig c = InferConfig.from(config);
    Layer layer = Layer.open(spec.withOptions(spec.options().withImpl(c.kernelImpl()).withThreads(c.kernelThreads())));
    String data = InputRoots.dataOf(input, hadoop, notes);
    InputPlan plan = InputPlan.of(data, c.inputFormat(), c.executor().batchSize(), c.partitions(), hadoop,
        c.recursive(), notes);
    new OutputGuard(hadoop, notes).check(
        List.of(new OutputGuard.Named("--output", output)),
        List.of(new OutputGuard.Named("--input", input), new OutputGuard.Named("--weights", str(spec.weights())),
            new OutputGuard.Named("--bias", str(spec.bias())),
            new OutputGuard.Named("--config", str(config.file()))),
        c.mode(), false);
    String format = c.executor().outputFormat();
    int cout = layer.outputChannels();
    if ((format.equals("png") || format.equals("jpeg")) && cout != 1 && cout != 3 && cout != 4) {
      throw new IllegalArgumentException("Cannot write --format " + format + ": the layer has " + cout
          + " output channels; PNG/JPEG output needs 1, 3 or 4 (use --format parquet or arrow)");
    }
    if (plan.fixedShape() != null) {
      TensorShape s = plan.fixedShape();
      if (s.channels() != layer.inputChannels()) {
        throw new IllegalArgumentException("Cannot read input " + data + ": records have " + s.channels()
            + " channels, the weights " + spec.weights() + " (--weights-layout " + spec.layout().label()
            + ") expect " + layer.inputChannels());
      }
      checkMemory(data, s, layer, c.executor().batchSize());
    } else if (plan.format().equals("images")) {
      checkFirstImage(plan, layer, spec, c.executor(), hadoop);
    } else if (plan.firstShape() != null && plan.firstShape().channels() != layer.inputChannels()) {
      throw new IllegalArgumentException("Cannot read input " + data + ": its first record has "
          + plan.firstShape().channels() + " channels " + plan.firstShape() + ", the weights " + spec.weights()
          + " (--weights-layout " + spec.layout().label() + ") expect " + layer.inputChannels());
    }
    return new Prepared(c, spec, layer, plan, data, output);
  }

  private static void checkFirstImage(InputPlan plan, Layer layer, LayerSpec spec, InferSettings s,
      Configuration hadoop) {
    int tried = 0;
    for (InputItem item : plan.items()) {
      if (tried++ == FIRST_RECORD_TRIES) {
        return;
      }
      InputRecord r = ImageFiles.read(item.path(), s, hadoop);
      if (r.getError() != null) {
        continue;
      }
      int ch = r.getShape()[0];
      if (ch != layer.inputChannels()) {
        throw new IllegalArgumentException("Cannot read input " + plan.input() + ": its first image " + item.path()
            + " has " + ch + " channels, the weights " + spec.weights() + " (--weights-layout "
            + spec.layout().label() + ") expect " + layer.inputChannels()
            + " (check --weights and --weights-layout; no record would pass)");
      }
      return;
    }
  }

  /** Refuses a record or batch that cannot fit the heap, before anything is allocated. */
  private static void checkMemory(String input, TensorShape s, Layer layer, int batchSize) {
    TensorShape o;
    try {
      o = InferJob.outputShape(layer, s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Cannot read input " + input + ": its records " + s + " do not fit the "
          + "layer: " + e.getMessage());
    }
    long in = s.elements();
    long out = o.elements();
    if (in > Integer.MAX_VALUE - 8 || out > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Cannot read input " + input + ": one record has " + in + " values in and "
          + out + " out, more than a Java array holds (2^31-1)");
    }
    // the record's array, its Arrow batch row, the output row and the writer's copy
    long perRecord = 4 * (2 * in + 2 * out);
    long budget = Runtime.getRuntime().maxMemory() / 2;
    if (perRecord > budget) {
      throw new IllegalArgumentException("Cannot read input " + input + ": one record " + s + " needs about "
          + mb(perRecord) + " MB, more than half the heap (" + mb(2 * budget) + " MB); raise the heap "
          + "(CONVT_DRIVER_JAVA_OPTS=-Xmx..., spark.executor.memory)");
    }
    if (perRecord * batchSize > budget) {
      throw new IllegalArgumentException("Invalid value for configuration key 'batch.size': " + batchSize
          + " records of " + s + " need about " + mb(perRecord * batchSize) + " MB, more than half the heap ("
          + mb(2 * budget) + " MB); at most " + Math.max(1, budget / perRecord) + " fit");
    }
  }

  private static long mb(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  private static String str(Object o) {
    return o == null ? null : o.toString();
  }
}

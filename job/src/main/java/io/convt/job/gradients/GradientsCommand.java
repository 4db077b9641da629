package io.convt.job.gradients;

import io.convt.engine.cli.LayerOptions;
import io.convt.engine.train.Loss;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import io.convt.job.JobLog;
import io.convt.job.JobSession;
import io.convt.job.OutputMode;
import io.convt.job.storage.HadoopConf;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code convt-job gradients}: dL/dW and dL/db of one layer over a dataset, bit-identical whatever the partitioning.
 * With {@code --weights-layout pytorch} and {@code --grad-output}, the result equals PyTorch autograd's
 * {@code w.grad}/{@code b.grad} for the whole stack as one batch.
 */
@Command(name = "gradients", mixinStandardHelpOptions = true,
    description = "Weight and bias gradients of a layer over a dataset (reproducible distributed reduction).")
public final class GradientsCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, paramLabel = "X.npy|DIR|GLOB|DATASET",
      description = "Inputs: an [N,Cin,H,W] float32 .npy, an image directory/glob (PNG/JPEG/BMP), or a Parquet or "
          + "Arrow tensor dataset as infer writes it, on any Hadoop file system.")
  String input;

  @Option(names = "--grad-output", paramLabel = "GY.npy|DIR|GLOB|DATASET",
      description = "Upstream gradients dL/dY [N,Cout,H',W']: an .npy in --input's record order, an image "
          + "dataset paired with --input by relative path without extension, or a tensor dataset paired by id.")
  String gradOutput;

  @Option(names = "--target", paramLabel = "T.npy|DIR|GLOB|DATASET",
      description = "Targets [N,Cout,H',W'] (with --loss): an .npy, or an image or tensor dataset paired with "
          + "--input.")
  String target;

  @Option(names = "--recursive", description = "Image datasets: read subdirectories too.")
  boolean recursive;

  @Option(names = "--quarantine-unpaired",
      description = "Datasets: leave unpaired and duplicate records (and, for tensor datasets, targets of the "
          + "wrong shape) out, counted in run-summary.json.")
  boolean quarantineUnpaired;

  @Option(names = "--loss", paramLabel = "mse|l1", description = "Loss against --target (default mse).")
  String loss = "mse";

  @Option(names = "--reduction", paramLabel = "mean|sum",
      description = "mean over all output elements of the dataset, or sum (default mean).")
  String reduction = "mean";

  @Option(names = "--partitions", paramLabel = "N", description = "Spark partitions (default 2).")
  int partitions = 2;

  @Option(names = "--output", required = true, paramLabel = "DIR",
      description = "Output directory, on any Hadoop file system (committed: manifest.json, then _SUCCESS).")
  String output;

  @Option(names = "--write-grad-input", paramLabel = "DIR",
      description = "Also write dL/dX per record range as grad_input-<first>-<count>.npy into DIR (any Hadoop file "
          + "system; committed like --output).")
  String gradInput;

  @Option(names = "--conf", paramLabel = "spark.KEY=VALUE",
      description = "A Spark setting for the session (repeatable); spark.hadoop.* reach every file system access.")
  List<String> conf = new ArrayList<>();

  @Option(names = "--mode", paramLabel = "MODE",
      description = "error (default): refuse an existing --output; overwrite: replace it once the new one is complete.")
  String mode = "error";

  @Mixin LayerOptions layer;

  @CommandLine.Spec CommandLine.Model.CommandSpec command;

  @Override
  public Integer call() {
    if ((gradOutput == null) == (target == null)) {
      throw new IllegalArgumentException("Cannot compute gradients: give exactly one of --grad-output or --target");
    }
    GradientsRequest request = (gradOutput != null
        ? GradientsRequest.withGradOutput(input, gradOutput, partitions)
        : GradientsRequest.withTarget(input, target, Loss.parse(loss, reduction), partitions))
        .withDatasetOptions(recursive, quarantineUnpaired)
        .withGradInputDir(absoluteIfLocal(gradInput));
    Map<String, String> spark = sparkSettings(conf, "gradients");
    GradientsJob.Prepared prepared = GradientsJob.prepare(layer.toSpec(), request, output,
        OutputMode.parse(mode, "--mode"), HadoopConf.fromSettings(spark), command.commandLine().getErr());
    JobLog.startBeside(output);
    try (JobSession session = JobSession.open("convt gradients", spark)) {
      GradientOutputs.Result r = GradientsJob.run(session.spark(), prepared);
      command.commandLine().getOut().println("gradients: " + r.summary().get("records") + " records, gradient_sha256 "
          + r.sha256() + (r.summary().containsKey("loss") ? ", loss " + r.summary().get("loss") : "") + " -> "
          + output);
    }
    return 0;
  }

  /** A local path made absolute (the summary names where the files are); a Hadoop URI as given. */
  private static String absoluteIfLocal(String path) {
    if (path == null || path.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*")) {
      return path;
    }
    return Path.of(path).toAbsolutePath().normalize().toString();
  }

  /**
   * Spark's settings: {@code spark.hadoop.*} system properties (from spark-submit), then {@code --conf} ones; any other
   * key is refused in one line listing them sorted.
   *
   * @param commandName the command named in the refusal ({@code gradients}, {@code train})
   */
  public static Map<String, String> sparkSettings(List<String> overrides, String commandName) {
    Map<String, String> out = new TreeMap<>();
    System.getProperties().forEach((k, v) -> {
      if (k.toString().startsWith("spark.hadoop.")) {
        out.put(k.toString(), v.toString());
      }
    });
    Set<String> unknown = new TreeSet<>();
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("Cannot read --conf '" + o + "': expected KEY=VALUE");
      }
      String key = o.substring(0, eq).trim();
      if (key.startsWith("spark.")) {
        out.put(key, o.substring(eq + 1).trim());
      } else {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("Unknown configuration key" + (unknown.size() > 1 ? "s " : " ")
          + String.join(", ", unknown) + " for " + commandName + " (only Spark's own spark.* keys)");
    }
    return out;
  }
}

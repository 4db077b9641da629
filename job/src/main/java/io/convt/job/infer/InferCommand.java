package io.convt.job.infer;

import io.convt.engine.cli.LayerOptions;
import io.convt.job.JobLog;
import io.convt.job.JobSession;
import io.convt.job.JobConfig;
import io.convt.job.storage.HadoopConf;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code convt-job infer}: run the layer over a dataset of images or tensors, with quarantine and a run summary. */
@Command(name = "infer", mixinStandardHelpOptions = true,
    description = "Run the transposed convolution over images or tensor datasets (npy, parquet, PNG/JPEG/BMP).")
public final class InferCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, paramLabel = "PATH",
      description = "A .npy stack [N,C,H,W], a directory/glob of images, a parquet tensor dataset or arrow IPC files.")
  String input;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output directory (committed atomically).")
  String output;

  @Option(names = "--format", paramLabel = "FMT", description = "Output format: parquet (default), arrow, png or jpeg (output.format).")
  String format;

  @Option(names = "--input-format", paramLabel = "FMT", description = "auto, npy, images, spark-image, parquet or arrow (input.format).")
  String inputFormat;

  @Option(names = "--partitions", paramLabel = "N", description = "Partitions for npy/image inputs (partitions).")
  Integer partitions;

  @Option(names = "--batch-size", paramLabel = "N", description = "Images per Arrow batch (batch.size).")
  Integer batchSize;

  @Option(names = "--mode", paramLabel = "MODE", description = "error (default) or overwrite an existing output (mode).")
  String mode;

  @Option(names = "--fail-fast", description = "Stop at the first bad record instead of quarantining it (fail-fast).")
  boolean failFast;

  @Option(names = "--quiet", description = "No progress on stderr (progress.interval-seconds=0).")
  boolean quiet;

  @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (defaults: conf/convt.conf).")
  Path config;

  @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Override one configuration key (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Mixin LayerOptions layer;

  @Option(names = "--recursive", description = "Read image directories recursively (input.recursive).")
  boolean recursive;

  @Option(names = "--max-quarantine-fraction", paramLabel = "F",
      description = "Exit 3 when more than this fraction of records is quarantined (max-quarantine-fraction).")
  Double maxQuarantineFraction;

  @CommandLine.Spec CommandLine.Model.CommandSpec command;

  @Override
  public Integer call() {
    JobConfig c = JobConfig.load(config, overrides)
        .with("output.format", format)
        .with("input.format", inputFormat)
        .with("partitions", partitions == null ? null : partitions.toString())
        .with("batch.size", batchSize == null ? null : batchSize.toString())
        .with("mode", mode)
        .with("fail-fast", failFast ? "true" : null)
        .with("progress.interval-seconds", quiet ? "0" : null)
        .with("input.recursive", recursive ? "true" : null)
        .with("max-quarantine-fraction", maxQuarantineFraction == null ? null : maxQuarantineFraction.toString());
    InferPreflight.Prepared prepared = InferPreflight.prepare(layer.validate(), c, input, output,
        HadoopConf.fromSettings(c.sparkSettings()), command.commandLine().getErr());
    JobLog.startBeside(output);
    try (JobSession session = JobSession.open("convt infer", c.sparkSettings())) {
      InferResult r = InferJob.run(session.spark(), prepared);
      command.commandLine().getOut().println(r.line());
      return r.status().exitCode();
    }
  }
}

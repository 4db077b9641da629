package io.convt.job.infer;

import io.convt.engine.cli.LayerOptions;
import io.convt.engine.layer.LayerSpec;
import io.convt.job.ConvtJob;
import io.convt.job.JobConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code convt-job infer}: run the layer over a dataset of images or tensors, with quarantine and a run summary. */
@Command(name = "infer", mixinStandardHelpOptions = true,
    description = "Run the transposed convolution over images or tensor datasets (npy, parquet, PNG/JPEG/BMP).")
public final class InferCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, paramLabel = "PATH",
      description = "A .npy stack [N,C,H,W], a directory/glob of images, or a parquet tensor dataset.")
  String input;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output directory (committed atomically).")
  String output;

  @Option(names = "--format", paramLabel = "FMT", description = "Output format: parquet (default), png or jpeg (output.format).")
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

  @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (defaults: conf/convt.conf).")
  Path config;

  @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Override one configuration key (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Mixin LayerOptions layer;

  @Override
  public Integer call() {
    JobConfig c = JobConfig.load(config, overrides)
        .with("output.format", format)
        .with("input.format", inputFormat)
        .with("partitions", partitions == null ? null : partitions.toString())
        .with("batch.size", batchSize == null ? null : batchSize.toString())
        .with("mode", mode)
        .with("fail-fast", failFast ? "true" : null);
    LayerSpec spec = layer.toSpec();
    SparkSession spark = ConvtJob.session("convt infer", c.sparkSettings());
    try {
      Map<String, Object> s = InferJob.run(spark, spec, c, input, output);
      System.out.println("convt infer: " + s.get("records_in") + " records in, " + s.get("records_out") + " out, "
          + s.get("records_quarantined") + " quarantined " + s.get("quarantined_by_reason") + ", "
          + s.get("records_per_second") + " records/s, kernel " + s.get("kernel") + " -> " + s.get("output"));
    } finally {
      spark.stop();
    }
    return 0;
  }
}

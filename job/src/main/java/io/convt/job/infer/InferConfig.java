package io.convt.job.infer;

import io.convt.job.JobConfig;
import io.convt.job.OutputMode;

/**
 * An infer run's configuration, parsed and validated once on the driver from the {@link JobConfig} keys (errors
 * name the key); nothing reads a key as a string after this.
 *
 * @param executor what the tasks need (serialised with them)
 * @param mode what to do with an existing output
 * @param partitions partitions for npy and image inputs (0 = Spark's default parallelism)
 * @param progressSeconds seconds between progress lines (0 = none)
 * @param inputFormat auto, npy, images, spark-image, parquet or arrow
 * @param kernelImpl auto, simd or scalar
 * @param kernelThreads threads per kernel call
 * @param recursive read image directories recursively
 * @param maxQuarantineFraction exit 3 when more than this fraction of records is quarantined (1 = no limit)
 * @param source the resolved keys, for the run summary
 */
public record InferConfig(InferSettings executor, OutputMode mode, int partitions, int progressSeconds,
    String inputFormat, String kernelImpl, int kernelThreads, boolean recursive, double maxQuarantineFraction,
    JobConfig source) {

  /** Parses every infer key of {@code c}. */
  public static InferConfig from(JobConfig c) {
    return new InferConfig(
        InferSettings.from(c),
        OutputMode.parse(c.string("mode"), "configuration key 'mode'"),
        c.integer("partitions", 0, 1_000_000),
        c.integer("progress.interval-seconds", 0, 86_400),
        c.choice("input.format", "auto", "npy", "images", "spark-image", "parquet", "arrow"),
        c.choice("kernel.impl", "auto", "simd", "scalar"),
        c.integer("kernel.threads", 1, 1024),
        c.bool("input.recursive"),
        c.decimal("max-quarantine-fraction", 0, 1),
        c);
  }
}

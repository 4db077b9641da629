package io.convt.job.infer;

import io.convt.engine.io.PixelScaling;
import io.convt.job.JobConfig;
import java.io.Serializable;

/**
 * The validated settings an infer run needs on executors (small, serializable).
 *
 * @param crcFiles {@code output.crc-files}: write local Parquet and Arrow part files through Hadoop's checksummed
 *     file system (with {@code .crc} side files) instead of a file channel ({@link PartFiles})
 * @param maxPixels {@code image.max-pixels}: an image declaring more pixels is quarantined ({@code too_large})
 */
public record InferSettings(
    int batchSize, String nanPolicy, boolean failFast, PixelScaling scaling, boolean bgr, String outputFormat,
    ParquetOptions parquet, boolean crcFiles, long maxPixels) implements Serializable {

  /** Reads and validates every infer key of {@code c}; errors name the key. */
  public static InferSettings from(JobConfig c) {
    return new InferSettings(
        c.integer("batch.size", 1, 1 << 16),
        c.choice("nan.policy", "quarantine", "fail", "pass"),
        c.bool("fail-fast"),
        PixelScaling.parse(c.choice("image.scaling", "unit", "signed", "raw")),
        c.choice("image.channel-order", "rgb", "bgr").equals("bgr"),
        c.choice("output.format", "parquet", "arrow", "png", "jpeg"),
        ParquetOptions.from(c),
        c.bool("output.crc-files"),
        c.longInteger("image.max-pixels", 1, 1L << 40));
  }
}

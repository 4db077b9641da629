package io.convt.job.infer;

import io.convt.job.JobConfig;
import java.io.Serializable;
import java.util.Locale;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * The validated {@code parquet.*} keys of {@code output.format=parquet} (small, serializable, for executors).
 *
 * @param codec compression of every column ({@code parquet.compression}; {@code none} by default)
 * @param dataDictionary whether Parquet tries dictionary encoding on the {@code data} column
 *     ({@code parquet.data-dictionary}); {@code id} and {@code shape} always try it, as Parquet does by default
 * @param dataStatistics whether Parquet keeps min/max statistics (and the column index built from them) for the
 *     {@code data} column ({@code parquet.data-statistics})
 * @param rowGroupBytes row-group size ({@code parquet.row-group-mb}): a task buffers one row group in memory
 */
public record ParquetOptions(String codec, boolean dataDictionary, boolean dataStatistics, long rowGroupBytes) implements Serializable {

  /** Reads and validates the {@code parquet.*} keys of {@code c}; errors name the key. */
  public static ParquetOptions from(JobConfig c) {
    String codec = c.choice("parquet.compression", "none", "snappy", "zstd", "gzip", "lz4_raw");
    return new ParquetOptions(codec, c.bool("parquet.data-dictionary"), c.bool("parquet.data-statistics"),
        (long) c.integer("parquet.row-group-mb", 1, 2047) << 20);
  }

  /** Parquet's name for {@link #codec()} ({@code none} is {@code UNCOMPRESSED}). */
  CompressionCodecName codecName() {
    return codec.equals("none") ? CompressionCodecName.UNCOMPRESSED
        : CompressionCodecName.valueOf(codec.toUpperCase(Locale.ROOT));
  }
}

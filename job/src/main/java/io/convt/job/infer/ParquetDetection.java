package io.convt.job.infer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Whether an input is a Parquet dataset, by content: a Parquet file starts and ends with the magic {@code PAR1}
 * (the footer's length sits just before the trailing one). A directory is a Parquet dataset when it has visible
 * files and every one of them is Parquet, whichever tool wrote it: no {@code _SUCCESS} marker or {@code .parquet}
 * name needed (pandas, DuckDB and Spark with its success marker switched off write neither). Reads 8 bytes per file.
 */
final class ParquetDetection {
  private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

  private ParquetDetection() {}

  /** True when {@code input} (a file or a directory, not a glob) is Parquet; false when it is anything else. */
  static boolean isParquet(String input, Configuration hadoop) {
    try {
      Path p = new Path(input);
      FileSystem fs = p.getFileSystem(hadoop);
      if (!fs.exists(p)) {
        return false;
      }
      FileStatus status = fs.getFileStatus(p);
      if (status.isFile()) {
        return isParquetFile(fs, status);
      }
      FileStatus[] files = Arrays.stream(fs.listStatus(p))
          .filter(f -> f.isFile() && !f.getPath().getName().startsWith(".") && !f.getPath().getName().startsWith("_"))
          .toArray(FileStatus[]::new);
      if (files.length == 0) {
        return false;
      }
      for (FileStatus f : files) {
        if (!isParquetFile(fs, f)) {
          return false;
        }
      }
      return true;
    } catch (IOException | IllegalArgumentException e) {
      return false; // not listable or not a path: the image reader's listing names the problem
    }
  }

  private static boolean isParquetFile(FileSystem fs, FileStatus f) throws IOException {
    long len = f.getLen();
    if (len < 2L * MAGIC.length + 4) { // magic, footer length, magic
      return false;
    }
    byte[] head = new byte[MAGIC.length];
    byte[] tail = new byte[MAGIC.length];
    try (FSDataInputStream in = fs.open(f.getPath())) {
      in.readFully(0, head);
      in.readFully(len - MAGIC.length, tail);
    }
    return Arrays.equals(head, MAGIC) && Arrays.equals(tail, MAGIC);
  }
}

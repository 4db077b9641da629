package io.convt.job.infer;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;

/**
 * Opens a task's output part files (the Parquet and Arrow data files): on the local file system through java.nio
 * (Arrow through a {@link FileChannel}, Parquet through Parquet's own {@link LocalOutputFile}), on any other file
 * system (HDFS, S3A, ...) through Hadoop's {@link FileSystem}. An existing file of the same name (a failed
 * attempt's) is replaced.
 *
 * <p>Why: Hadoop's local file system is a checksummed one ({@link LocalFileSystem}): every write goes through its
 * {@code FSOutputSummer}, which cuts the bytes into 512-byte chunks, computes a CRC-32 per chunk into a hidden
 * {@code .NAME.crc} side file, and writes in small pieces. For large output records that costs more CPU than
 * Parquet's own encoding (measured by scripts/bench-writers), on cores the kernel needs. The side files are only ever checked by Hadoop's own local reader; Parquet pages keep
 * their own CRC-32. {@code output.crc-files=true} writes through Hadoop (with side files) as Spark's writers do.
 */
final class PartFiles {
  private PartFiles() {}

  /**
   * The local file behind {@code path} when it is on the local file system and side files are not asked for;
   * {@code null} when the file must go through Hadoop.
   */
  static java.nio.file.Path localFile(Path path, Configuration conf, boolean crcFiles) throws IOException {
    if (crcFiles) {
      return null;
    }
    FileSystem fs = path.getFileSystem(conf);
    if (fs instanceof LocalFileSystem local) {
      return local.pathToFile(path).toPath();
    }
    if (fs instanceof RawLocalFileSystem raw) {
      return raw.pathToFile(path).toPath();
    }
    return null;
  }

  /** A channel writing {@code path} from its start (its parent directories are created). */
  static WritableByteChannel channel(Path path, Configuration conf, boolean crcFiles) throws IOException {
    java.nio.file.Path local = localFile(path, conf, crcFiles);
    if (local == null) {
      return Channels.newChannel(path.getFileSystem(conf).create(path, true));
    }
    Files.createDirectories(local.toAbsolutePath().getParent());
    return FileChannel.open(local, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
  }

  /**
   * Parquet's view of {@code path}: on the local file system Parquet's own {@link LocalOutputFile} (java.nio; its
   * parent directories are created here), elsewhere Hadoop's.
   */
  static OutputFile parquetFile(Path path, Configuration conf, boolean crcFiles) throws IOException {
    java.nio.file.Path local = localFile(path, conf, crcFiles);
    if (local == null) {
      return HadoopOutputFile.fromPath(path, conf);
    }
    Files.createDirectories(local.toAbsolutePath().getParent());
    return new LocalOutputFile(local);
  }
}

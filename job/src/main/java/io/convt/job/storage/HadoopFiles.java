package io.convt.job.storage;

import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyHeader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Reads the job's random-access inputs ({@code .npy} stacks, Arrow IPC files) from any Hadoop file system: local
 * paths straight through java.nio, everything else (HDFS, S3A, ...) through Hadoop's positioned reads.
 *
 * <p>The engine's {@code .npy} reader (a strict, validating parser) works on local files. For a remote stack this
 * class copies only the bytes a caller needs into a local <em>sparse</em> file of the remote file's length: the
 * header, and the slice of records being read at its own offset; the holes cost no disk. The engine then parses and
 * checks that file exactly as it would the original, and messages name the original path.
 */
public final class HadoopFiles {
  /** NumPy's own header-size limit (10 000 bytes) plus the 12-byte preamble of a version 2/3 file. */
  private static final int HEADER_PREFIX_BYTES = 10_012;
  private static final int COPY_CHUNK = 1 << 20;

  private HadoopFiles() {}

  /** The local file behind {@code path} when it is on the local file system, else null. */
  public static java.nio.file.Path localFile(String path, Configuration conf) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    if (fs instanceof LocalFileSystem local) {
      return local.pathToFile(p).toPath();
    }
    if (fs instanceof RawLocalFileSystem raw) {
      return raw.pathToFile(p).toPath();
    }
    return null;
  }

  /** The validated header of the {@code .npy} file {@code path}. */
  public static NpyHeader npyHeader(String path, Configuration conf) {
    try {
      java.nio.file.Path local = localFile(path, conf);
      if (local != null) {
        return Npy.readHeader(local);
      }
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      long size = fs.getFileStatus(p).getLen();
      java.nio.file.Path sparse = Files.createTempFile("convt-npy-", ".npy");
      try (FSDataInputStream in = fs.open(p); RandomAccessFile out = new RandomAccessFile(sparse.toFile(), "rw")) {
        copy(in, 0, (int) Math.min(size, HEADER_PREFIX_BYTES), out);
        out.setLength(size);
        out.close();
        return renamed(() -> Npy.readHeader(sparse), sparse, path);
      } finally {
        Files.deleteIfExists(sparse);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** Records {@code [first, first+count)} of the {@code .npy} stack {@code path}, one array per record. */
  public static float[][] npyRecords(String path, Configuration conf, NpyHeader h, long first, int count) {
    try {
      java.nio.file.Path local = localFile(path, conf);
      if (local != null) {
        return Npy.readRecordArrays(local, h, first, count);
      }
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      long size = fs.getFileStatus(p).getLen();
      long recordBytes = h.recordElements() * h.itemSize();
      long from = h.dataOffset() + first * recordBytes;
      long bytes = Math.min(count * recordBytes, Math.max(0, size - from));
      java.nio.file.Path sparse = Files.createTempFile("convt-npy-", ".npy");
      try (FSDataInputStream in = fs.open(p); RandomAccessFile out = new RandomAccessFile(sparse.toFile(), "rw")) {
        copy(in, 0, (int) Math.min(size, h.dataOffset()), out);
        copy(in, from, bytes, out);
        out.setLength(size);
        out.close();
        return renamed(() -> Npy.readRecordArrays(sparse, h, first, count), sparse, path);
      } finally {
        Files.deleteIfExists(sparse);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** A read-only seekable channel over {@code path} (a file channel for local files). */
  public static SeekableByteChannel open(String path, Configuration conf) throws IOException {
    java.nio.file.Path local = localFile(path, conf);
    if (local != null) {
      return FileChannel.open(local, StandardOpenOption.READ);
    }
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    return new HadoopReadChannel(fs.open(p), fs.getFileStatus(p).getLen());
  }

  private static void copy(FSDataInputStream in, long position, long bytes, RandomAccessFile out) throws IOException {
    byte[] buf = new byte[(int) Math.min(COPY_CHUNK, Math.max(bytes, 1))];
    out.seek(position);
    for (long done = 0; done < bytes; ) {
      int n = (int) Math.min(buf.length, bytes - done);
      in.readFully(position + done, buf, 0, n);
      out.write(buf, 0, n);
      done += n;
    }
  }

  /** Runs a read of the local copy; its errors name the original path, not the temporary file. */
  private static <T> T renamed(java.util.function.Supplier<T> read, java.nio.file.Path sparse, String path) {
    try {
      return read.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(String.valueOf(e.getMessage()).replace(sparse.toString(), path), e);
    } catch (UncheckedIOException e) {
      throw new UncheckedIOException(String.valueOf(e.getMessage()).replace(sparse.toString(), path), e.getCause());
    }
  }
}

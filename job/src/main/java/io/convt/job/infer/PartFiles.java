package io.convt.job.infer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * Opens a task's output part files (the Parquet and Arrow data files): on the local file system straight through a
 * {@link FileChannel}, on any other file system (HDFS, S3A, ...) through Hadoop's {@link FileSystem}. An existing
 * file of the same name (a failed attempt's) is replaced.
 *
 * <p>Why: Hadoop's local file system is a checksummed one ({@link LocalFileSystem}): every write goes through its
 * {@code FSOutputSummer}, which cuts the bytes into 512-byte chunks, computes a CRC-32 per chunk into a hidden
 * {@code .NAME.crc} side file, and writes in small pieces. For 2 MB output records that cost 5.6 ms of CPU per record
 * against 2.1 ms through a file channel (a writer-only benchmark, BENCHMARKS.md), more than Parquet's own encoding,
 * on cores the kernel needs. The side files are only ever checked by Hadoop's own local reader; Parquet pages keep
 * their own CRC-32. {@code output.crc-files=true} writes through Hadoop (with side files) as Spark's writers do.
 */
final class PartFiles {
  /** Bytes gathered before a write to the channel: Parquet hands over pages in 8 KB pieces. */
  private static final int BUFFER_BYTES = 1 << 20;

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
    return open(local, StandardOpenOption.TRUNCATE_EXISTING);
  }

  /** Parquet's view of {@code path} (its parent directories are created when the file is). */
  static OutputFile parquetFile(Path path, Configuration conf, boolean crcFiles) throws IOException {
    java.nio.file.Path local = localFile(path, conf, crcFiles);
    return local == null ? HadoopOutputFile.fromPath(path, conf) : new LocalPartFile(local);
  }

  private static FileChannel open(java.nio.file.Path file, OpenOption mode) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode);
  }

  /** A local Parquet output file written through a file channel ({@link ChannelStream}). */
  static final class LocalPartFile implements OutputFile {
    private final java.nio.file.Path file;

    LocalPartFile(java.nio.file.Path file) {
      this.file = file;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
      Files.createDirectories(file.toAbsolutePath().getParent());
      return new ChannelStream(FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
      return new ChannelStream(open(file, StandardOpenOption.TRUNCATE_EXISTING));
    }

    @Override
    public boolean supportsBlockSize() {
      return false;
    }

    @Override
    public long defaultBlockSize() {
      return 0;
    }

    @Override
    public String getPath() {
      return file.toString();
    }
  }

  /**
   * Parquet's output stream over a file channel: small writes are gathered in a direct buffer of
   * {@link #BUFFER_BYTES} (Parquet writes pages through {@code Channels.newChannel}, 8 KB at a time), large ones go
   * to the channel as they are.
   */
  static final class ChannelStream extends PositionOutputStream {
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private long flushed;
    private boolean closed;

    ChannelStream(FileChannel channel) {
      this.channel = channel;
    }

    @Override
    public long getPos() {
      return flushed + buffer.position();
    }

    @Override
    public void write(int b) throws IOException {
      checkOpen();
      if (!buffer.hasRemaining()) {
        drain();
      }
      buffer.put((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      checkOpen();
      if (len > buffer.remaining()) {
        drain();
      }
      if (len >= buffer.capacity()) {
        writeFully(ByteBuffer.wrap(b, off, len));
      } else {
        buffer.put(b, off, len);
      }
    }

    @Override
    public void flush() throws IOException {
      checkOpen();
      drain();
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try (FileChannel c = channel) {
        drain();
      }
    }

    private void drain() throws IOException {
      buffer.flip();
      writeFully(buffer);
      buffer.clear();
    }

    private void writeFully(ByteBuffer src) throws IOException {
      while (src.hasRemaining()) {
        flushed += channel.write(src);
      }
    }

    private void checkOpen() throws IOException {
      if (closed) {
        throw new IOException("Stream closed");
      }
    }
  }
}

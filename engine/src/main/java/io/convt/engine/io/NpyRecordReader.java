package io.convt.engine.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a float {@code .npy} array a few entries of its first axis at a time (records of an {@code [N,C,H,W]}
 * stack), so that memory is bounded by the batch, not by N. The file is opened once and its header parsed and
 * checked once, with the same strict rules and messages as {@link Npy#readFloat(Path)}: bad magic, unsupported
 * version, dtype or order, object arrays, a shape the file is too short for (truncated) or bytes after the data
 * all fail in {@link #open} before any record is read; uint8 is refused as not a float type.
 *
 * <p>Not thread-safe. The caller must close the reader.
 */
public final class NpyRecordReader implements AutoCloseable {
  private final FileChannel channel;
  private final String name;
  private final NpyHeader header;
  private long next;

  private NpyRecordReader(FileChannel channel, String name, NpyHeader header) {
    this.channel = channel;
    this.name = name;
    this.header = header;
  }

  /**
   * Opens {@code file} and validates its header; {@code rank} is the number of dimensions it must have.
   *
   * @throws TensorFormatException naming the file when it is missing, malformed, truncated, not a float array or
   *     not of rank {@code rank}
   */
  public static NpyRecordReader open(Path file, int rank) {
    String name = file.toString();
    FileChannel ch = null;
    try {
      ch = FileChannel.open(file, StandardOpenOption.READ);
      NpyHeader h = Npy.readWholeFileHeader(ch, name);
      if (h.kind() != 'f') {
        throw Npy.notFloat(name, h.dtype());
      }
      if (h.shape().length != rank) {
        throw new TensorFormatException(name, "expected a " + rank + "-d array, got shape "
            + java.util.Arrays.toString(h.shape()));
      }
      NpyRecordReader r = new NpyRecordReader(ch, name, h);
      ch = null;
      return r;
    } catch (IOException e) {
      throw Npy.unreadable(name, e);
    } finally {
      closeQuietly(ch);
    }
  }

  /** The file as named when opened, for messages. */
  public String source() {
    return name;
  }

  /** The validated header (dtype, byte order, shape, data offset). */
  public NpyHeader header() {
    return header;
  }

  /** Entries of the first axis not read yet. */
  public long remaining() {
    return header.shape()[0] - next;
  }

  /**
   * Reads the next {@code min(maxCount, remaining())} entries, decoded to float32 exactly as
   * {@link Npy#readFloat(Path)} decodes them; the result has shape {@code [count, ...]} ({@code count} may be 0 at
   * the end).
   *
   * @throws TensorFormatException naming the file if it was truncated while being read
   */
  public NpyArray next(int maxCount) {
    if (maxCount <= 0) {
      throw new IllegalArgumentException("Cannot read records of " + name + ": count must be > 0 (got " + maxCount + ")");
    }
    int count = (int) Math.min(maxCount, remaining());
    int[] shape = header.shape().clone();
    shape[0] = count;
    try {
      NpyArray a = Npy.readElements(channel, header, name, next * header.recordElements(),
          count * header.recordElements(), shape);
      next += count;
      return a;
    } catch (IOException e) {
      throw Npy.unreadable(name, e);
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw Npy.unreadable(name, e);
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        // Only reached while another exception is on its way out; that one says what went wrong.
      }
    }
  }
}

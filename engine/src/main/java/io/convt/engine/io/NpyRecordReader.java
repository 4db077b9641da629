package io.convt.engine.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Reads a float {@code .npy} array a few entries of its first axis at a time (records of an {@code [N,C,H,W]}
 * stack), so that memory is bounded by the batch, not by N. The file is opened once and its header parsed and
 * checked once, with the same strict rules and messages as {@link Npy#readFloat(Path)}: bad magic, unsupported
 * version, dtype or order, object arrays, a shape the file is too short for (truncated) or bytes after the data
 * all fail in {@link #open} before any record is read. A uint8 array (8-bit pixel data) is decoded to floats by a
 * {@link PixelScaling} with a maximum of 255, as 8-bit images are.
 *
 * <p>Not thread-safe. The caller must close the reader.
 */
public final class NpyRecordReader implements AutoCloseable {
  private final FileChannel channel;
  private final String name;
  private final NpyHeader header;
  private long next;

  private final PixelScaling uint8Scaling;

  private NpyRecordReader(FileChannel channel, String name, NpyHeader header, PixelScaling uint8Scaling) {
    this.channel = channel;
    this.name = name;
    this.header = header;
    this.uint8Scaling = uint8Scaling;
  }

  /** As {@link #open(Path, int, PixelScaling)} with uint8 values scaled to [0, 1] ({@link PixelScaling#UNIT}). */
  public static NpyRecordReader open(Path file, int rank) {
    return open(file, rank, PixelScaling.UNIT);
  }

  /**
   * Opens {@code file} and validates its header; {@code rank} is the number of dimensions it must have.
   *
   * @param uint8Scaling how uint8 values become floats (float arrays are read as they are)
   * @throws TensorFormatException naming the file when it is missing, malformed, truncated, followed by extra
   *     bytes or not of rank {@code rank}
   */
  public static NpyRecordReader open(Path file, int rank, PixelScaling uint8Scaling) {
    String name = file.toString();
    FileChannel ch = null;
    try {
      ch = InputFiles.open(file);
      NpyHeader h = Npy.readWholeFileHeader(ch, name);
      if (h.shape().length != rank) {
        throw new TensorFormatException(name, "expected a " + rank + "-d array, got shape "
            + java.util.Arrays.toString(h.shape()));
      }
      NpyRecordReader r = new NpyRecordReader(ch, name, h, java.util.Objects.requireNonNull(uint8Scaling));
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
   * {@link Npy#readFloat(Path, PixelScaling)} decodes them; the result has shape {@code [count, ...]} ({@code count}
   * may be 0 at the end).
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
      return a.bytes() == null ? a : Npy.scaled(a, uint8Scaling);
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

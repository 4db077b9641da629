package io.convt.engine.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes a float32 little-endian C-order {@code .npy} array in pieces, for arrays too large to hold in memory: the
 * header (with the final shape, known up front) goes first, then {@link #append} adds values in order, and
 * {@link #commit()} renames the finished file into place ({@link AtomicFiles}). Until then nothing exists under the
 * target name; closing without a commit (e.g. after a failure) deletes the partial file. The bytes are exactly those
 * of {@link Npy#writeFloat32}.
 *
 * <p>Not thread-safe. The caller must close the writer.
 */
public final class NpyFloat32Writer implements AutoCloseable {
  /** Floats converted per write call: 1 MB, whatever the size of an append. */
  private static final int CHUNK_FLOATS = 1 << 18;

  private final Path file;
  private final int[] shape;
  private final long total;
  private final AtomicFiles.Pending out;
  private final ByteBuffer chunk;
  /** A float view of all of {@link #chunk} (taken once: a view covers only the bytes remaining when taken). */
  private final FloatBuffer chunkFloats;
  private long written;

  private NpyFloat32Writer(Path file, int[] shape, long total, AtomicFiles.Pending out) {
    this.file = file;
    this.shape = shape;
    this.total = total;
    this.out = out;
    this.chunk = ByteBuffer.allocate(4 * (int) Math.min(CHUNK_FLOATS, Math.max(1, total))).order(ByteOrder.LITTLE_ENDIAN);
    this.chunkFloats = chunk.asFloatBuffer();
  }

  /**
   * Starts {@code file} with a header for {@code shape}.
   *
   * @throws IllegalArgumentException if a dimension is negative
   */
  public static NpyFloat32Writer open(Path file, int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("Cannot write " + file + ": negative dimension in shape "
            + Arrays.toString(shape));
      }
      n *= d;
    }
    AtomicFiles.Pending p = AtomicFiles.open(file);
    try {
      p.write(ByteBuffer.wrap(Npy.header("<f4", shape)));
      return new NpyFloat32Writer(file, shape.clone(), n, p);
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
  }

  /**
   * Appends {@code values[offset, offset+length)} after the values written so far.
   *
   * @throws IllegalArgumentException if that would exceed the shape's element count
   */
  public void append(float[] values, int offset, int length) {
    if (length > total - written) {
      throw new IllegalArgumentException("Cannot write " + file + ": shape " + Arrays.toString(shape) + " holds "
          + total + " values but " + (written + length) + " were given");
    }
    for (int done = 0; done < length; ) {
      int n = Math.min(chunkFloats.capacity(), length - done);
      chunkFloats.clear();
      chunkFloats.put(values, offset + done, n);
      chunk.clear().limit(4 * n);
      out.write(chunk);
      done += n;
    }
    written += length;
  }

  /** Values still to append before {@link #commit()}. */
  public long remaining() {
    return total - written;
  }

  /**
   * Renames the finished file into place, replacing any existing file.
   *
   * @throws IllegalArgumentException if fewer values than the shape holds were appended (nothing is written)
   */
  public void commit() {
    if (written != total) {
      throw new IllegalArgumentException("Cannot write " + file + ": shape " + Arrays.toString(shape) + " holds "
          + total + " values but " + written + " were given");
    }
    out.commit();
  }

  /** Deletes the partial file unless {@link #commit()} succeeded. */
  @Override
  public void close() {
    out.close();
  }
}

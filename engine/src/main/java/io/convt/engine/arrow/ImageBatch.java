package io.convt.engine.arrow;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Objects;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * A batch of images of one shape held in one Arrow buffer ({@code MPSImageBatch}, and {@code MPSImage} with
 * {@code numberOfImages} &gt; 1): NHWC float32 with logical channels (no padding lanes), stored as a
 * {@link FixedSizeListVector} of {@code H·W·C} floats per image, so the float child is one contiguous NHWC array
 * and the vector can be the storage of an {@code arrow.fixed_shape_tensor} column.
 *
 * <p>Ownership: a batch from {@link #allocate} owns its vector and frees it on {@link #close()}; a batch from
 * {@link #wrap} borrows the caller's vector and {@link #close()} leaves it alone.
 */
public final class ImageBatch implements AutoCloseable {
  /** Floats in one transpose tile of {@link #readCHW} / {@link #writeCHW}: 16 KiB, half of L1. */
  private static final int TILE_FLOATS = 4096;
  private final FixedSizeListVector vector;
  private final Float4Vector data;
  private final int count;
  private final int height;
  private final int width;
  private final int channels;
  private final boolean owned;

  private ImageBatch(FixedSizeListVector vector, int count, int height, int width, int channels, boolean owned) {
    this.vector = vector;
    this.data = (Float4Vector) vector.getDataVector();
    this.count = count;
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.owned = owned;
  }

  /**
   * Allocates a zero-filled batch from {@code allocator}. The caller must close it.
   *
   * @throws IllegalArgumentException when a dimension is not positive or the batch exceeds 2^31−1 floats
   */
  public static ImageBatch allocate(BufferAllocator allocator, int count, int height, int width, int channels) {
    Objects.requireNonNull(allocator, "allocator");
    checkShape(count, height, width, channels);
    checkHeap(count, height, width, channels);
    int per = height * width * channels;
    FixedSizeListVector v = FixedSizeListVector.empty("image", per, allocator);
    try {
      v.addOrGetVector(FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)));
      v.setInitialCapacity(count);
      v.allocateNew();
      Float4Vector child = (Float4Vector) v.getDataVector();
      int total = count * per;
      if (child.getValueCapacity() < total) {
        child.setInitialCapacity(total);
        child.allocateNew();
      }
      child.zeroVector();
      // Mark every float and every image valid in bulk: these vectors never hold nulls.
      child.getValidityBuffer().setOne(0, (total + 7) / 8);
      v.getValidityBuffer().setOne(0, (count + 7) / 8);
      child.setValueCount(total);
      v.setValueCount(count);
      return new ImageBatch(v, count, height, width, channels, true);
    } catch (RuntimeException e) {
      v.close();
      throw e;
    }
  }

  /**
   * Views an existing vector (borrowed: {@link #close()} does not free it) as {@code count = valueCount}
   * images of {@code height × width × channels}.
   *
   * @throws IllegalArgumentException when the list size is not {@code H·W·C} or the child is not float32
   */
  public static ImageBatch wrap(FixedSizeListVector vector, int height, int width, int channels) {
    Objects.requireNonNull(vector, "vector");
    checkShape(Math.max(1, vector.getValueCount()), height, width, channels);
    if (vector.getListSize() != height * width * channels) {
      throw new IllegalArgumentException(
          "Cannot wrap vector as images: list size " + vector.getListSize() + " is not " + height + "x" + width
              + "x" + channels);
    }
    if (!(vector.getDataVector() instanceof Float4Vector)) {
      throw new IllegalArgumentException(
          "Cannot wrap vector as images: child is " + vector.getDataVector().getField().getType() + ", not float32");
    }
    return new ImageBatch(vector, vector.getValueCount(), height, width, channels, false);
  }

  /** {@code count·height·width·channels} exactly, or {@link Long#MAX_VALUE} when it exceeds a long. */
  private static long floatCount(int count, int height, int width, int channels) {
    try {
      return Math.multiplyExact(Math.multiplyExact(Math.multiplyExact((long) count, height), width), channels);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static void checkShape(int count, int height, int width, int channels) {
    if (count <= 0 || height <= 0 || width <= 0 || channels <= 0) {
      throw new IllegalArgumentException(
          "Cannot create images: every dimension must be > 0 (N=" + count + ", H=" + height + ", W=" + width
              + ", C=" + channels + ")");
    }
    long floats = floatCount(count, height, width, channels);
    if (floats > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "Cannot create images: " + count + "x" + height + "x" + width + "x" + channels
              + " exceeds 2^31-1 floats (output size too large for one batch); " + advice(count));
    }
  }

  /** Allocation is refused before it starts when the batch could not even be copied into the heap. */
  private static void checkHeap(int count, int height, int width, int channels) {
    long bytes = 4L * floatCount(count, height, width, channels);
    long heap = Runtime.getRuntime().maxMemory();
    if (bytes > heap) {
      throw new IllegalArgumentException("Cannot create images: " + count + "x" + height + "x" + width + "x" + channels
          + " is " + bytes + " bytes, more than the JVM heap can hold (" + heap + " bytes, -Xmx)"
          + " (output size too large for one batch); " + advice(count));
    }
  }

  /** What to do about a batch too large: fewer images, unless one image alone is already too large. */
  private static String advice(int count) {
    return count > 1 ? "use smaller batches or a larger heap"
        : "one image alone is too large: check the output size (stride, dilation, padding, output size) or raise "
            + "the heap";
  }

  /** Number of images. */
  public int count() { return count; }
  public int height() { return height; }
  public int width() { return width; }
  /** Logical feature channels (no padding lanes). */
  public int channels() { return channels; }
  /** Floats per image, {@code H·W·C}. */
  public int imageSize() { return height * width * channels; }
  /** The backing Arrow vector (borrowed: do not close it while this batch is in use). */
  public FixedSizeListVector vector() { return vector; }

  /** A short shape string "NxHxWxC". */
  public String shape() {
    return count + "x" + height + "x" + width + "x" + channels;
  }

  private int index(int n, int y, int x, int c) {
    if (n < 0 || n >= count || y < 0 || y >= height || x < 0 || x >= width || c < 0 || c >= channels) {
      throw new IndexOutOfBoundsException(
          "Cannot address image pixel (" + n + "," + y + "," + x + "," + c + ") in " + shape());
    }
    return ((n * height + y) * width + x) * channels + c;
  }

  /** One value. */
  public float get(int n, int y, int x, int c) {
    return data.get(index(n, y, x, c));
  }

  /** Sets one value. */
  public void set(int n, int y, int x, int c, float value) {
    data.set(index(n, y, x, c), value);
  }

  private FloatBuffer floats(long firstFloat, int length) {
    ArrowBuf buf = data.getDataBuffer();
    return buf.nioBuffer(firstFloat * 4L, length * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
  }

  /** Copies all images, NHWC, into {@code dst} starting at {@code offset}. */
  public void readAll(float[] dst, int offset) {
    floats(0, count * imageSize()).get(dst, offset, count * imageSize());
  }

  /** Overwrites all images from NHWC {@code src} starting at {@code offset}. */
  public void writeAll(float[] src, int offset) {
    floats(0, count * imageSize()).put(src, offset, count * imageSize());
  }

  /** Copies image {@code n} as {@code [H][W][C]} ({@code MPSDataLayoutHeightxWidthxFeatureChannels}). */
  public void readHWC(int n, float[] dst) {
    checkImage(n, dst.length);
    floats((long) n * imageSize(), imageSize()).get(dst, 0, imageSize());
  }

  /** Overwrites image {@code n} from {@code [H][W][C]}. */
  public void writeHWC(int n, float[] src) {
    checkImage(n, src.length);
    floats((long) n * imageSize(), imageSize()).put(src, 0, imageSize());
  }

  /**
   * Copies image {@code n} as {@code [C][H][W]} ({@code MPSDataLayoutFeatureChannelsxHeightxWidth}).
   *
   * <p>The transpose goes tile by tile: a run of whole pixels (HWC, contiguous) is copied out of the Arrow buffer
   * into a small array that stays in L1, then each channel's run is written contiguously. A straight per-pixel loop
   * writes C cache lines a plane apart per pixel and can cost as much as the kernel itself on large outputs.
   */
  public void readCHW(int n, float[] dst) {
    checkImage(n, dst.length);
    int plane = height * width;
    int tilePixels = tilePixels(plane);
    float[] tile = new float[tilePixels * channels];
    FloatBuffer src = floats((long) n * imageSize(), imageSize());
    for (int p0 = 0; p0 < plane; p0 += tilePixels) {
      int pixels = Math.min(tilePixels, plane - p0);
      src.get(p0 * channels, tile, 0, pixels * channels);
      for (int c = 0; c < channels; c++) {
        int d = c * plane + p0;
        for (int p = 0, t = c; p < pixels; p++, t += channels) {
          dst[d + p] = tile[t];
        }
      }
    }
  }

  /**
   * Copies image {@code n} as {@code [C][H][W]} into {@code dst} at its position, and advances the position by
   * {@link #imageSize()}: for writers that copy an image straight into their own buffer (a Parquet page, an Arrow
   * IPC batch) without a {@code float[]} in between. Same tiles as {@link #readCHW(int, float[])}; each channel's
   * run of a tile is gathered in a small array and put into {@code dst} in bulk.
   *
   * @throws java.nio.BufferOverflowException when {@code dst} has fewer than {@link #imageSize()} floats remaining
   */
  public void readCHW(int n, FloatBuffer dst) {
    checkImage(n, imageSize());
    if (dst.remaining() < imageSize()) {
      throw new java.nio.BufferOverflowException();
    }
    int base = dst.position();
    int plane = height * width;
    int tilePixels = tilePixels(plane);
    float[] tile = new float[tilePixels * channels];
    float[] run = new float[tilePixels];
    FloatBuffer src = floats((long) n * imageSize(), imageSize());
    for (int p0 = 0; p0 < plane; p0 += tilePixels) {
      int pixels = Math.min(tilePixels, plane - p0);
      src.get(p0 * channels, tile, 0, pixels * channels);
      for (int c = 0; c < channels; c++) {
        for (int p = 0, t = c; p < pixels; p++, t += channels) {
          run[p] = tile[t];
        }
        dst.put(base + c * plane + p0, run, 0, pixels);
      }
    }
    dst.position(base + imageSize());
  }

  /** Overwrites image {@code n} from {@code [C][H][W]} (tile by tile, as {@link #readCHW}). */
  public void writeCHW(int n, float[] src) {
    checkImage(n, src.length);
    int plane = height * width;
    int tilePixels = tilePixels(plane);
    float[] tile = new float[tilePixels * channels];
    FloatBuffer dst = floats((long) n * imageSize(), imageSize());
    for (int p0 = 0; p0 < plane; p0 += tilePixels) {
      int pixels = Math.min(tilePixels, plane - p0);
      for (int c = 0; c < channels; c++) {
        int s = c * plane + p0;
        for (int p = 0, t = c; p < pixels; p++, t += channels) {
          tile[t] = src[s + p];
        }
      }
      dst.put(p0 * channels, tile, 0, pixels * channels);
    }
  }

  /** Pixels per transpose tile: about 16 KiB of floats, at least 16 pixels (a cache line of each channel run). */
  private int tilePixels(int plane) {
    return Math.min(plane, Math.max(16, TILE_FLOATS / channels));
  }

  private void checkImage(int n, int length) {
    if (n < 0 || n >= count) {
      throw new IndexOutOfBoundsException("Cannot access image " + n + " of " + shape());
    }
    if (length < imageSize()) {
      throw new IllegalArgumentException(
          "Cannot copy image " + n + " of " + shape() + ": array holds " + length + " floats, need " + imageSize());
    }
  }

  /** Frees the vector if this batch owns it. */
  @Override
  public void close() {
    if (owned) {
      vector.close();
    }
  }

  @Override
  public String toString() {
    return "ImageBatch[" + shape() + "]";
  }
}

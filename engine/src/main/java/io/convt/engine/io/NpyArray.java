package io.convt.engine.io;

import java.util.Arrays;

/**
 * One array read from a NumPy {@code .npy} file: its dtype descriptor (e.g. {@code <f4}), C-order shape and
 * values. Floating dtypes ({@code f2}, {@code f4}, {@code f8}) are decoded to {@link #floats()}; {@code u1} is kept
 * as raw bytes in {@link #bytes()} (for quantised weights) and also offered as floats.
 *
 * @param dtype NumPy dtype string as stored, e.g. {@code <f4}
 * @param shape C-order shape (empty for a scalar)
 * @param floats values as float32 (float64 narrowed, float16 widened, uint8 widened)
 * @param bytes raw values for {@code u1}/{@code |u1}; {@code null} for floating dtypes
 */
public record NpyArray(String dtype, int[] shape, float[] floats, byte[] bytes) {

  /** Number of elements: the product of the shape. */
  public int size() {
    return floats.length;
  }

  /** Number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** The shape as {@code [a, b, c]}, for messages. */
  public String shapeString() {
    return Arrays.toString(shape);
  }

  /** Throws naming {@code source} unless the array has {@code rank} dimensions. */
  public NpyArray requireRank(String source, int rank) {
    if (shape.length != rank) {
      throw new TensorFormatException(source, "expected a " + rank + "-d array, got shape " + shapeString());
    }
    return this;
  }
}

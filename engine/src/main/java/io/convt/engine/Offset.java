package io.convt.engine;

/**
 * {@code MPSOffset}: a signed position in source pixels (x, y) and a source image index (z, for batches held in
 * one image). The transposed convolution scales x and y by the stride (spec §1.1).
 */
public record Offset(int x, int y, int z) {
  /** The origin. */
  public static final Offset ZERO = new Offset(0, 0, 0);

  /** An offset with z = 0. */
  public static Offset of(int x, int y) {
    return new Offset(x, y, 0);
  }
}

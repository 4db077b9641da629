package io.convt.engine;

/**
 * {@code clipRect}: the destination region a kernel writes ({@code MTLRegion}: origin x, y, z = first destination
 * image; size width, height, depth = number of images). Intersected with the destination's bounds at encode;
 * pixels outside it are left untouched. {@link #ALL} (the default) means the whole destination.
 */
public record ClipRect(int x, int y, int z, int width, int height, int depth) {
  /** The whole destination (MPS's default clipRect, {@code MPSRectNoClip}). */
  public static final ClipRect ALL = new ClipRect(0, 0, 0, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);

  public ClipRect {
    if (width < 0 || height < 0 || depth < 0) {
      throw new IllegalArgumentException(
          "Cannot create clipRect: sizes must be >= 0 (width=" + width + ", height=" + height + ", depth=" + depth + ")");
    }
  }

  /** A 2-D clip over one image (z = 0, depth = all). */
  public static ClipRect of(int x, int y, int width, int height) {
    return new ClipRect(x, y, 0, width, height, Integer.MAX_VALUE);
  }

  /** Start of {@code [origin, origin+size)} ∩ {@code [0, bound)}, saturating. */
  static int lo(int origin, int bound) {
    return Math.max(0, Math.min(origin, bound));
  }

  /** End of {@code [origin, origin+size)} ∩ {@code [0, bound)}, saturating. */
  static int hi(int origin, int size, int bound) {
    long end = (long) origin + size;
    return (int) Math.max(lo(origin, bound), Math.min(end, bound));
  }
}

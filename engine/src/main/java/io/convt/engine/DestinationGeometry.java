package io.convt.engine;

/**
 * What a padding policy decides for one source size: the destination size and the offsets the encode sets
 * ({@code offset} in source pixels, {@code kernelOffset} in zero-inserted pixels). Only
 * {@code T = offset·stride + kernelOffset} matters to the result (spec §1.1).
 */
public record DestinationGeometry(
    int width, int height, int offsetX, int offsetY, int kernelOffsetX, int kernelOffsetY) {
  public DestinationGeometry {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException(
          "Cannot size destination: the padding gives an empty image (" + width + "x" + height + ")");
    }
  }

  /**
   * Refuses an output size that is not an int, naming the sizes, stride, dilation and padding that produced it.
   *
   * @throws IllegalArgumentException when {@code width} or {@code height} exceeds 2^31−1
   */
  static void requireRepresentable(long width, long height, int sourceWidth, int sourceHeight,
      ConvTransposeDescriptor d, String padding) {
    if (width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Cannot size destination: output size " + height + "x" + width
          + " (HxW) for source " + sourceHeight + "x" + sourceWidth + " exceeds 2^31-1 (stride="
          + d.strideInPixelsY() + "," + d.strideInPixelsX() + ", dilation=" + d.dilationRateY() + ","
          + d.dilationRateX() + ", padding " + padding + ")");
    }
  }

  /**
   * Refuses, before anything is allocated, an output batch that one array or the JVM heap cannot hold, naming the
   * stride, dilation and padding that produced its size.
   *
   * @throws IllegalArgumentException when {@code images·height·width·channels} exceeds 2^31−1 floats or its bytes
   *     exceed {@link Runtime#maxMemory()}
   */
  public void requireBatchFits(int images, int channels, ConvTransposeDescriptor d, String padding) {
    long floats;
    try {
      floats = Math.multiplyExact(Math.multiplyExact(Math.multiplyExact((long) images, height), width), channels);
    } catch (ArithmeticException e) {
      floats = Long.MAX_VALUE;
    }
    long heap = Runtime.getRuntime().maxMemory();
    String limit = floats > Integer.MAX_VALUE - 8 ? "2^31-1 floats (one array)"
        : 4L * floats > heap ? "the JVM heap (" + heap + " bytes, -Xmx)" : null;
    if (limit != null) {
      throw new IllegalArgumentException("Cannot encode: output batch " + images + "x" + height + "x" + width + "x"
          + channels + " (NxHxWxC) exceeds " + limit + "; output size comes from stride=" + d.strideInPixelsY() + ","
          + d.strideInPixelsX() + ", dilation=" + d.dilationRateY() + "," + d.dilationRateX() + ", padding "
          + padding + (images > 1 ? " (use smaller batches or images)" : " (one image alone is too large)"));
    }
  }

  /** Builds the geometry from total shifts {@code T}, split as MPS does: offset = floorDiv(T, s), kernelOffset = floorMod(T, s). */
  public static DestinationGeometry fromT(int width, int height, int tX, int tY, int strideX, int strideY) {
    return new DestinationGeometry(
        width, height, Math.floorDiv(tX, strideX), Math.floorDiv(tY, strideY),
        Math.floorMod(tX, strideX), Math.floorMod(tY, strideY));
  }
}

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

  /** Builds the geometry from total shifts {@code T}, split as MPS does: offset = floorDiv(T, s), kernelOffset = floorMod(T, s). */
  public static DestinationGeometry fromT(int width, int height, int tX, int tY, int strideX, int strideY) {
    return new DestinationGeometry(
        width, height, Math.floorDiv(tX, strideX), Math.floorDiv(tY, strideY),
        Math.floorMod(tX, strideX), Math.floorMod(tY, strideY));
  }
}

package io.convt.engine.io;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The parsed, validated header of a {@code .npy} file: where the data starts and how to decode it. Lets callers
 * read a slice along the first axis (one record of an {@code [N,C,H,W]} stack) without loading the whole file.
 *
 * @param dtype dtype string as stored
 * @param kind {@code 'f'} (IEEE float) or {@code 'u'} (unsigned integer)
 * @param itemSize bytes per element (2, 4, 8 for floats; 1 for uint8)
 * @param order byte order of the data
 * @param shape C-order shape
 * @param dataOffset byte offset of the first element
 * @param elementCount product of the shape
 */
public record NpyHeader(
    String dtype, char kind, int itemSize, ByteOrder order, int[] shape, long dataOffset, long elementCount) {

  /** Bytes of data the header promises. */
  public long dataBytes() {
    return elementCount * itemSize;
  }

  /** Elements per entry of the first axis (1 for a 1-d array; the whole array for a scalar). */
  public long recordElements() {
    long n = 1;
    for (int i = 1; i < shape.length; i++) {
      n *= shape[i];
    }
    return n;
  }

  @Override
  public String toString() {
    return "npy(" + dtype + ", shape " + Arrays.toString(shape) + ")";
  }
}

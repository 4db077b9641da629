package io.convt.engine.io;

/**
 * How much of the heap one tensor or image may take while it is loaded, so that a small hostile file declaring a
 * huge array (or a genuinely huge one) is refused with one line before anything is allocated, instead of ending the
 * JVM with an OutOfMemoryError. The limit is half of the JVM's maximum heap ({@link Runtime#maxMemory()}): the
 * other half is left for what the program holds besides (the layer, the output being computed).
 */
public final class HeapBudget {
  private HeapBudget() {}

  /** The bytes one load may take: half of the maximum heap. */
  public static long limitBytes() {
    return Runtime.getRuntime().maxMemory() / 2;
  }

  /**
   * Bytes for {@code count} elements of {@code bytesPerElement}, exactly; {@link Long#MAX_VALUE} when the product
   * does not fit a long (then no budget admits it).
   */
  public static long bytes(long count, long bytesPerElement) {
    try {
      return Math.multiplyExact(count, bytesPerElement);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** {@code a + b}, exact; {@link Long#MAX_VALUE} when the sum does not fit a long. */
  public static long sum(long a, long b) {
    try {
      return Math.addExact(a, b);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * Refuses a load of {@code bytes} held at once above {@link #limitBytes()} or above what one Java array can hold.
   *
   * @param name the file (or entry), for the message
   * @param what what is being loaded, e.g. "shape [4, 1000000000] of <f4"
   * @throws TensorFormatException naming the file, the size and the limit
   */
  public static void require(String name, String what, long bytes) {
    long limit = limitBytes();
    if (bytes > limit) {
      throw new TensorFormatException(name, what + " needs " + mb(bytes) + " of memory to load, more than the "
          + mb(limit) + " allowed (half of this JVM's maximum heap); raise the heap (-Xmx, CONVT_JAVA_OPTS) if "
          + "the file is genuine");
    }
  }

  /** {@code bytes} in whole megabytes (rounded up), for messages. */
  public static String mb(long bytes) {
    return bytes == Long.MAX_VALUE ? "more than 8 EB" : (bytes + (1 << 20) - 1 >> 20) + " MB";
  }
}

package io.convt.engine;

/**
 * Per-thread float arrays the encodes reuse (no allocation per batch once warm). Bounded: an array above
 * {@link #MAX_KEPT_FLOATS} is handed out fresh and not kept, so one huge batch does not pin its size in every
 * thread for the life of the JVM.
 */
final class Scratch {
  /** 16 Mi floats (64 MiB): larger requests get a fresh, unkept array. */
  static final int MAX_KEPT_FLOATS = 16 << 20;

  /** What a slot holds: a forward's source and destination, a gradient's incoming and outgoing gradient. */
  enum Slot { SOURCE, DESTINATION, GRADIENT }

  private static final ThreadLocal<float[][]> ARRAYS =
      ThreadLocal.withInitial(() -> new float[Slot.values().length][0]);

  private Scratch() {}

  /** An array of at least {@code n} floats for {@code slot}; contents are unspecified. */
  static float[] get(Slot slot, int n) {
    if (n > MAX_KEPT_FLOATS) {
      return new float[n];
    }
    float[][] a = ARRAYS.get();
    if (a[slot.ordinal()].length < n) {
      a[slot.ordinal()] = new float[n];
    }
    return a[slot.ordinal()];
  }

  static float[] source(int n) {
    return get(Slot.SOURCE, n);
  }

  static float[] destination(int n) {
    return get(Slot.DESTINATION, n);
  }
}

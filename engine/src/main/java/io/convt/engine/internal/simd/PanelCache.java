package io.convt.engine.internal.simd;

/**
 * The weight gradient's per-call panel arrays (packed source and gradient images of a round), kept by the calling
 * thread for its next call: allocating them per call zeroed fresh memory every call (arrays of hundreds of KiB are
 * allocated outside the thread-local buffers, with page faults), 4–9 % of the weight-gradient time of mid-size layers
 * at N = 1. Every slot is fully rewritten by the packing before it is read, so stale values never reach a sum.
 */
final class PanelCache {
  /**
   * Slots per thread (the packed sources and gradients of a round's images, two sets of them with two or more
   * workers); rounds of more images allocate the rest per call.
   */
  static final int SLOTS = 32;
  /** Floats per thread up to which arrays are kept (16 MiB); larger panels are allocated per call and let go. */
  private static final long KEEP_FLOATS = 1 << 22;
  private static final ThreadLocal<float[][]> MINE = ThreadLocal.withInitial(() -> new float[SLOTS][]);

  private PanelCache() {}

  /** An array of at least {@code floats} floats for slot {@code slot} of the calling thread (contents undefined). */
  static float[] get(int slot, int floats) {
    if (slot >= SLOTS) {
      return new float[floats];
    }
    float[][] mine = MINE.get();
    float[] a = mine[slot];
    if (a != null && a.length >= floats) {
      return a;
    }
    a = new float[floats];
    long kept = 0;
    for (int i = 0; i < SLOTS; i++) {
      kept += i == slot || mine[i] == null ? 0 : mine[i].length;
    }
    // keep it only if the thread's kept arrays stay small; else drop them all (a huge layer must not pin memory)
    if (kept + floats <= KEEP_FLOATS) {
      mine[slot] = a;
    } else {
      java.util.Arrays.fill(mine, null);
    }
    return a;
  }
}

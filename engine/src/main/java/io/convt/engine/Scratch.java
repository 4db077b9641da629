package io.convt.engine;

/**
 * Per-thread float arrays the encodes reuse, so a stream of images does not allocate per call (fresh arrays of
 * megabytes cost more than the copy into them: a batch of 32 dcgan_l4 images encodes about 1.7× slower with
 * per-call arrays). Bounded two ways, because executors run many task threads for their whole life and each keeps
 * its own arrays:
 * <ul>
 *   <li>a thread keeps at most {@link #KEPT_BYTES} over all slots ({@code convt.scratchBytes}, default 192 MiB: a
 *       training step on a batch of 32 images of 64×64×64); a larger request gets a fresh array, not kept;</li>
 *   <li>a kept array more than twice the largest request of the last {@link #WINDOW} calls of its slot is let go,
 *       so one large batch does not pin its size in the thread after the stream moves on to smaller ones.</li>
 * </ul>
 * What stays is the working set of the recent calls: never more than the largest recent image or batch needs,
 * whatever the number of distinct sizes.
 */
final class Scratch {
  /** Bytes of arrays one thread keeps between calls, over all slots. */
  static final long KEPT_BYTES = Math.max(0, Long.getLong("convt.scratchBytes", 192L << 20));

  /** Calls of a slot over which its largest request is tracked. */
  static final int WINDOW = 64;

  private static final float[] NONE = new float[0];

  /** What a slot holds: a forward's source and destination, a gradient's incoming and outgoing gradient. */
  enum Slot { SOURCE, DESTINATION, GRADIENT }

  /** One thread's kept arrays and, per slot, the largest request of the current window and its call count. */
  private static final class Kept {
    final float[][] arrays = new float[Slot.values().length][];
    final int[] windowMax = new int[Slot.values().length];
    final int[] windowCalls = new int[Slot.values().length];
    long bytes;

    Kept() {
      java.util.Arrays.fill(arrays, NONE);
    }
  }

  private static final ThreadLocal<Kept> KEPT = ThreadLocal.withInitial(Kept::new);

  private Scratch() {}

  /** An array of at least {@code n} floats for {@code slot}; contents are unspecified. */
  static float[] get(Slot slot, int n) {
    return get(slot, n, KEPT_BYTES);
  }

  /** {@link #get(Slot, int)} with the thread's bound {@code keptBytes} (tests use small ones). */
  static float[] get(Slot slot, int n, long keptBytes) {
    Kept k = KEPT.get();
    int s = slot.ordinal();
    k.windowMax[s] = Math.max(k.windowMax[s], n);
    if (++k.windowCalls[s] == WINDOW) {
      if (k.arrays[s].length > 2L * k.windowMax[s]) {
        release(k, s);
      }
      k.windowMax[s] = 0;
      k.windowCalls[s] = 0;
    }
    float[] a = k.arrays[s];
    if (a.length >= n) {
      return a;
    }
    release(k, s);
    float[] fresh = new float[n];
    if (k.bytes + 4L * n <= keptBytes) {
      k.arrays[s] = fresh;
      k.bytes += 4L * n;
    }
    return fresh;
  }

  private static void release(Kept k, int s) {
    k.bytes -= 4L * k.arrays[s].length;
    k.arrays[s] = NONE;
  }

  /** Bytes the calling thread keeps now (for tests). */
  static long keptBytes() {
    return KEPT.get().bytes;
  }

  static float[] source(int n) {
    return get(Slot.SOURCE, n);
  }

  static float[] destination(int n) {
    return get(Slot.DESTINATION, n);
  }
}

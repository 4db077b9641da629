package io.convt.engine.internal.simd;

/**
 * Arrays the weight gradient lends a thread from one call to the next, under one bound: a dense call's task
 * accumulators and packed round images (held for the whole call by the thread that runs the tasks: the calling
 * thread at one thread, where a task may run on a different worker in each round, or each worker for the tiles it
 * owns, {@link OwnedTileWeights}) and each worker's per-task scratch (pixel lists, packed panels, depthwise partial
 * sums).
 *
 * <p>Why: arrays allocated per call land on young-generation pages nobody has touched until the heap has been cycled
 * once, and every such page costs a fault and TLB misses; s1_k3 N = 1 ran at a third of its speed (57 against 170
 * GFLOP/s with {@code -XX:+AlwaysPreTouch}) while the accumulators and panels were fresh each call.
 *
 * <p>An array is taken out of its slot while in use ({@link #floats}, {@link #ints}) and put back afterwards
 * ({@link #keep}), so a nested or re-entrant call on the same thread gets a new array instead of one in use. Contents
 * are undefined: callers zero or overwrite what they read. A thread keeps at most {@link #KEEP_BYTES} in all; an array
 * that would pass it is let go (a huge layer must not pin its scratch in every worker).
 */
final class WeightScratch {
  /**
   * Bytes of arrays a thread keeps between calls, over every slot: 32 MiB (the accumulators and task scratch had
   * 16 MiB and the round panels another 16 MiB when they were kept apart).
   */
  static final long KEEP_BYTES = 32L << 20;

  /** What a slot holds. */
  enum Slot {
    /** A dense call's accumulators of every task it runs (calling thread, or a worker's own tiles). */
    ACCUMULATORS,
    /** A task's packed gradient panel. */
    GRADIENT_PANEL,
    /** A task's packed source panel. */
    SOURCE_PANEL,
    /** A task's source and gradient pixel offsets. */
    PIXEL_OFFSETS,
    /** A depthwise tap's two partial sums. */
    DEPTHWISE,
    /** The bias gradient's row sums ({@link FusedBias}, calling thread). */
    BIAS_ROWS,
    /** A dense call's packed round images, sources and gradients ({@link #panels}, calling thread or worker). */
    PANELS
  }

  private static final ThreadLocal<Object[]> MINE = ThreadLocal.withInitial(() -> new Object[Slot.values().length]);

  private WeightScratch() {}

  /** A float array of at least {@code n} floats, taken out of the calling thread's slot (contents undefined). */
  static float[] floats(Slot slot, int n) {
    Object[] mine = MINE.get();
    if (mine[slot.ordinal()] instanceof float[] a && a.length >= n) {
      mine[slot.ordinal()] = null;
      return a;
    }
    return new float[n];
  }

  /** An int array of at least {@code n} ints, taken out of the calling thread's slot (contents undefined). */
  static int[] ints(Slot slot, int n) {
    Object[] mine = MINE.get();
    if (mine[slot.ordinal()] instanceof int[] a && a.length >= n) {
      mine[slot.ordinal()] = null;
      return a;
    }
    return new int[n];
  }

  /**
   * The calling thread's set of at least {@code count} panel arrays, taken out of its slot; {@link #panel} sizes an
   * entry, {@link #keep} puts the set back. Every panel is fully rewritten by the packing before it is read, so stale
   * values never reach a sum.
   */
  static float[][] panels(int count) {
    Object[] mine = MINE.get();
    float[][] set = mine[Slot.PANELS.ordinal()] instanceof float[][] a ? a : new float[0][];
    mine[Slot.PANELS.ordinal()] = null;
    return set.length >= count ? set : java.util.Arrays.copyOf(set, count);
  }

  /** Entry {@code i} of a panel set, replaced by a new array if it holds fewer than {@code n} floats. */
  static float[] panel(float[][] set, int i, int n) {
    if (set[i] == null || set[i].length < n) {
      set[i] = new float[n];
    }
    return set[i];
  }

  /** Puts {@code a} (a float[], int[] or panel set) back in the calling thread's slot if the thread's kept bytes stay bounded. */
  static void keep(Slot slot, Object a) {
    Object[] mine = MINE.get();
    long kept = bytes(a);
    for (int i = 0; i < mine.length; i++) {
      kept += i == slot.ordinal() ? 0 : bytes(mine[i]);
    }
    mine[slot.ordinal()] = kept <= KEEP_BYTES ? a : mine[slot.ordinal()];
  }

  private static long bytes(Object a) {
    if (a instanceof float[] f) {
      return 4L * f.length;
    }
    if (a instanceof float[][] set) {
      long n = 0;
      for (float[] f : set) {
        n += f == null ? 0 : 4L * f.length;
      }
      return n;
    }
    return a instanceof int[] n ? 4L * n.length : 0;
  }
}

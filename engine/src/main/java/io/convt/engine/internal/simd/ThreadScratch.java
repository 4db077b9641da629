package io.convt.engine.internal.simd;

/**
 * The one way a kernel borrows working arrays: every row buffer, packed panel, accumulator, partial sum and index
 * list a SIMD kernel needs for longer than a few vectors is taken from the calling thread's slot here and put back
 * when the kernel is done, so the same arrays serve the thread's next task and next call.
 *
 * <p>Why: an array allocated per call lands on young-generation pages nobody has touched until the heap has cycled
 * once, and every such page costs a fault, zeroing and TLB misses. Measured (docs/benchmark-log.md, "Fresh heap
 * pages"): the TAPS forward (dcgan_out N = 1) ran 4.5× slower on fresh pages, s1_k3's weight gradient at N = 1 at a
 * third of its speed (57 against 170 GFLOP/s with {@code -XX:+AlwaysPreTouch}), dcgan_proj's data gradient at half;
 * on a heap already cycled, allocating and zeroing the DENSE row buffers or the few-output scratch per call still
 * cost 4–18 % of a call at N = 1.
 *
 * <p>How: {@link #floats}/{@link #ints} take the array out of its slot (the slot is empty while it is in use), so a
 * nested or re-entrant call on the same thread, or another kernel that happens to use the same slot, gets a new
 * array instead of one in use; {@link #keep} puts it back. Contents are undefined: whatever the previous user left
 * (NaN and infinities included) is still there, so callers zero or overwrite everything they read. A thread keeps at
 * most {@link #KEEP_BYTES} over all slots; an array that would pass it is let go after its call (a huge layer must
 * not pin its scratch in every worker). A kernel that forgets {@link #keep} only loses the reuse, never a result.
 *
 * <p>Slots name a role, not a kernel: kernels that never run inside one another share a slot (the forward's and the
 * data gradient's row buffers are one slot), so a thread keeps one array per role, the largest request's.
 *
 * <p>Not borrowed here: arrays of a few KiB per call or range ({@link SimdForward}'s DOT and depthwise rows,
 * {@link SimdHalfForward}'s lanes, block tables), where allocation measured within the noise ("Fresh heap pages":
 * 1–8 KiB per call), and the API layer's encode scratch ({@code io.convt.engine.Scratch}: whole source, destination
 * and gradient copies, bounded by {@code convt.scratchBytes}).
 */
final class ThreadScratch {
  /**
   * Bytes of arrays a thread keeps between calls, over every slot: 48 MiB, the sum of the two bounds this replaced
   * (the weight gradient's 32 MiB and the grouped weight gradient's 16 MiB); the forward's row buffers (256 KiB unless
   * one row is longer) and the TAPS scratch (~280 KiB at sr_x2) fit beside them.
   */
  static final long KEEP_BYTES = 48L << 20;

  /** What a slot holds: the role of an array, shared by kernels that never run inside one another. */
  enum Slot {
    /** Row-task sums: the DENSE forward's and data gradient's row buffers, the TAPS forward's output rows. */
    ROW_SUMS,
    /** Row tasks: the first index of each (row, kernel row)'s source or gradient row, -1 where none. */
    ROW_TAP_STARTS,
    /** Row tasks: the destination index of each row of a group. */
    ROW_DESTINATIONS,
    /** Row tasks: the kernel rows reaching one row. */
    ROW_KERNEL_ROWS,
    /** Row tasks: the source (or gradient) rows those kernel rows read. */
    ROW_SOURCE_ROWS,
    /** The data gradient's few-output offset lists, first list ({@link SimdBackwardData}). */
    OFFSETS_A,
    /** The data gradient's few-output offset lists, second list. */
    OFFSETS_B,
    /** The data gradient's packed stride-phase gradient rows ({@link StridePhaseGradient}). */
    PHASE_ROWS,
    /** Which of those packed rows hold their copy already. */
    PHASE_ROWS_PACKED,
    /** One source row's tap matrix ({@link SimdForwardTaps}). */
    TAP_MATRIX,
    /** Slice partial sums of the pointwise data gradient ({@link PointwiseOnePixel#partialSums}). */
    SLICE_SUMS,
    /** {@link SimdFewOutputs}: padded gradient rows ({@link FewOutputsPaddedRows}). */
    PADDED_ROWS,
    /** {@link SimdFewOutputs}: which gradient row each padded row holds. */
    PADDED_ROW_KEYS,
    /** {@link SimdFewOutputs}: a block's pixel sums (data gradient) or a packed source row (weight gradient). */
    FEW_TEMP,
    /** {@link SimdFewOutputs}: per kernel row, the run length. */
    FEW_LENGTHS,
    /** {@link SimdFewOutputs}: per kernel row, the padded row's start. */
    FEW_STARTS,
    /** {@link SimdFewOutputs}: stride-phase passes, first list. */
    FEW_PASSES_A,
    /** {@link SimdFewOutputs}: stride-phase passes, second list. */
    FEW_PASSES_B,
    /** {@link SimdFewOutputs}: the weight gradient's stripe sums (calling thread). */
    STRIPE_SUMS,
    /** Weight-gradient sums: a dense call's accumulators of every task it runs, a grouped task's accumulators. */
    ACCUMULATORS,
    /** A weight-gradient task's packed gradient panel. */
    GRADIENT_PANEL,
    /** A weight-gradient task's packed source panel. */
    SOURCE_PANEL,
    /** A weight-gradient task's source and gradient pixel offsets. */
    PIXEL_OFFSETS,
    /** A depthwise tap's two partial sums. */
    DEPTHWISE,
    /** The bias gradient's row sums ({@link FusedBias}, calling thread). */
    BIAS_ROWS,
    /** A dense weight-gradient call's packed round images, sources and gradients ({@link #panels}). */
    PANELS,
    /** A one-image dense weight-gradient call's source, packed once for all its workers ({@link OwnedTileWeights}). */
    SHARED_SOURCE
  }

  /** A thread's slots and the bytes they hold (kept as a running count, so {@link #keep} is constant time). */
  private static final class Held {
    final Object[] slots = new Object[Slot.values().length];
    long bytes;

    Object take(int i) {
      Object a = slots[i];
      slots[i] = null;
      bytes -= bytes(a);
      return a;
    }
  }

  private static final ThreadLocal<Held> MINE = ThreadLocal.withInitial(Held::new);

  private ThreadScratch() {}

  /** A float array of at least {@code n} floats, taken out of the calling thread's slot (contents undefined). */
  static float[] floats(Slot slot, int n) {
    Held mine = MINE.get();
    if (mine.slots[slot.ordinal()] instanceof float[] a && a.length >= n) {
      mine.take(slot.ordinal());
      return a;
    }
    return new float[n];
  }

  /** An int array of at least {@code n} ints, taken out of the calling thread's slot (contents undefined). */
  static int[] ints(Slot slot, int n) {
    Held mine = MINE.get();
    if (mine.slots[slot.ordinal()] instanceof int[] a && a.length >= n) {
      mine.take(slot.ordinal());
      return a;
    }
    return new int[n];
  }

  /**
   * The calling thread's set of at least {@code count} panel arrays, taken out of slot {@link Slot#PANELS};
   * {@link #panel} sizes an entry, {@link #keep} puts the set back. The one user that does not fit one array per
   * slot: a dense weight-gradient call packs a variable number of images per round (two arrays per image, each
   * sized by its own image's rows), and those arrays are read by later items of the same call, so they are one
   * set taken and kept together. Every panel is fully rewritten by the packing before it is read, so stale values
   * never reach a sum.
   */
  static float[][] panels(int count) {
    Held mine = MINE.get();
    float[][] set = mine.slots[Slot.PANELS.ordinal()] instanceof float[][] a ? a : new float[0][];
    mine.take(Slot.PANELS.ordinal());
    return set.length >= count ? set : java.util.Arrays.copyOf(set, count);
  }

  /** Entry {@code i} of a panel set, replaced by a new array if it holds fewer than {@code n} floats. */
  static float[] panel(float[][] set, int i, int n) {
    if (set[i] == null || set[i].length < n) {
      set[i] = new float[n];
    }
    return set[i];
  }

  /**
   * Puts {@code a} (a float[], int[] or panel set) back in the calling thread's slot, in place of what the slot
   * holds, if the thread's kept bytes stay within {@link #KEEP_BYTES}; otherwise {@code a} is let go.
   */
  static void keep(Slot slot, Object a) {
    Held mine = MINE.get();
    long kept = mine.bytes - bytes(mine.slots[slot.ordinal()]) + bytes(a);
    if (kept <= KEEP_BYTES) {
      mine.slots[slot.ordinal()] = a;
      mine.bytes = kept;
    }
  }

  /** Bytes the calling thread keeps over all slots (tests). */
  static long keptBytes() {
    return MINE.get().bytes;
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

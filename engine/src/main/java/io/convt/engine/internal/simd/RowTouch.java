package io.convt.engine.internal.simd;

/**
 * Loads one float per cache line of rows a kernel will read soon, so that they arrive from memory (or L3) while it
 * computes on the ones it has. Java has no prefetch instruction; a plain load whose value goes to a {@link #sink}
 * nobody reads is the portable stand-in: the core keeps many such misses in flight and the loads walk each row in
 * address order, which also starts the hardware prefetchers, where the kernel's own loads are either one row at a
 * time at full latency or scattered over several rows. Two ways to use it, one instance per task:
 *
 * <ul>
 *   <li>spread ({@link #clear}, {@link #add}, {@link #plan}, {@link #step}): the rows a task packs next, a few lines
 *       between its micro-kernel calls ({@link TapGemmWeights}: the packing loop waited for each row with nothing
 *       else to do, a third of its time at unet_up N = 32, whose 190 MB per call stream from memory);
 *   <li>at once ({@link #rows}): the rows of the next unit of work, just before this one's sums
 *       ({@link DepthwisePhaseRows}: dw_k4_s2 N = 16, whose gradient is several times any L2, 1.5–2× faster).
 * </ul>
 *
 * Touching costs loads: it pays only when the rows come from beyond the L2 (callers decide by their data's size).
 */
final class RowTouch {
  /** Floats per 64-byte cache line. */
  private static final int LINE = 16;
  private static final int MAX_RANGES = 8;
  /**
   * Where the loaded floats go, so the loads are not removed; never read. Per instance (one per task): a static field
   * written by every worker would move its cache line between the cores at each step.
   */
  private float sink;
  private final float[][] arrays = new float[MAX_RANGES][];
  private final int[] from = new int[MAX_RANGES];
  private final int[] to = new int[MAX_RANGES];
  private int ranges;
  private int range;
  private int next;
  private int lines;
  private int perStep;

  /** Forgets the ranges of the previous row. */
  void clear() {
    ranges = 0;
    range = 0;
    lines = 0;
  }

  /** Adds {@code a[from, to)} to the lines to touch (ignored past {@link #MAX_RANGES} ranges). */
  void add(float[] a, int start, int end) {
    if (ranges < MAX_RANGES && start < end) {
      arrays[ranges] = a;
      from[ranges] = start;
      to[ranges] = end;
      ranges++;
      lines += (end - start + LINE - 1) / LINE;
    }
  }

  /** Spreads the lines over {@code steps} calls of {@link #step}. */
  void plan(int steps) {
    range = 0;
    next = ranges > 0 ? from[0] : 0;
    perStep = (lines + Math.max(1, steps) - 1) / Math.max(1, steps);
  }

  /**
   * Touches now {@code rows} rows of {@code span} floats, {@code stride} floats apart, the first at {@code from},
   * one float per cache line each, row by row.
   */
  void rows(float[] a, int from, int rows, int stride, int span) {
    float s = 0f;
    for (int y = 0, at = from; y < rows; y++, at += stride) {
      for (int i = 0; i < span; i += LINE) {
        s += a[at + i];
      }
    }
    sink += s;
  }

  /** Touches the next share of lines. */
  void step() {
    float s = 0f;
    for (int n = perStep; n > 0 && range < ranges; n--) {
      s += arrays[range][next];
      next += LINE;
      if (next >= to[range] && ++range < ranges) {
        next = from[range];
      }
    }
    sink += s;
  }
}

package io.convt.engine.internal.simd;

/**
 * Reads one float per cache line of the rows a task packs next, a few lines at a time between its micro-kernel calls,
 * so the next rows arrive from memory while the current ones are reduced. Java has no prefetch instruction; the packing
 * loop that reads a row from memory would otherwise wait for it with nothing else to do (a third of
 * TapGemmWeights' time at unet_up N = 32, whose 190 MB per call stream from memory).
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

package io.convt.engine.internal.simd;

/**
 * Loads one float per cache line of rows a kernel will read soon, so that they arrive from memory (or L3) while it
 * computes on the ones it has. Java has no prefetch instruction; a plain load whose value goes to a {@link #sink}
 * nobody reads is the portable stand-in: the core keeps many such misses in flight and the loads walk each row in
 * address order, which also starts the hardware prefetchers, where the kernel's own loads are either one row at a
 * time at full latency or scattered over several rows. One instance per task: {@link DepthwisePhaseRows} touches the
 * rows of the next pair just before this pair's sums (dw_k4_s2 N = 16, whose gradient is several times any L2,
 * 1.5–2× faster).
 *
 * <p>Touching costs loads: it pays only when the rows come from beyond the L2 (callers decide by their data's size).
 * Spreading the touches between micro-kernel calls was tried for the weight gradient's row packing and dropped with
 * that path (docs/benchmark-log.md).
 */
final class RowTouch {
  /** Floats per 64-byte cache line. */
  private static final int LINE = 16;
  /**
   * Where the loaded floats go, so the loads are not removed; never read. Per instance (one per task): a static field
   * written by every worker would move its cache line between the cores at each step.
   */
  private float sink;

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
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * One group's slice of the gradient rows a DENSE data-gradient row group reads, packed: for grouped layers
 * (groups4: 32 of 128 channels per group) each gradient pixel the kernels read is a short run ({@code cog} floats,
 * two cache lines) {@code sX·dstC} floats apart, so an eight-pixel block over four fused kernel rows reads 32 runs
 * whose addresses are 1 KiB and 32 KiB apart: they fall into a quarter of the L1D's sets, beside the weight panels.
 * A task copies the rows it reads, its group's channels only, into a buffer of the thread's {@link ThreadScratch}
 * (pixels {@code cog} floats apart, rows padded off 4 KiB multiples) and runs the same kernels with a column step of
 * {@code sX·cog}. The same products are summed in the same order, so the gradient keeps its bits.
 */
final class GroupSliceGradient {
  private static final int L = Micro.L;

  private GroupSliceGradient() {}

  /**
   * Whether {@code p}'s DENSE data gradient reads group slices worth packing: a grouped layer whose group's channels
   * are whole vectors and less than a pixel, with a gradient above {@link StridePhaseGradient#MIN_GRADIENT_BYTES}
   * (below it the gradient stays in L2), and no packed stride phase (which already packs the slice).
   */
  static boolean applies(ConvProblem p) {
    return p.groups() > 1 && p.cog() % L == 0 && p.cog() < p.dstC()
        && (long) p.images() * p.dstImageSize() * Float.BYTES > StridePhaseGradient.MIN_GRADIENT_BYTES
        && !StridePhaseGradient.applies(p);
  }

  /** Floats per packed row: the clip's columns, then a pad when the row would be a multiple of 4 KiB. */
  static int rowFloats(ConvProblem p) {
    int f = p.clipW() * p.cog();
    return f % 1024 == 0 ? f + 2 * L : f;
  }

  /**
   * Copies the gradient rows that source rows {@code g0..g1-1} (image-major) read for group gr into this thread's
   * buffer and rewrites {@code tapRows[(r−g0)·kH + ky]} (the first index of the full gradient row, clip column 0,
   * group channel offset included, or -1) to the first index of its packed row. Within one image the packed rows
   * are consecutive clip rows, so kernel rows stay evenly spaced, as the fused-kernel-row calls require.
   *
   * @return the packed buffer the rewritten indices point into: give it back with {@link #release}
   */
  static float[] pack(ConvProblem p, float[] g, int[] tapRows, int g0, int g1) {
    final int kH = p.kH();
    final int cog = p.cog();
    final int rowF = rowFloats(p);
    int slots = 0;
    for (int ra = g0; ra < g1; ) {
      int rb = Math.min(g1, (ra / p.srcH() + 1) * p.srcH());
      slots += Math.max(0, hi(p, rb - 1) - lo(p, ra) + 1);
      ra = rb;
    }
    final float[] rows = ThreadScratch.floats(ThreadScratch.Slot.PHASE_ROWS, slots * rowF);
    final int[] packed = ThreadScratch.ints(ThreadScratch.Slot.PHASE_ROWS_PACKED, slots);
    Arrays.fill(packed, 0, slots, 0);
    final int dc = p.dstC();
    int base = 0;
    for (int ra = g0; ra < g1; ) {
      int rb = Math.min(g1, (ra / p.srcH() + 1) * p.srcH());
      int vLo = lo(p, ra);
      for (int r = ra; r < rb; r++) {
        for (int ky = 0; ky < kH; ky++) {
          int at = tapRows[(r - g0) * kH + ky];
          if (at < 0) {
            continue;
          }
          int s = base + v(p, r % p.srcH(), ky) - vLo;
          if (packed[s] == 0) {
            copyRow(g, at, dc, rows, s * rowF, cog, p.clipW());
            packed[s] = 1;
          }
          tapRows[(r - g0) * kH + ky] = s * rowF;
        }
      }
      base += Math.max(0, hi(p, rb - 1) - vLo + 1);
      ra = rb;
    }
    ThreadScratch.keep(ThreadScratch.Slot.PHASE_ROWS_PACKED, packed);
    return rows;
  }

  /** Gives the buffer {@link #pack} returned back to the thread's {@link ThreadScratch} once its rows are read. */
  static void release(float[] rows) {
    ThreadScratch.keep(ThreadScratch.Slot.PHASE_ROWS, rows);
  }

  /** Clip row kernel row ky of source row iy reads (inside the clip when 0 ≤ v &lt; clipH). */
  private static int v(ConvProblem p, int iy, int ky) {
    return iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
  }

  /** Lowest clip row (≥ 0) source row r (image-major) reads. */
  private static int lo(ConvProblem p, int r) {
    return Math.max(0, v(p, r % p.srcH(), p.kH() - 1));
  }

  /** Highest clip row (&lt; clipH) source row r reads. */
  private static int hi(ConvProblem p, int r) {
    return Math.min(p.clipH() - 1, v(p, r % p.srcH(), 0));
  }

  /** {@code to[at + j·n ..+n] = from[f0 + j·step ..+n]} for j &lt; width; n a multiple of L. */
  private static void copyRow(float[] from, int f0, int step, float[] to, int at, int n, int width) {
    for (int j = 0; j < width; j++) {
      for (int c = 0; c < n; c += L) {
        FloatVector.fromArray(Micro.S, from, f0 + j * step + c).intoArray(to, at + j * n + c);
      }
    }
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * The one stride phase of the gradient a DENSE data gradient reads when the dilation is a multiple of the stride
 * (dil2_s2_op1: dilation 2, stride 2). Source column ix, kernel column kx reads destination column
 * {@code ix·sX − tX + cx − dilX·kx}, whose remainder modulo sX is then the same for every ix and kx (likewise for
 * rows): the pass reads every sX-th pixel of every sY-th row, so with sX = sY = 2 three quarters of each gradient
 * cache line it loads go unused, and at N = 16 the gradient (8 MiB) streams from memory at four times the bytes it
 * uses. A task instead copies the phase rows its source rows read, the group's output channels only, into a packed
 * buffer of the thread's {@link ThreadScratch} (pixels {@code cog} floats apart, rows {@code pw·cog}) and runs the same kernels on it with a
 * column step of one packed pixel. The same products are summed in the same order, so the gradient keeps its bits.
 */
final class StridePhaseGradient {
  private static final int L = Micro.L;

  /** Gradient bytes of a call (all its images, all channels) above which the phase is packed: one core's L2. */
  static final long MIN_GRADIENT_BYTES = 1L << 20;

  private StridePhaseGradient() {}

  /**
   * Whether {@code p}'s DENSE data gradient reads one stride phase only, with a stride above 1 on some axis, of a
   * gradient larger than {@link #MIN_GRADIENT_BYTES}. Below it the whole gradient stays in L2 and the copy is pure
   * cost: dil2_s2_op1 at N = 1 (512 KiB) read 0.27 ms per call packed against 0.25 ms unpacked, at N = 16 (8 MiB)
   * 4.1–4.6 against 5.0–5.5 ms.
   */
  static boolean applies(ConvProblem p) {
    return (long) p.images() * p.dstImageSize() * Float.BYTES > MIN_GRADIENT_BYTES
        && p.strideX() * p.strideY() > 1 && p.dilX() % p.strideX() == 0 && p.dilY() % p.strideY() == 0
        && p.clipW() > phaseX(p) && p.clipH() > phaseY(p);
  }

  /** Clip column (modulo sX) every tap reads. */
  static int phaseX(ConvProblem p) {
    return Math.floorMod(p.cx() - p.tX(), p.strideX());
  }

  private static int phaseY(ConvProblem p) {
    return Math.floorMod(p.cy() - p.tY(), p.strideY());
  }

  /** Packed columns per row: clip columns of the phase. */
  private static int packedWidth(ConvProblem p) {
    return (p.clipW() - phaseX(p) + p.strideX() - 1) / p.strideX();
  }

  /**
   * Packed column that kernel column kx of source column 0 reads (may be negative: only the columns of that kernel
   * column's run are read, one packed pixel per source column).
   */
  static int column0(ConvProblem p, int kx) {
    return Math.floorDiv(p.cx() - p.tX() - p.dilX() * kx - phaseX(p), p.strideX());
  }

  /**
   * Copies the phase rows that source rows {@code g0..g1-1} (image-major) read for group gr into this thread's
   * buffer and rewrites {@code tapRows[(r−g0)·kH + ky]} (the first index of the full gradient row, group channel
   * offset included, or -1) to the first index of its packed row. Within one image the packed rows are consecutive
   * phase rows, so kernel rows stay evenly spaced, as the fused-kernel-row calls require.
   *
   * @return the packed buffer the rewritten indices point into, taken from the thread's {@link ThreadScratch}: give it
   *     back with {@link #release}
   */
  static float[] pack(ConvProblem p, float[] g, int[] tapRows, int g0, int g1, int gr) {
    final int kH = p.kH();
    final int sY = p.strideY();
    final int cog = p.cog();
    final int pw = packedWidth(p);
    final int rowF = pw * cog;
    final int mCount = (p.clipH() - phaseY(p) + sY - 1) / sY;
    final int mOff = p.cy() - p.tY() - phaseY(p);
    // slots: per image segment of the rows, the phase rows from its lowest to its highest read
    int slots = 0;
    for (int ra = g0; ra < g1; ) {
      int rb = Math.min(g1, (ra / p.srcH() + 1) * p.srcH());
      slots += segmentSlots(p, ra, rb, mOff, mCount);
      ra = rb;
    }
    final float[] rows = ThreadScratch.floats(ThreadScratch.Slot.PHASE_ROWS, slots * rowF);
    final int[] packed = ThreadScratch.ints(ThreadScratch.Slot.PHASE_ROWS_PACKED, slots);
    Arrays.fill(packed, 0, slots, 0);
    final int colStep = p.strideX() * p.dstC();
    final int col0 = phaseX(p) * p.dstC();
    int base = 0;
    for (int ra = g0; ra < g1; ) {
      int rb = Math.min(g1, (ra / p.srcH() + 1) * p.srcH());
      int mLo = Math.max(0, m(p, ra % p.srcH(), kH - 1, mOff));
      for (int r = ra; r < rb; r++) {
        for (int ky = 0; ky < kH; ky++) {
          int at = tapRows[(r - g0) * kH + ky];
          if (at < 0) {
            continue;
          }
          int s = base + m(p, r % p.srcH(), ky, mOff) - mLo;
          if (packed[s] == 0) {
            copyRow(g, at + col0, colStep, rows, s * rowF, cog, pw);
            packed[s] = 1;
          }
          tapRows[(r - g0) * kH + ky] = s * rowF;
        }
      }
      base += segmentSlots(p, ra, rb, mOff, mCount);
      ra = rb;
    }
    ThreadScratch.keep(ThreadScratch.Slot.PHASE_ROWS_PACKED, packed);
    return rows;
  }

  /** Gives the buffer {@link #pack} returned back to the thread's {@link ThreadScratch} once its rows are read. */
  static void release(float[] rows) {
    ThreadScratch.keep(ThreadScratch.Slot.PHASE_ROWS, rows);
  }

  /** Phase row (0 .. mCount-1 when inside the clip) kernel row ky of source row iy reads. */
  private static int m(ConvProblem p, int iy, int ky, int mOff) {
    return Math.floorDiv(iy * p.strideY() - p.dilY() * ky + mOff, p.strideY());
  }

  /** Phase rows of source rows ra..rb-1 of one image, from the lowest one read to the highest, inside the clip. */
  private static int segmentSlots(ConvProblem p, int ra, int rb, int mOff, int mCount) {
    int lo = Math.max(0, m(p, ra % p.srcH(), p.kH() - 1, mOff));
    int hi = Math.min(mCount - 1, m(p, (rb - 1) % p.srcH(), 0, mOff));
    return Math.max(0, hi - lo + 1);
  }

  /** {@code to[at + j·n ..+n] = from[f0 + j·step ..+n]} for j &lt; width. */
  private static void copyRow(float[] from, int f0, int step, float[] to, int at, int n, int width) {
    if (step == n) {
      System.arraycopy(from, f0, to, at, width * n);
      return;
    }
    if (n % L != 0) {
      for (int j = 0; j < width; j++) {
        System.arraycopy(from, f0 + j * step, to, at + j * n, n);
      }
      return;
    }
    for (int j = 0; j < width; j++) {
      for (int c = 0; c < n; c += L) {
        FloatVector.fromArray(Micro.S, from, f0 + j * step + c).intoArray(to, at + j * n + c);
      }
    }
  }
}

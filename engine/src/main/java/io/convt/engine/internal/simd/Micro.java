package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The channel-lane micro-kernels (dot products, depthwise lanes, panel copies); the broadcast × weight-vector
 * register blocks are in {@link MicroRows}. Each is one flat loop whose accumulators are loaded from and stored back to a
 * small scratch array: JDK 17's C2 only keeps vectors in registers (no boxing) when they do not flow through nested
 * loop phis, and the extra 8 loads/stores per call are negligible next to the loop's FMAs.
 */
final class Micro {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();
  /**
   * Floats before the first packed value of a large packed array (weights, the weight gradient's packed source).
   * A float array's data starts 16 bytes after the object (header and length, compressed class pointers), and G1
   * places large arrays at the start of a region, so 12 floats put every 64-byte panel row of such an array on a
   * cache-line boundary and no 512-bit load splits a line (smaller arrays land anywhere: no worse than without).
   * Split loads are a measurable share of the large DENSE forward shapes (docs/benchmark-log.md).
   */
  static final int ALIGN_PAD = 12;

  private Micro() {}

  /**
   * Dot products along contiguous channels for 4 pixels q (source offsets 0, d1, d2, d3) and three weight rows at once
   * (output channels o, o+e1, o+e2; w offsets 0, f1, f2): {@code acc[3q + r] += Σ_{i<n} w[wb + f_r + i] · x[x0 + d_q + i]}
   * as per-lane partial sums, the tail beyond the last full vector masked; every source
   * vector is loaded once for three outputs. Accumulators {@code acc[(3q + r)·L ..]} for pixel q and output r.
   */
  static void dot4x3(float[] w, int wb, int f1, int f2, float[] x, int x0, int d1, int d2, int d3, int n,
      float[] acc) {
    FloatVector c00 = FloatVector.fromArray(S, acc, 0);
    FloatVector c01 = FloatVector.fromArray(S, acc, L);
    FloatVector c02 = FloatVector.fromArray(S, acc, 2 * L);
    FloatVector c10 = FloatVector.fromArray(S, acc, 3 * L);
    FloatVector c11 = FloatVector.fromArray(S, acc, 4 * L);
    FloatVector c12 = FloatVector.fromArray(S, acc, 5 * L);
    FloatVector c20 = FloatVector.fromArray(S, acc, 6 * L);
    FloatVector c21 = FloatVector.fromArray(S, acc, 7 * L);
    FloatVector c22 = FloatVector.fromArray(S, acc, 8 * L);
    FloatVector c30 = FloatVector.fromArray(S, acc, 9 * L);
    FloatVector c31 = FloatVector.fromArray(S, acc, 10 * L);
    FloatVector c32 = FloatVector.fromArray(S, acc, 11 * L);
    int full = n - n % L;
    for (int i = 0; i < full; i += L) {
      FloatVector w0 = FloatVector.fromArray(S, w, wb + i);
      FloatVector w1 = FloatVector.fromArray(S, w, wb + f1 + i);
      FloatVector w2 = FloatVector.fromArray(S, w, wb + f2 + i);
      FloatVector v = FloatVector.fromArray(S, x, x0 + i);
      c00 = v.fma(w0, c00);
      c01 = v.fma(w1, c01);
      c02 = v.fma(w2, c02);
      v = FloatVector.fromArray(S, x, x0 + d1 + i);
      c10 = v.fma(w0, c10);
      c11 = v.fma(w1, c11);
      c12 = v.fma(w2, c12);
      v = FloatVector.fromArray(S, x, x0 + d2 + i);
      c20 = v.fma(w0, c20);
      c21 = v.fma(w1, c21);
      c22 = v.fma(w2, c22);
      v = FloatVector.fromArray(S, x, x0 + d3 + i);
      c30 = v.fma(w0, c30);
      c31 = v.fma(w1, c31);
      c32 = v.fma(w2, c32);
    }
    c00.intoArray(acc, 0);
    c01.intoArray(acc, L);
    c02.intoArray(acc, 2 * L);
    c10.intoArray(acc, 3 * L);
    c11.intoArray(acc, 4 * L);
    c12.intoArray(acc, 5 * L);
    c20.intoArray(acc, 6 * L);
    c21.intoArray(acc, 7 * L);
    c22.intoArray(acc, 8 * L);
    c30.intoArray(acc, 9 * L);
    c31.intoArray(acc, 10 * L);
    c32.intoArray(acc, 11 * L);
    if (full < n) {
      dot2x3Tail(w, wb, f1, f2, x, x0, x0 + d1, full, n, acc, 0);
      dot2x3Tail(w, wb, f1, f2, x, x0 + d2, x0 + d3, full, n, acc, 6 * L);
    }
  }

  /**
   * The masked last step of {@link #dot4x3} (channels {@code full..n}) for two of its pixels (source offsets {@code
   * xa}, {@code xb}; accumulators from {@code a0}), on the sums it stored. Separate methods of at most six sums so that
   * each compiles with C1: the whole step in one method (twelve sums) ran C1's tier-3 compiler out of virtual
   * registers, and in a JVM where C2 then compiled the caller without inlining it, the kernel stayed slow tier-2 code
   * (C1CompilabilityTest). Each sum still gets one multiply-add per lane, in the same order.
   */
  private static void dot2x3Tail(float[] w, int wb, int f1, int f2, float[] x, int xa, int xb, int full, int n,
      float[] acc, int a0) {
    VectorMask<Float> m = S.indexInRange(full, n);
    FloatVector w0 = FloatVector.fromArray(S, w, wb + full, m);
    FloatVector w1 = FloatVector.fromArray(S, w, wb + f1 + full, m);
    FloatVector w2 = FloatVector.fromArray(S, w, wb + f2 + full, m);
    FloatVector v = FloatVector.fromArray(S, x, xa + full, m);
    v.fma(w0, FloatVector.fromArray(S, acc, a0)).intoArray(acc, a0);
    v.fma(w1, FloatVector.fromArray(S, acc, a0 + L)).intoArray(acc, a0 + L);
    v.fma(w2, FloatVector.fromArray(S, acc, a0 + 2 * L)).intoArray(acc, a0 + 2 * L);
    v = FloatVector.fromArray(S, x, xb + full, m);
    v.fma(w0, FloatVector.fromArray(S, acc, a0 + 3 * L)).intoArray(acc, a0 + 3 * L);
    v.fma(w1, FloatVector.fromArray(S, acc, a0 + 4 * L)).intoArray(acc, a0 + 4 * L);
    v.fma(w2, FloatVector.fromArray(S, acc, a0 + 5 * L)).intoArray(acc, a0 + 5 * L);
  }

  /** {@code dst[d0 ..+n) = src[s0 ..+n)}: vector copies and a scalar tail (used to pack panels pixel by pixel). */
  static void copy(float[] src, int s0, float[] dst, int d0, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector.fromArray(S, src, s0 + i).intoArray(dst, d0 + i);
    }
    // a scalar tail: JDK 17 builds masks slowly
    for (; i < n; i++) {
      dst[d0 + i] = src[s0 + i];
    }
  }

  /**
   * Scatters {@code src[s0 ..+n)} into slabs of {@code w} (2L or 4L) floats {@code slabStride} apart: element c goes
   * to {@code dst[d0 + (c / w)·slabStride + c % w]}; the last slab's tail is zero-filled (no masks downstream).
   */
  static void copy(float[] src, int s0, float[] dst, int d0, int n, int slabStride, int w) {
    for (int c = 0, d = d0; c < n; c += w, d += slabStride) {
      int k = Math.min(w, n - c);
      int v = 0;
      for (; v + L <= k; v += L) {
        FloatVector.fromArray(S, src, s0 + c + v).intoArray(dst, d + v);
      }
      // the last slab: whole vectors above, scalars for the rest (21-channel layers copied every float one by one)
      for (; v < k; v++) {
        dst[d + v] = src[s0 + c + v];
      }
      for (; v < w; v++) {
        dst[d + v] = 0f;
      }
    }
  }

  /**
   * {@code s[o] += Σ_{u<n} g[row + u·step + o]} for o &lt; count: each channel's row sum in a float lane (pixels in
   * order), then added to its double total; {@code part} is L floats of scratch.
   */
  static void rowSums(float[] g, int row, int step, int n, int count, double[] s, float[] part) {
    int o = 0;
    for (; o + L <= count; o += L) {
      FloatVector acc = FloatVector.zero(S);
      for (int u = 0, at = row + o; u < n; u++, at += step) {
        acc = acc.add(FloatVector.fromArray(S, g, at));
      }
      acc.intoArray(part, 0);
      for (int j = 0; j < L; j++) {
        s[o + j] += part[j];
      }
    }
    if (o < count) {
      // the last channels pixel-major, each in its own chain (one pass per channel with a single chain each is
      // latency-bound on 64→3 layers)
      int k = count - o;
      java.util.Arrays.fill(part, 0, k, 0f);
      for (int u = 0, at = row + o; u < n; u++, at += step) {
        for (int j = 0; j < k; j++) {
          part[j] += g[at + j];
        }
      }
      for (int j = 0; j < k; j++) {
        s[o + j] += part[j];
      }
    }
  }

  /**
   * Horizontal sum of accumulator row q of {@link #dot4x3}, lanes in order: {@code reduceLanes(ADD)} leaves the order
   * to the JIT (JDK 25's C2 sums in another order than its interpreter), and a result must not depend on when a
   * thread's code was compiled.
   */
  static float sum(float[] acc, int q) {
    float s = 0f;
    for (int j = q * L, end = j + L; j < end; j++) {
      s += acc[j];
    }
    return s;
  }

  /**
   * One channel vector of a depthwise register block of up to four pixels that share their taps: for q &lt; 4,
   * {@code out[at + e_q + c0 ..+L) = Σ_j a[aOff[j] + d_q + c0 ..+L) · b[bOff[j] + c0 ..+L) (+ bias[c0 ..+L))}
   * ({@code d_0 = e_0 = 0}), each sum in one register, the bias added last as the scalar reference does. A block
   * of fewer pixels passes {@code d_q = e_q = 0} for the missing ones: they recompute pixel 0 and store the same
   * value over it.
   */
  static void tapSum4(float[] a, int[] aOff, int d1, int d2, int d3, float[] b, int[] bOff, int n, int c0,
      float[] bias, float[] out, int at, int e1, int e2, int e3) {
    FloatVector s0 = FloatVector.zero(S);
    FloatVector s1 = s0;
    FloatVector s2 = s0;
    FloatVector s3 = s0;
    for (int j = 0; j < n; j++) {
      FloatVector wv = FloatVector.fromArray(S, b, bOff[j] + c0);
      int x = aOff[j] + c0;
      s0 = FloatVector.fromArray(S, a, x).fma(wv, s0);
      s1 = FloatVector.fromArray(S, a, x + d1).fma(wv, s1);
      s2 = FloatVector.fromArray(S, a, x + d2).fma(wv, s2);
      s3 = FloatVector.fromArray(S, a, x + d3).fma(wv, s3);
    }
    if (bias != null) {
      FloatVector bv = FloatVector.fromArray(S, bias, c0);
      s0 = s0.add(bv);
      s1 = s1.add(bv);
      s2 = s2.add(bv);
      s3 = s3.add(bv);
    }
    s3.intoArray(out, at + e3 + c0);
    s2.intoArray(out, at + e2 + c0);
    s1.intoArray(out, at + e1 + c0);
    s0.intoArray(out, at + c0);
  }

  /**
   * Every channel of a depthwise register block of {@code np} pixels (offsets {@code d[q]} in, {@code e[q]} out, as
   * {@link #tapSum4}): channels below {@code read} are summed over the n taps, the rest up to {@code count} get the
   * bias only. Whole vectors first; a tail is one more vector overlapping the previous one (no masks: JDK 17 does
   * not intrinsify masked loads) when every channel is read and there are at least L, else scalar FMAs.
   */
  static void tapSumChannels(float[] a, int[] aOff, int[] d, float[] b, int[] bOff, int n, int read, int count,
      float[] bias, float[] out, int at, int[] e, int np) {
    int full = read / L * L;
    for (int c0 = 0; c0 < full; c0 += L) {
      tapSum4(a, aOff, d[1], d[2], d[3], b, bOff, n, c0, bias, out, at, e[1], e[2], e[3]);
    }
    if (full == count) {
      return;
    }
    if (read == count && count >= L) {
      tapSum4(a, aOff, d[1], d[2], d[3], b, bOff, n, count - L, bias, out, at, e[1], e[2], e[3]);
      return;
    }
    for (int c = full; c < count; c++) {
      int taps = c < read ? n : 0;
      for (int q = 0; q < np; q++) {
        float y = 0f;
        for (int j = 0; j < taps; j++) {
          y = Math.fma(a[aOff[j] + d[q] + c], b[bOff[j] + c], y);
        }
        out[at + e[q] + c] = bias == null ? y : y + bias[c];
      }
    }
  }

  /**
   * Two-pointer strided dot along pixels with channel lanes: {@code acc += Σ_i x[x0+i·xs ..+width) · g[g0+i·gs ..+width)}
   * (even pixels into {@code acc[0..L)}, odd into {@code acc[L..2L)}); a channel tail narrower than L runs in scalar
   * FMAs into {@code acc[0..width)} (JDK 17 does not intrinsify loads under a mask passed in as an argument).
   */
  static void pixelDot(float[] x, int x0, int xs, float[] g, int g0, int gs, int n, int width, float[] acc) {
    int xi = x0;
    int gi = g0;
    if (width < L) {
      for (int i = 0; i < n; i++, xi += xs, gi += gs) {
        for (int c = 0; c < width; c++) {
          acc[c] = Math.fma(x[xi + c], g[gi + c], acc[c]);
        }
      }
      return;
    }
    FloatVector c0 = FloatVector.fromArray(S, acc, 0);
    FloatVector c1 = FloatVector.fromArray(S, acc, L);
    int i = 0;
    for (; i + 1 < n; i += 2, xi += 2 * xs, gi += 2 * gs) {
      c0 = FloatVector.fromArray(S, x, xi).fma(FloatVector.fromArray(S, g, gi), c0);
      c1 = FloatVector.fromArray(S, x, xi + xs).fma(FloatVector.fromArray(S, g, gi + gs), c1);
    }
    if (i < n) {
      c0 = FloatVector.fromArray(S, x, xi).fma(FloatVector.fromArray(S, g, gi), c0);
    }
    c0.intoArray(acc, 0);
    c1.intoArray(acc, L);
  }
}

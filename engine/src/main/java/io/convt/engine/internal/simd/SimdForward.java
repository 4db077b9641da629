package io.convt.engine.internal.simd;

import io.convt.engine.Neuron;
import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised forward pass (FLOAT accumulation). Stride decomposition: destination columns {@code u, u+sX, u+2sX,
 * u+3sX} hit the same kernel columns with source columns one apart, so four such pixels form a register block
 * and no tap ever multiplies an inserted zero. Three micro-kernels, chosen by {@link SimdPlan}: Cout lanes × 4
 * pixels (dense), input-channel lanes with a horizontal sum (small Cout such as 64→3), channel lanes (depthwise).
 */
final class SimdForward {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();
  /** Pixels per register block. */
  static final int PB = 4;

  private SimdForward() {}

  static void run(SimdPlan plan, ConvProblem p, float[] src, float[] w, float[] bias, Neuron neuron, float[] dst,
      int threads) {
    final float[] packed = plan.packForward(w);
    final long[] colMask = plan.forwardColumnMasks();
    int rows = p.images() * p.clipH();
    Parallel.forRange(rows, threads, (from, to) -> {
      int[] iys = new int[p.kH()];
      int[] kys = new int[p.kH()];
      float[] out = new float[PB * Math.max(2 * L, p.cout() + 2 * L)];
      for (int r = from; r < to; r++) {
        int t = r / p.clipH();
        int v = r % p.clipH();
        int nTaps = 0;
        for (int ky = 0; ky < p.kH(); ky++) {
          int zy = p.tY() + v - p.cy() + p.dilY() * ky;
          if (zy >= 0 && zy < p.zH() && zy % p.strideY() == 0) {
            kys[nTaps] = ky;
            iys[nTaps++] = zy / p.strideY();
          }
        }
        int srcBase = (p.srcImage0() + t) * p.srcImageSize();
        int dstRow = (p.dstImage0() + t) * p.dstImageSize() + (p.clipY() + v) * p.dstW() * p.dstC();
        for (int phase = 0; phase < p.strideX() && phase < p.clipW(); phase++) {
          int u = phase;
          while (u < p.clipW()) {
            long m = colMask[u];
            int np = 1;
            while (np < PB && u + np * p.strideX() < p.clipW() && colMask[u + np * p.strideX()] == m) {
              np++;
            }
            switch (plan.forwardKind()) {
              case DEPTHWISE:
                depthwise(p, src, packed, srcBase, kys, iys, nTaps, m, u, np, out);
                break;
              case DOT:
                dot(p, src, w, srcBase, kys, iys, nTaps, m, u, np, out);
                break;
              default:
                dense(plan, p, src, packed, srcBase, kys, iys, nTaps, m, u, np, out);
            }
            for (int q = 0; q < np; q++) {
              int o0 = dstRow + (p.clipX() + u + q * p.strideX()) * p.dstC() + p.dfo();
              int ob = q * (out.length / PB);
              for (int o = 0; o < p.cout(); o++) {
                float acc = out[ob + o];
                if (bias != null) {
                  acc += bias[o];
                }
                dst[o0 + o] = neuron.apply(acc, o);
              }
            }
            u += np * p.strideX();
          }
        }
      }
    });
  }

  /** Source column of kernel column kx for destination column u (valid when kx is in the column's mask). */
  private static int ix(ConvProblem p, int u, int kx) {
    return (p.tX() + u - p.cx() + p.dilX() * kx) / p.strideX();
  }

  /** Cout lanes (two vectors) × 4 pixels; packed weights [g][ky][kx][il][cogPad]. */
  private static void dense(SimdPlan plan, ConvProblem p, float[] src, float[] wp, int srcBase, int[] kys, int[] iys,
      int nTaps, long mask, int u, int np, float[] out) {
    final int cig = p.cig();
    final int cog = p.cog();
    final int cogPad = plan.cogPad();
    final int sc = p.srcC();
    final int d1 = np > 1 ? sc : 0;
    final int d2 = np > 2 ? 2 * sc : 0;
    final int d3 = np > 3 ? 3 * sc : 0;
    final int stride = out.length / PB;
    for (int gr = 0; gr < p.groups(); gr++) {
      final int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      for (int oc0 = 0; oc0 < cog; oc0 += 2 * L) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
        FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int ti = 0; ti < nTaps; ti++) {
          int ky = kys[ti];
          int rowBase = srcBase + iys[ti] * p.srcW() * sc + p.sfo() + gr * cig;
          for (long bits = mask; bits != 0; bits &= bits - 1) {
            int kx = Long.numberOfTrailingZeros(bits);
            int s0 = rowBase + ix(p, u, kx) * sc;
            int wb = (((gr * p.kH() + ky) * p.kW() + kx) * cig) * cogPad + oc0;
            for (int il = 0; il < ilEnd; il++, wb += cogPad) {
              FloatVector w0 = FloatVector.fromArray(S, wp, wb);
              FloatVector w1 = FloatVector.fromArray(S, wp, wb + L);
              FloatVector b = FloatVector.broadcast(S, src[s0 + il]);
              a00 = b.fma(w0, a00);
              a01 = b.fma(w1, a01);
              b = FloatVector.broadcast(S, src[s0 + d1 + il]);
              a10 = b.fma(w0, a10);
              a11 = b.fma(w1, a11);
              b = FloatVector.broadcast(S, src[s0 + d2 + il]);
              a20 = b.fma(w0, a20);
              a21 = b.fma(w1, a21);
              b = FloatVector.broadcast(S, src[s0 + d3 + il]);
              a30 = b.fma(w0, a30);
              a31 = b.fma(w1, a31);
            }
          }
        }
        int o = gr * cog + oc0;
        a00.intoArray(out, o);
        a01.intoArray(out, o + L);
        a10.intoArray(out, stride + o);
        a11.intoArray(out, stride + o + L);
        a20.intoArray(out, 2 * stride + o);
        a21.intoArray(out, 2 * stride + o + L);
        a30.intoArray(out, 3 * stride + o);
        a31.intoArray(out, 3 * stride + o + L);
      }
    }
  }

  /** Small Cout: input-channel lanes, one horizontal sum per (pixel, o); weights read in place (OHWI). */
  private static void dot(ConvProblem p, float[] src, float[] w, int srcBase, int[] kys, int[] iys, int nTaps,
      long mask, int u, int np, float[] out) {
    final int cig = p.cig();
    final int cog = p.cog();
    final int sc = p.srcC();
    final int d1 = np > 1 ? sc : 0;
    final int d2 = np > 2 ? 2 * sc : 0;
    final int d3 = np > 3 ? 3 * sc : 0;
    final int stride = out.length / PB;
    for (int o = 0; o < p.cout(); o++) {
      int gr = o / cog;
      final int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      final int ilFull = ilEnd - ilEnd % L;
      final VectorMask<Float> tail = S.indexInRange(ilFull, ilEnd);
      FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
      for (int ti = 0; ti < nTaps; ti++) {
        int ky = kys[ti];
        int rowBase = srcBase + iys[ti] * p.srcW() * sc + p.sfo() + gr * cig;
        for (long bits = mask; bits != 0; bits &= bits - 1) {
          int kx = Long.numberOfTrailingZeros(bits);
          int s0 = rowBase + ix(p, u, kx) * sc;
          int wb = ((o * p.kH() + ky) * p.kW() + kx) * cig;
          for (int il = 0; il < ilFull; il += L) {
            FloatVector wv = FloatVector.fromArray(S, w, wb + il);
            a0 = FloatVector.fromArray(S, src, s0 + il).fma(wv, a0);
            a1 = FloatVector.fromArray(S, src, s0 + d1 + il).fma(wv, a1);
            a2 = FloatVector.fromArray(S, src, s0 + d2 + il).fma(wv, a2);
            a3 = FloatVector.fromArray(S, src, s0 + d3 + il).fma(wv, a3);
          }
          if (ilFull < ilEnd) {
            FloatVector wv = FloatVector.fromArray(S, w, wb + ilFull, tail);
            a0 = FloatVector.fromArray(S, src, s0 + ilFull, tail).fma(wv, a0);
            a1 = FloatVector.fromArray(S, src, s0 + d1 + ilFull, tail).fma(wv, a1);
            a2 = FloatVector.fromArray(S, src, s0 + d2 + ilFull, tail).fma(wv, a2);
            a3 = FloatVector.fromArray(S, src, s0 + d3 + ilFull, tail).fma(wv, a3);
          }
        }
      }
      out[o] = a0.reduceLanes(VectorOperators.ADD);
      out[stride + o] = a1.reduceLanes(VectorOperators.ADD);
      out[2 * stride + o] = a2.reduceLanes(VectorOperators.ADD);
      out[3 * stride + o] = a3.reduceLanes(VectorOperators.ADD);
    }
  }

  /** Depthwise (one input and one output channel per group): channel lanes; packed weights [ky][kx][coutPad]. */
  private static void depthwise(ConvProblem p, float[] src, float[] wd, int srcBase, int[] kys, int[] iys,
      int nTaps, long mask, int u, int np, float[] out) {
    final int sc = p.srcC();
    final int d1 = np > 1 ? sc : 0;
    final int d2 = np > 2 ? 2 * sc : 0;
    final int d3 = np > 3 ? 3 * sc : 0;
    final int stride = out.length / PB;
    final int readable = Math.min(p.cout(), p.cinRead());
    final int coutPad = coutPadOf(p);
    for (int c0 = 0; c0 < p.cout(); c0 += L) {
      VectorMask<Float> m = S.indexInRange(c0, readable);
      boolean full = c0 + L <= readable;
      FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
      for (int ti = 0; ti < nTaps; ti++) {
        int ky = kys[ti];
        int rowBase = srcBase + iys[ti] * p.srcW() * sc + p.sfo() + c0;
        for (long bits = mask; bits != 0; bits &= bits - 1) {
          int kx = Long.numberOfTrailingZeros(bits);
          int s0 = rowBase + ix(p, u, kx) * sc;
          FloatVector wv = FloatVector.fromArray(S, wd, (ky * p.kW() + kx) * coutPad + c0);
          if (full) {
            a0 = FloatVector.fromArray(S, src, s0).fma(wv, a0);
            a1 = FloatVector.fromArray(S, src, s0 + d1).fma(wv, a1);
            a2 = FloatVector.fromArray(S, src, s0 + d2).fma(wv, a2);
            a3 = FloatVector.fromArray(S, src, s0 + d3).fma(wv, a3);
          } else {
            a0 = FloatVector.fromArray(S, src, s0, m).fma(wv, a0);
            a1 = FloatVector.fromArray(S, src, s0 + d1, m).fma(wv, a1);
            a2 = FloatVector.fromArray(S, src, s0 + d2, m).fma(wv, a2);
            a3 = FloatVector.fromArray(S, src, s0 + d3, m).fma(wv, a3);
          }
        }
      }
      a0.intoArray(out, c0);
      a1.intoArray(out, stride + c0);
      a2.intoArray(out, 2 * stride + c0);
      a3.intoArray(out, 3 * stride + c0);
    }
  }

  /** Padded channel count of depthwise packed weights. */
  static int coutPadOf(ConvProblem p) {
    return (p.cout() + L - 1) / L * L;
  }
}

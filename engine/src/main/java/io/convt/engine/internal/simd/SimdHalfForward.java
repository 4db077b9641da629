package io.convt.engine.internal.simd;

import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Forward pass with HALF accumulation (MPS's fp16 accumulator, {@code AccumulatorPrecision.HALF}): the scalar
 * reference's sums, side by side across the output channels of a group. Each lane runs the reference's own sequence
 * for its channel (taps in (ky, kx) order, input channels in order, each multiply-add fused in float and the sum
 * rounded to fp16, then the bias added and rounded), so the results equal the reference's bit for bit: rounding after
 * every step leaves no freedom to reorder, which is why the float32 kernel's blocking does not apply here.
 */
final class SimdHalfForward {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Smallest normal fp16 value, 2^-14: below it fp16 has a fixed quantum of 2^-24. */
  private static final float MIN_NORMAL_HALF = 0x1p-14f;
  /** 2^16: the first float that rounds to fp16 infinity after rounding to 11 significant bits. */
  private static final float HALF_OVERFLOW = 65536f;

  private SimdHalfForward() {}

  /** As {@code ScalarBackend.forward} with {@code p.halfAccumulation()}, any thread count, same bits. */
  static void run(ConvProblem p, float[] src, float[] w, float[] bias, Activation neuron, float[] dst, int threads) {
    final int cog = p.cog();
    final int cogPad = (cog + L - 1) / L * L;
    final float[] packed = pack(p, w, cogPad);
    final float[] biasPad = bias == null ? null : packBias(p, bias, cogPad);
    Parallel.forRange(p.images() * p.clipH(), threads, (from, to) -> {
      int[] tapSrc = new int[p.kH() * p.kW()];
      int[] tapW = new int[p.kH() * p.kW()];
      float[] lanes = new float[L];
      for (int row = from; row < to; row++) {
        int t = row / p.clipH();
        int v = row % p.clipH();
        for (int u = 0; u < p.clipW(); u++) {
          int taps = taps(p, t, v, u, tapSrc, tapW);
          int out = (p.dstImage0() + t) * p.dstImageSize()
              + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC() + p.dfo();
          pixel(p, src, packed, biasPad, neuron, dst, out, taps, tapSrc, tapW, cogPad, lanes);
        }
      }
    });
  }

  /** The output pixel (v, u)'s taps that land on a source pixel: source offsets and kernel offsets, in (ky, kx) order. */
  private static int taps(ConvProblem p, int t, int v, int u, int[] tapSrc, int[] tapW) {
    int srcBase = (p.srcImage0() + t) * p.srcImageSize();
    int taps = 0;
    for (int ky = 0; ky < p.kH(); ky++) {
      int zy = p.tY() + v - p.cy() + p.dilY() * ky;
      if (zy < 0 || zy >= p.zH() || zy % p.strideY() != 0) {
        continue;
      }
      int iy = zy / p.strideY();
      for (int kx = 0; kx < p.kW(); kx++) {
        int zx = p.tX() + u - p.cx() + p.dilX() * kx;
        if (zx < 0 || zx >= p.zW() || zx % p.strideX() != 0) {
          continue;
        }
        tapSrc[taps] = srcBase + (iy * p.srcW() + zx / p.strideX()) * p.srcC() + p.sfo();
        tapW[taps] = (ky * p.kW() + kx) * p.cig();
        taps++;
      }
    }
    return taps;
  }

  private static void pixel(ConvProblem p, float[] src, float[] packed, float[] biasPad, Activation neuron,
      float[] dst, int out, int taps, int[] tapSrc, int[] tapW, int cogPad, float[] lanes) {
    int cig = p.cig();
    int cog = p.cog();
    int groupWeights = p.kH() * p.kW() * cig;
    for (int gr = 0; gr < p.groups(); gr++) {
      // the reference stops at the channels read (a slice may end inside a group)
      int cigRead = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      for (int ob = 0; ob < cog; ob += L) {
        FloatVector acc = FloatVector.zero(S);
        for (int k = 0; k < taps; k++) {
          int in = tapSrc[k] + gr * cig;
          int wb = (gr * groupWeights + tapW[k]) * cogPad + ob;
          for (int il = 0; il < cigRead; il++) {
            FloatVector wv = FloatVector.fromArray(S, packed, wb + il * cogPad);
            acc = roundToHalf(wv.fma(FloatVector.broadcast(S, src[in + il]), acc));
          }
        }
        if (biasPad != null) {
          acc = roundToHalf(acc.add(FloatVector.fromArray(S, biasPad, gr * cogPad + ob)));
        }
        acc.intoArray(lanes, 0);
        int n = Math.min(L, cog - ob);
        for (int j = 0; j < n; j++) {
          int o = gr * cog + ob + j;
          dst[out + o] = neuron.apply(lanes[j], o);
        }
      }
    }
  }

  /**
   * Weights OHWI {@code [cout][kH][kW][cig]} as {@code [groups][kH][kW][cig][cogPad]}: one tap and input channel's
   * weights for a group's output channels are adjacent (a vector), zero in the padding lanes.
   */
  private static float[] pack(ConvProblem p, float[] w, int cogPad) {
    int cig = p.cig();
    int cog = p.cog();
    int taps = p.kH() * p.kW();
    float[] packed = new float[p.groups() * taps * cig * cogPad];
    for (int o = 0; o < p.cout(); o++) {
      int gr = o / cog;
      int ol = o % cog;
      for (int tap = 0; tap < taps; tap++) {
        for (int il = 0; il < cig; il++) {
          packed[((gr * taps + tap) * cig + il) * cogPad + ol] = w[(o * taps + tap) * cig + il];
        }
      }
    }
    return packed;
  }

  private static float[] packBias(ConvProblem p, float[] bias, int cogPad) {
    float[] b = new float[p.groups() * cogPad];
    for (int o = 0; o < p.cout(); o++) {
      b[(o / p.cog()) * cogPad + o % p.cog()] = bias[o];
    }
    return b;
  }

  /**
   * Each lane rounded to the nearest fp16 value, ties to even, overflow to infinity: {@code Half.round} lane-wise.
   * Normal range: round the float's significand to 11 bits with integer arithmetic (a carry may raise the
   * exponent, as it should). Below 2^-14: fp16's quantum is a fixed 2^-24, and adding then subtracting 0.5 (whose
   * float ulp is 2^-24) rounds to it exactly.
   */
  static FloatVector roundToHalf(FloatVector x) {
    IntVector bits = x.reinterpretAsInts();
    IntVector lsb = bits.lanewise(VectorOperators.LSHR, 13).and(1);
    FloatVector normal = bits.add(0xFFF).add(lsb).and(~0x1FFF).reinterpretAsFloats();
    FloatVector magnitude = x.abs();
    IntVector sign = bits.and(0x80000000);
    FloatVector tiny = magnitude.add(0.5f).sub(0.5f).reinterpretAsInts().or(sign).reinterpretAsFloats();
    FloatVector r = normal.blend(tiny, magnitude.compare(VectorOperators.LT, MIN_NORMAL_HALF));
    FloatVector infinity = sign.or(0x7F800000).reinterpretAsFloats();
    return r.blend(infinity, r.abs().compare(VectorOperators.GE, HALF_OVERFLOW));
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * The weights of {@link SimdFewOutputs}' data gradient packed [channel block][ky][term][block] (term = kernel column
 * in reverse order, then output channel; zeros for the lanes of channels past Cin), kept by weight version: for
 * fcn8_full (21 → 21, 16 × 16) they are 688 KiB, and packing them on every call cost more than the call's
 * arithmetic at N = 1 (fcn16_full: 2.7 MiB). A version names exactly one set of values ({@code KernelWeights}), so a
 * kept packing is never stale; without a version (tests calling the path directly) they are packed afresh.
 */
final class FewOutputsDataWeights {
  /** Bytes of packed weights kept at most, least recently used dropped first. */
  private static final long MAX_BYTES = 32L << 20;

  private static final ByteBoundedCache<Key, float[]> KEPT = new ByteBoundedCache<>(MAX_BYTES, b -> 4L * b.length);

  /** What a packing depends on besides the values: their version and the layout's shape. */
  private record Key(long version, int kH, int kW, int cog, int cig, int bw) {}

  private FewOutputsDataWeights() {}

  /**
   * The packed weights for blocks of {@code bw} input channels: kept ones when {@code version} ≥ 0 names weights
   * packed before, else packed now (and kept when versioned); {@code null} when a weight is not finite.
   */
  static float[] of(ConvProblem p, float[] w, long version, int bw) {
    Key key = new Key(version, p.kH(), p.kW(), p.cog(), p.cig(), bw);
    if (version >= 0) {
      float[] kept = KEPT.get(key);
      if (kept != null) {
        return kept;
      }
    }
    float[] b = pack(p, w, bw);
    return b == null || version < 0 ? b : KEPT.putIfAbsent(key, b);
  }

  private static float[] pack(ConvProblem p, float[] w, int bw) {
    final int kH = p.kH();
    final int kW = p.kW();
    final int cog = p.cog();
    final int cig = p.cig();
    final int n = kW * cog;
    final int blocks = SimdPlan.roundUp(cig, bw) / bw;
    final float[] b = new float[blocks * kH * n * bw];
    for (int co = 0; co < cog; co++) {
      for (int ky = 0; ky < kH; ky++) {
        for (int kx = 0; kx < kW; kx++) {
          int from = ((co * kH + ky) * kW + kx) * cig;
          int i = (kW - 1 - kx) * cog + co;
          for (int ci = 0; ci < cig; ci++) {
            float x = w[from + ci];
            if (!Float.isFinite(x)) {
              return null;
            }
            b[((ci / bw * kH + ky) * n + i) * bw + ci % bw] = x;
          }
        }
      }
    }
    return b;
  }
}

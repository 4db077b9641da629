package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * The weights of {@link SimdFewOutputs}' data gradient packed [channel block][ky][term][block] (term = kernel column
 * in reverse order, then output channel; zeros for the lanes of channels past Cin): one more kind of packed weights
 * in a {@link WeightPack} ({@link WeightPack#fewOutputsData}), kept by weight version under
 * {@code convt.simd.cacheBytes} like the others. For fcn8_full (21 → 21, 16 × 16) they are 688 KiB, and packing them
 * on every call cost more than the call's arithmetic at N = 1.
 */
final class FewOutputsDataWeights {
  private FewOutputsDataWeights() {}

  /**
   * Bytes these packed weights take at most for any geometry of {@code shape} (0 when no geometry of it takes
   * {@link SimdFewOutputs#dataFits}' path): decided by the shape alone, since a {@link WeightPack}'s budget is
   * fixed when it is made. A superset of {@code dataFits} without the stride and dilation, blocks of four vectors.
   */
  static long maxBytes(WeightPack.Shape shape) {
    int cog = shape.cout() / shape.groups();
    int cig = shape.cin() / shape.groups();
    long wide = 4L * shape.kH() * shape.kW() * cog * 2 * Micro.L;
    boolean mayFit = shape.groups() == 1 && shape.kW() <= SimdPlan.MAX_KERNEL_WIDTH
        && (cog < SimdFewOutputs.MAX_COUT || cig <= 2 * Micro.L && wide <= SimdFewOutputs.MAX_WIDE_WEIGHT_BYTES);
    return mayFit ? 4L * SimdPlan.roundUp(cig, 4 * Micro.L) * shape.kH() * shape.kW() * cog : 0;
  }

  /** The weights packed for blocks of {@code bw} input channels; {@code null} when a weight is not finite. */
  static float[] pack(ConvProblem p, float[] w, int bw) {
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

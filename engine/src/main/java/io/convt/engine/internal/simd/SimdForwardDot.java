package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/** The forward's DOT register block (small Cout on small images), split from {@link SimdForward} for size. */
final class SimdForwardDot {
  private static final int L = SimdForward.L;
  private SimdForwardDot() {}

  /** Source column of kernel column kx for destination column u (valid when kx is in the column's mask). */
  private static int ix(ConvProblem p, int u, int kx) {
    return (p.tX() + u - p.cx() + p.dilX() * kx) / p.strideX();
  }

  /** Small Cout: input-channel lanes, one horizontal sum per (pixel, o); weights read in place (OHWI). */
  static void dot(ConvProblem p, float[] src, float[] w, int srcBase, int[] kys, int[] iys, int nTaps,
      long mask, int u, int np, float[] out, int rs, float[] acc) {
    final int cig = p.cig();
    final int cog = p.cog();
    final int sc = p.srcC();
    final int d1 = np > 1 ? sc : 0;
    final int d2 = np > 2 ? 2 * sc : 0;
    final int d3 = np > 3 ? 3 * sc : 0;
    // three output channels of one group per pass; a short last block repeats its first channel (discarded)
    for (int gr = 0; gr < p.groups(); gr++) {
      final int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      for (int oc = 0; oc < cog; oc += 3) {
        int o = gr * cog + oc;
        int no = Math.min(3, cog - oc);
        int kk = p.kH() * p.kW() * cig;
        int f1 = no > 1 ? kk : 0;
        int f2 = no > 2 ? 2 * kk : 0;
        java.util.Arrays.fill(acc, 0, 12 * L, 0f);
        for (int ti = 0; ti < nTaps && ilEnd > 0; ti++) {
          int ky = kys[ti];
          int rowBase = srcBase + iys[ti] * p.srcW() * sc + p.sfo() + gr * cig;
          for (long bits = mask; bits != 0; bits &= bits - 1) {
            int kx = Long.numberOfTrailingZeros(bits);
            int wb = ((o * p.kH() + ky) * p.kW() + kx) * cig;
            Micro.dot4x3(w, wb, f1, f2, src, rowBase + ix(p, u, kx) * sc, d1, d2, d3, ilEnd, acc);
          }
        }
        for (int q = 0; q < np; q++) {
          for (int r = 0; r < no; r++) {
            out[u * rs + q * p.strideX() * rs + o + r] = Micro.sum(acc, 3 * q + r);
          }
        }
      }
    }
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;

/**
 * {@link PackedGradient}'s row pack where every group's output channels fill whole chunks of {@link MicroPanels#QW}
 * (Cout/group a multiple of 16, such as groups4's 32): pixels in image order, each group's chunks copied as whole
 * vectors to their phase panels. The general pack (one column phase at a time, a channel-slab loop per pixel with
 * scalar tails) ran at a third of this speed on groups4's 2 MB gradient images, which made it ~30 % of the
 * weight-gradient time at N = 16; here the NHWC row is read once, in order. A copy: the packed bits are the same.
 */
final class WholeChunkPack {
  private static final int QW = MicroPanels.QW;
  private static final int L = Micro.L;

  private WholeChunkPack() {}

  /**
   * Packs chunks {@code c0..c1} (of {@code QW} channels) of groups {@code gr0..gr1} of clip row v (NHWC channel 0 of
   * its column 0 at {@code g[row]}).
   */
  static void pack(PackedGradient gs, float[] g, int row, int gr0, int gr1, int c0, int c1, int v) {
    final ConvProblem p = gs.problem();
    final float[] d = gs.data;
    final int cs = gs.chunkStride();
    final int step = p.dstC();
    for (int u = 0; u < p.clipW(); u++) {
      int s0 = row + u * step;
      for (int gr = gr0; gr < gr1; gr++) {
        int at = gs.at(gr, v, u);
        int src = s0 + gr * p.cog();
        for (int c = c0; c < c1; c++) {
          for (int k = 0; k < QW; k += L) {
            FloatVector.fromArray(Micro.S, g, src + c * QW + k).intoArray(d, at + c * cs + k);
          }
        }
      }
    }
  }
}

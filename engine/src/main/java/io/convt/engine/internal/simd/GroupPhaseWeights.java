package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * The weight gradient of grouped layers with small per-group products ({@link PackedGradient#applies}, e.g. groups4:
 * 128→128 in 4 groups), in tasks that own whole groups: a task packs its own groups' source and gradient of each
 * image into panels of its thread ({@link PackedSource#packGroup}, {@link PackedGradient#packGroup}), a group at a
 * time, and reduces them at once, every stripe and kernel row, into accumulators of its thread. Where a group's
 * output channels fill whole chunks ({@link InPlaceRunWeights#applies}, groups4) it packs only the source and the
 * kernels read the NHWC gradient in place.
 *
 * <p>Why: packing whole images once per round for all tasks ({@link SimdBackwardWeights}) made every image a fork and
 * join, and at two threads each core read the panels the other had packed (an image of groups4 is 2.5 MB, more than
 * a core's L2): the CPU time per call grew by half. Here a core packs what it reduces (one group's panels, ~640 KB
 * for groups4, stay in its L2), nothing is shared but the read-only input, and a call has one fork and join.
 *
 * <p>The sums run as in {@link SimdBackwardWeights}: each stripe of {@link WeightGradientPartition#stripes} over the
 * images in order ({@link PhaseRunWeights#reduce}), then the stripes' partial sums added in stripe order, so the
 * bits are the same as that path's and do not depend on the thread count.
 */
final class GroupPhaseWeights {
  private GroupPhaseWeights() {}

  /**
   * Whether the layer takes this path at {@code threads} threads: grouped phase-run layers whose groups spread evenly
   * over the threads (every thread the same number of groups, or at least four groups each), except one thread over
   * several images where the gradient is packed: there the round path's whole-image pack, one pass over each pixel,
   * beat packing each group separately (groups4 N = 16, 1 thread: 0.90× in A/B runs). Where the gradient is read in
   * place ({@link InPlaceRunWeights#applies}) there is no gradient pack, and this path also wins at one thread over
   * several images (groups4 N = 16: 7 % less CPU per call). Both paths give the same bits, so the choice never
   * changes a result.
   */
  static boolean fits(ConvProblem p, int threads) {
    return p.groups() > 1 && PackedGradient.applies(p)
        && (threads > 1 || p.images() == 1 || InPlaceRunWeights.applies(p))
        && (p.groups() % threads == 0 || p.groups() >= 4 * threads);
  }

  /**
   * The weight gradient {@code gW} (OHWI) of source {@code x} and output gradient {@code g}. A task owns a range of
   * groups (the same count for every thread where the groups divide evenly, else one group, claimed in turn) and walks
   * the images in order, each image's groups one after another: a group's channels of a pixel are not whole cache
   * lines, so the line two groups share is still cached when the next group of the same image packs it (a task per
   * group over all images read those lines from memory twice, 10 % slower at N = 16 on one thread). With {@code gB}
   * it writes the bias gradient too ({@link FusedBias}) and returns true.
   */
  static boolean run(ConvProblem p, float[] x, float[] g, float[] gW, float[] gB, int threads) {
    final int w = SimdBackwardWeights.slab(p);
    final int stripes = WeightGradientPartition.stripes(p);
    final int oBlocks = (p.cog() + 3) / 4;
    // accumulators of one (stripe, kernel row) of a group: every block, [block][kW][slabs][4][slab]
    final int tile = oBlocks * SimdBackwardWeights.perBlock(p);
    final int groupFloats = stripes * p.kH() * tile;
    final int per = p.groups() % threads == 0 ? p.groups() / threads : 1;
    // the bias gradient's row sums of a task's groups, taken as it packs them (slot = task)
    final FusedBias bias = gB != null ? new FusedBias(p, p.groups() / per) : null;
    final boolean inPlace = InPlaceRunWeights.applies(p);
    Parallel.forClaimed(p.groups() / per, threads, task -> {
      final int g0 = task * per;
      PackedSource xs = new PackedSource(p, w, true);
      PackedGradient gs = new PackedGradient(p, true);
      gs.sumBias(bias, task);
      // the in-place path reads the gradient where it is: no gradient panel
      Scratch sc = new Scratch(xs.floats(), inPlace ? 0 : gs.floats(), per * groupFloats);
      xs.data = sc.x;
      gs.data = sc.g;
      float[] acc = sc.acc;
      WeightAccumulators[] accs = new WeightAccumulators[per * stripes * p.kH()];
      for (int i = 0; i < accs.length; i++) {
        accs[i] = WeightAccumulators.own(p, acc, g0 + i / (stripes * p.kH()), i * tile);
      }
      for (int t = 0; t < p.images(); t++) {
        for (int gr = g0; gr < g0 + per; gr++) {
          if (t == 0) {
            // zeroed just before the group's first sums, so its accumulators are still cached for them
            java.util.Arrays.fill(acc, (gr - g0) * groupFloats, (gr - g0 + 1) * groupFloats, 0f);
          }
          xs.packGroup(x, t, gr);
          if (inPlace) {
            if (bias != null) {
              // also brings the group's gradient lines into cache for the kernels
              for (int v = 0; v < p.clipH(); v++) {
                bias.row(g, t, task, v, gr * p.cog(), p.cog());
              }
            }
          } else {
            gs.packGroup(g, t, gr);
          }
          if (bias != null) {
            bias.add(task, gr * p.cog(), p.cog());
          }
          for (int s = 0; s < stripes; s++) {
            int iyFrom = (int) ((long) p.srcH() * s / stripes);
            int iyTo = (int) ((long) p.srcH() * (s + 1) / stripes);
            int at = ((gr - g0) * stripes + s) * p.kH();
            if (inPlace) {
              InPlaceRunWeights.reduce(p, xs, g, t, gr, oBlocks, accs, at, iyFrom, iyTo);
              continue;
            }
            for (int ky = 0; ky < p.kH(); ky++) {
              PhaseRunWeights.reduce(p, xs, gs, gr, ky, 0, oBlocks, accs[at + ky], iyFrom, iyTo);
            }
          }
          if (t == p.images() - 1) {
            // right after the group's last sums, while its accumulators are still cached
            finish(p, gW, acc, gr, (gr - g0) * groupFloats, stripes, tile, oBlocks);
          }
        }
      }
      sc.release();
    });
    if (bias != null) {
      bias.store(gB);
    }
    return bias != null;
  }

  /** Adds group gr's stripes (accumulators from {@code acc[at]}) in stripe order and stores them in {@code gW}. */
  private static void finish(ConvProblem p, float[] gW, float[] acc, int gr, int at0, int stripes, int tile,
      int oBlocks) {
    for (int ky = 0; ky < p.kH(); ky++) {
      int at = at0 + ky * tile;
      for (int s = 1; s < stripes; s++) {
        int from = at + s * p.kH() * tile;
        for (int k = 0; k < tile; k++) {
          acc[at + k] += acc[from + k];
        }
      }
      SimdBackwardWeights.store(p, gW, gr, ky, 0, oBlocks, acc, at);
    }
  }

  /**
   * A task's panels and accumulators, taken from the thread's {@link ThreadScratch} (kept for its next task and call
   * under that class's bound) and given back by {@link #release}.
   */
  private static final class Scratch {
    final float[] x;
    final float[] g;
    final float[] acc;

    Scratch(int xFloats, int gFloats, int accFloats) {
      x = ThreadScratch.floats(ThreadScratch.Slot.SOURCE_PANEL, xFloats);
      g = ThreadScratch.floats(ThreadScratch.Slot.GRADIENT_PANEL, gFloats);
      acc = ThreadScratch.floats(ThreadScratch.Slot.ACCUMULATORS, accFloats);
    }

    void release() {
      ThreadScratch.keep(ThreadScratch.Slot.SOURCE_PANEL, x);
      ThreadScratch.keep(ThreadScratch.Slot.GRADIENT_PANEL, g);
      ThreadScratch.keep(ThreadScratch.Slot.ACCUMULATORS, acc);
    }
  }
}

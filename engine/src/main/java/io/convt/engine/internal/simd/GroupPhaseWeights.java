package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * The weight gradient of grouped layers with small per-group products ({@link PackedGradient#applies}, e.g. groups4:
 * 128→128 in 4 groups), one task per group: the task packs its own group's source and gradient of each image into
 * panels of its thread ({@link PackedSource#packGroup}, {@link PackedGradient#packGroup}) and reduces them at once,
 * every stripe and kernel row, into accumulators of its thread.
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
  /** Scratch floats per thread up to which a thread keeps its panels for the next call (16 MiB). */
  private static final int KEEP_FLOATS = 1 << 22;
  private static final ThreadLocal<Scratch> MINE = new ThreadLocal<>();

  private GroupPhaseWeights() {}

  /**
   * Whether the layer takes this path at {@code threads} threads: grouped phase-run layers whose groups spread evenly
   * over the threads (every thread the same number of groups, or at least four groups each).
   */
  static boolean fits(ConvProblem p, int threads) {
    return p.groups() > 1 && PackedGradient.applies(p)
        && (p.groups() % threads == 0 || p.groups() >= 4 * threads);
  }

  /** The weight gradient {@code gW} (OHWI) of source {@code x} and output gradient {@code g}. */
  static void run(ConvProblem p, float[] x, float[] g, float[] gW, int threads) {
    final int w = SimdBackwardWeights.slab(p);
    final int stripes = WeightGradientPartition.stripes(p);
    final int oBlocks = (p.cog() + 3) / 4;
    // accumulators of one (stripe, kernel row): every block of the group, [block][kW][slabs][4][slab]
    final int tile = oBlocks * SimdBackwardWeights.perBlock(p);
    final int accFloats = stripes * p.kH() * tile;
    Parallel.forClaimed(p.groups(), threads, gr -> {
      PackedSource xs = new PackedSource(p, w, true);
      PackedGradient gs = new PackedGradient(p, true);
      Scratch sc = Scratch.forThread(xs.floats(), gs.floats(), accFloats);
      xs.data = sc.x;
      gs.data = sc.g;
      float[] acc = sc.acc;
      java.util.Arrays.fill(acc, 0, accFloats, 0f);
      WeightAccumulators[] accs = new WeightAccumulators[stripes * p.kH()];
      for (int i = 0; i < accs.length; i++) {
        accs[i] = WeightAccumulators.own(p, acc, gr, i * tile);
      }
      for (int t = 0; t < p.images(); t++) {
        xs.packGroup(x, t, gr);
        gs.packGroup(g, t, gr);
        for (int s = 0; s < stripes; s++) {
          int iyFrom = (int) ((long) p.srcH() * s / stripes);
          int iyTo = (int) ((long) p.srcH() * (s + 1) / stripes);
          for (int ky = 0; ky < p.kH(); ky++) {
            PhaseRunWeights.reduce(p, xs, gs, gr, ky, 0, oBlocks, accs[s * p.kH() + ky], iyFrom, iyTo);
          }
        }
      }
      for (int ky = 0; ky < p.kH(); ky++) {
        int at = ky * tile;
        for (int s = 1; s < stripes; s++) {
          int from = (s * p.kH() + ky) * tile;
          for (int k = 0; k < tile; k++) {
            acc[at + k] += acc[from + k];
          }
        }
        SimdBackwardWeights.store(p, gW, gr, ky, 0, oBlocks, acc, at);
      }
      sc.release();
    });
  }

  /** A thread's panels and accumulators, kept for the next call unless large. */
  private static final class Scratch {
    final float[] x;
    final float[] g;
    final float[] acc;

    private Scratch(int xFloats, int gFloats, int accFloats) {
      x = new float[xFloats];
      g = new float[gFloats];
      acc = new float[accFloats];
    }

    static Scratch forThread(int xFloats, int gFloats, int accFloats) {
      Scratch sc = MINE.get();
      if (sc == null || sc.x.length < xFloats || sc.g.length < gFloats || sc.acc.length < accFloats) {
        sc = new Scratch(Math.max(xFloats, sc == null ? 0 : sc.x.length),
            Math.max(gFloats, sc == null ? 0 : sc.g.length), Math.max(accFloats, sc == null ? 0 : sc.acc.length));
        MINE.set(sc);
      }
      return sc;
    }

    /** Lets a large scratch go after the task (a huge layer must not pin its panels in every worker). */
    void release() {
      if ((long) x.length + g.length + acc.length > KEEP_FLOATS) {
        MINE.remove();
      }
    }
  }
}

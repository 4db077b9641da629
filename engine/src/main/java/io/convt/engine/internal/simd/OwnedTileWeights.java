package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dense weight gradient on several workers that share nothing they write: each worker owns a fixed, contiguous
 * range of output tiles (group, kernel row, output-channel chunk; dealt chunk by chunk, {@link #dealt}) with all their
 * row stripes for the whole call, keeps their accumulators and its own packed round images in its own
 * {@link ThreadScratch}, packs every image it reads itself (of a packed gradient only its tiles' channels), and adds
 * its tiles' stripe partials and stores them at the end. No array one core writes is read by the
 * other during the call; only the read-only source and gradient are shared, as in the forward and data gradient.
 * The one exception, a call of one image ({@link #sharesSource}): its source is packed once into a shared panel, one
 * item per row, and only read once the last of them has finished.
 *
 * <p>Why: with tasks claimed freely ({@link DenseWeights}) a task's accumulators (dcgan_l2: 512 KiB) moved to whichever
 * core claimed it in the next round, and every round's panels were packed by one core and read by both; the kernel's
 * CPU time per call grew 16–65 % at two threads while the forward's, which shares only read-only data, did not.
 * Each worker packing the whole source costs one extra pass over it per worker; the gradient is split by channels.
 *
 * <p>Sums: every (tile, stripe) sums over the images in order, rounds in order, as in {@link DenseWeights}, and the
 * stripes are added in stripe order, so the bits are the same at every thread count. Workers are items of
 * {@link Parallel#forOrdered} claimed by whichever thread is free (no worker waits for another, only for the
 * shared source's pack items, which have lower indices and so are already claimed: a thread that starts late finds
 * nothing left and the other runs every share in turn).
 */
final class OwnedTileWeights {
  private OwnedTileWeights() {}

  /** Whether {@code part} has a tile for each of {@code threads} workers. */
  static boolean applies(WeightGradientPartition part, int threads) {
    return threads > 1 && part.tiles() >= 2;
  }

  /** Returns whether it wrote the bias gradient too (summed by worker 0 as it packs the gradient). */
  static boolean run(ConvProblem p, float[] src, float[] g, float[] gW, float[] gB, int threads,
      WeightGradientPartition part, int perRound, boolean phaseRuns) {
    final int workers = Math.min(threads, part.tiles());
    final int[] firstTile = split(part, workers);
    final FusedBias bias = phaseRuns && gB != null ? new FusedBias(p, perRound) : null;
    // one image: its source is packed once, one item per row (a worker that loses its core mid-pack holds up the
    // others by one row, not by a share), then read by every worker
    final int packs = sharesSource(p, workers) ? p.srcH() : 0;
    final PackedSource shared = packs == 0 ? null : new PackedSource(p, SimdBackwardWeights.slab(p));
    final float[] sharedData = shared == null ? null
        : ThreadScratch.floats(ThreadScratch.Slot.SHARED_SOURCE, shared.floats());
    if (shared != null) {
      shared.data = sharedData;
    }
    final AtomicInteger packsLeft = new AtomicInteger(packs);
    Parallel.forOrdered(packs + workers, workers, (item, run) -> {
      if (item < packs) {
        shared.packRows(src, 0, item, item + 1);
        if (packsLeft.decrementAndGet() == 0) {
          shared.settle();
          packsLeft.set(-1); // published after settle: a worker reading -1 sees every packed row and the flag
        }
        return;
      }
      if (packs > 0) {
        run.await(() -> packsLeft.get() < 0);
      }
      int worker = item - packs;
      work(p, src, g, gW, part, perRound, phaseRuns, firstTile[worker], firstTile[worker + 1],
          worker == 0 ? bias : null, shared);
    });
    if (sharedData != null) {
      ThreadScratch.keep(ThreadScratch.Slot.SHARED_SOURCE, sharedData);
    }
    if (bias != null) {
      bias.store(gB);
    }
    return bias != null;
  }

  /**
   * Whether the workers share one packed source: a call of one image (N = 1), where each worker packing the whole
   * source itself was the largest cost two threads add (s1_k3: an 800 KB image packed twice). Over several images the
   * workers keep their own per-round copies: sharing those would need a wait per round.
   */
  static boolean sharesSource(ConvProblem p, int workers) {
    return workers > 1 && p.images() == 1;
  }

  /**
   * The tile dealt {@code j}-th: channel-chunk-major within a group (every kernel row of a chunk, then the next chunk),
   * so a worker's tiles share their output channels and it packs only those channels of a packed gradient.
   */
  static int dealt(WeightGradientPartition part, int j) {
    int perGroup = part.chunks() * part.kH();
    int gr = j / perGroup;
    int chunk = j % perGroup / part.kH();
    int ky = j % part.kH();
    return (gr * part.kH() + ky) * part.chunks() + chunk;
  }

  /**
   * First dealt position ({@link #dealt}) of each worker's tiles, and the tile count last: contiguous ranges of about
   * equal output blocks.
   */
  static int[] split(WeightGradientPartition part, int workers) {
    int tiles = part.tiles();
    long total = 0;
    for (int t = 0; t < tiles; t++) {
      total += part.blocks(t);
    }
    int[] first = new int[workers + 1];
    long sum = 0;
    int t = 0;
    for (int k = 1; k < workers; k++) {
      long goal = total * k / workers;
      // at least one tile per worker, and leave one for each worker after it
      while (t < tiles - (workers - k) && (t == first[k - 1] || sum + part.blocks(dealt(part, t)) / 2 < goal)) {
        sum += part.blocks(dealt(part, t++));
      }
      first[k] = t;
    }
    first[workers] = tiles;
    return first;
  }

  /**
   * One worker: the tiles dealt at {@code from..to} ({@link #dealt}) with all their stripes, over every image, on the
   * calling thread.
   */
  private static void work(ConvProblem p, float[] src, float[] g, float[] gW, WeightGradientPartition part,
      int perRound, boolean phaseRuns, int from, int to, FusedBias bias, PackedSource shared) {
    final int w = SimdBackwardWeights.slab(p);
    final int per = SimdBackwardWeights.perBlock(p);
    final int stripes = part.stripes();
    final int tiles = to - from;
    final int[] mine = new int[tiles];
    for (int i = 0; i < tiles; i++) {
      mine[i] = dealt(part, from + i);
    }
    final boolean direct = WeightAccumulators.direct(p, stripes, false);
    // (stripe s, tile mine[i])'s accumulators: accs[at[s·tiles + i] ..+ blocks·per)
    final int[] at = new int[stripes * tiles + 1];
    for (int i = 0; i < stripes * tiles && !direct; i++) {
      at[i + 1] = at[i] + part.blocks(mine[i % tiles]) * per;
    }
    final float[] accs = direct ? null : ThreadScratch.floats(ThreadScratch.Slot.ACCUMULATORS, at[stripes * tiles]);
    // the gradient channels of each group the worker's tiles read, widened to whole packed chunks
    final int[] lo = new int[p.groups()];
    final int[] hi = new int[p.groups()];
    Arrays.fill(lo, p.cog());
    for (int t : mine) {
      lo[part.group(t)] = Math.min(lo[part.group(t)], part.firstBlock(t) * 4 / MicroPanels.QW * MicroPanels.QW);
      hi[part.group(t)] = Math.max(hi[part.group(t)], Math.min(p.cog(),
          (part.firstBlock(t) * 4 + part.blocks(t) * 4 + MicroPanels.QW - 1) / MicroPanels.QW * MicroPanels.QW));
    }
    final float[][] panels = ThreadScratch.panels(2 * perRound);
    final PackedSource[] xs = new PackedSource[perRound];
    final PackedGradient[] gs = new PackedGradient[perRound];
    for (int b = 0; b < perRound; b++) {
      xs[b] = shared != null ? shared : new PackedSource(p, w);
      if (shared == null) {
        xs[b].data = ThreadScratch.panel(panels, 2 * b, xs[b].floats());
      }
      if (phaseRuns) {
        gs[b] = new PackedGradient(p);
        gs[b].data = ThreadScratch.panel(panels, 2 * b + 1, gs[b].floats());
        if (bias != null) {
          gs[b].sumBias(bias, b);
        }
      }
    }
    GatheredWeights.Scratch scratch = phaseRuns ? null : new GatheredWeights.Scratch(p, part.obs());
    for (int first = 0; first < p.images(); first += perRound) {
      final int count = Math.min(perRound, p.images() - first);
      for (int b = 0; b < count; b++) {
        if (shared == null) {
          xs[b].packRows(src, first + b, 0, p.srcH());
          xs[b].settle();
        }
        if (phaseRuns) {
          gs[b].packRows(g, first + b, 0, p.clipH(), lo, hi);
        }
      }
      // stripe-outer: a stripe's packed rows stay cached while the worker's tiles reduce over them
      for (int s = 0; s < stripes; s++) {
        for (int i = 0; i < tiles; i++) {
          int t = mine[i];
          WeightAccumulators acc = direct
              ? WeightAccumulators.inGradient(p, gW, part.group(t), part.kernelRow(t), part.firstBlock(t))
              : WeightAccumulators.own(p, accs, part.group(t), at[s * tiles + i]);
          for (int b = 0; b < count; b++) {
            // the call's first image writes the sums from zero: no zeroing pass over the accumulators first
            boolean fresh = first + b == 0;
            if (phaseRuns) {
              PhaseRunWeights.reduce(p, xs[b], gs[b], part.group(t), part.kernelRow(t), part.firstBlock(t),
                  part.blocks(t), acc, part.firstRow(s), part.endRow(s), fresh);
            } else {
              GatheredWeights.reduce(p, src, xs[b], g, part.group(t), part.kernelRow(t), part.firstBlock(t),
                  part.blocks(t), acc, first + b, part.firstRow(s), part.endRow(s), scratch, fresh);
            }
          }
        }
      }
      for (int b = 0; b < count && bias != null; b++) {
        bias.add(b, 0, p.cout());
      }
    }
    if (scratch != null) {
      scratch.release();
    }
    for (int i = 0; i < tiles && !direct; i++) {
      // the stripes' partials of a tile in stripe order, then the sum into the gradient
      int t = mine[i];
      int into = at[i];
      int n = at[i + 1] - into;
      for (int s = 1; s < stripes; s++) {
        int other = at[s * tiles + i];
        for (int k = 0; k < n; k++) {
          accs[into + k] += accs[other + k];
        }
      }
      SimdBackwardWeights.store(p, gW, part.group(t), part.kernelRow(t), part.firstBlock(t), part.blocks(t), accs,
          into);
    }
    if (accs != null) {
      ThreadScratch.keep(ThreadScratch.Slot.ACCUMULATORS, accs);
    }
    ThreadScratch.keep(ThreadScratch.Slot.PANELS, panels);
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The dense weight gradient in rounds of images: each round packs its images' sources (and, for phase runs, their
 * gradients) once, then every task (stripe, group, kernel row, output-channel chunk) reduces its stripe's rows over
 * them image by image into its own accumulators, so every sum runs over images, rows and columns in a fixed order
 * whatever the thread count. A task's first image writes its sums from zero (no zeroing pass: {@link MicroFirstPanels})
 * and, with one stripe, its last round writes them to the gradient, whichever worker runs it: storing them on the
 * calling thread (the whole gradient's size, megabytes for large layers) would be a serial part of every call and cap
 * the multi-thread speed-up at N=1. With several stripes a last step adds each tile's partials in stripe order. The accumulators of all tasks
 * are one array the calling thread keeps for its next call ({@link ThreadScratch}).
 *
 * <p>Scheduling: the whole call is one sequence of items claimed in order ({@link Parallel#forOrdered}): per round,
 * one item per packed row (source rows, then gradient rows, of each image), then the round's tasks; at the end the
 * stripe sums. An item waits only for what it reads: a task for its round's panels and for its own previous round; a
 * packed row for the tasks that still read the panel set it overwrites. With two or more workers there are two panel
 * sets, so the next round is packed, in parallel over rows, while this round's tasks run. One hand-off to the pool
 * per call instead of three joins per image (measured in docs/benchmark-log.md, "Weight gradient on two threads").
 * This order serves one thread, row-wise tasks and single-tile layers; with several workers and tiles each worker
 * owns its tiles for the whole call instead ({@link OwnedTileWeights}): the same sums, nothing written shared.
 */
final class DenseWeights {
  /**
   * Packed source floats of the images a round shares: 256 KiB, so they stay in L2 while every task reads them
   * (rounds as large as L2 would evict the source between tasks).
   */
  private static final long ROUND_FLOATS = 1 << 16;

  private DenseWeights() {}

  /** Returns whether it wrote the bias gradient too (taken as the gradient is packed, {@link FusedBias}). */
  static boolean run(ConvProblem p, float[] src, float[] g, float[] gW, float[] gB, int threads,
      WeightGradientPartition part) {
    final int w = SimdBackwardWeights.slab(p);
    final int per = SimdBackwardWeights.perBlock(p);
    final int tasks = part.tasks();
    // tasks with fewer than 16 output channels run row by row on the NHWC source and never read the packed one
    final boolean rowWise = SimdBackwardWeights.rowWise(p);
    // with one stripe, tasks sum straight into the gradient (no per-call accumulator arrays to zero and copy)
    final boolean direct = !rowWise && WeightAccumulators.direct(p, part.stripes(), threads == 1);
    final boolean phaseRuns = !rowWise && PackedGradient.applies(p);
    // a round's packed gradients (phase runs) count against its budget too
    final long imageFloats = (long) p.groups() * ((p.cig() + w - 1) / w) * w * p.srcH() * p.srcW()
        + (phaseRuns ? (long) p.cout() * p.clipH() * p.clipW() : 0);
    final int perRound = rowWise ? Math.max(1, p.images())
        : (int) Math.max(1, Math.min(p.images(), ROUND_FLOATS / imageFloats));
    if (!rowWise && OwnedTileWeights.applies(part, threads)) {
      // several workers: each owns its tiles, accumulators and packed images for the whole call
      return OwnedTileWeights.run(p, src, g, gW, gB, threads, part, perRound, phaseRuns);
    }
    // task i's accumulators: accs[at[i] ..+ blocks·per), tasks in order
    final int[] at = new int[tasks + 1];
    for (int i = 0; i < tasks && !direct; i++) {
      at[i + 1] = at[i] + part.blocks(part.tile(i)) * per;
    }
    final float[] accs = direct ? null : ThreadScratch.floats(ThreadScratch.Slot.ACCUMULATORS, at[tasks]);
    final int rounds = (p.images() + perRound - 1) / perRound;
    final int sets = rowWise || threads < 2 || rounds < 2 ? 1 : 2;
    final PackedSource[] xs = new PackedSource[sets * perRound];
    final PackedGradient[] gs = new PackedGradient[sets * perRound];
    // the bias gradient's row sums are taken as the packed gradient's rows are packed (no second pass over it)
    final FusedBias bias = phaseRuns && gB != null ? new FusedBias(p, sets * perRound) : null;
    final float[][] panels = rowWise ? null : ThreadScratch.panels(2 * sets * perRound);
    for (int b = 0; b < sets * perRound && !rowWise; b++) {
      xs[b] = new PackedSource(p, w);
      xs[b].data = ThreadScratch.panel(panels, 2 * b, xs[b].floats());
      if (phaseRuns) {
        gs[b] = new PackedGradient(p);
        gs[b].data = ThreadScratch.panel(panels, 2 * b + 1, gs[b].floats());
        gs[b].sumBias(bias, b);
      }
    }
    // per image of a round: one packing item per source row, then (phase runs) per gradient clip row
    final int rowsPerImage = rowWise ? 0 : p.srcH() + (phaseRuns ? p.clipH() : 0);
    final int[] start = new int[rounds + 1];
    final AtomicIntegerArray packsLeft = new AtomicIntegerArray(rounds);
    final AtomicIntegerArray packed = new AtomicIntegerArray(rounds);
    final AtomicIntegerArray tasksLeft = new AtomicIntegerArray(rounds);
    // rounds each task has finished: its next round waits for this, so its sums run over the images in order
    final AtomicIntegerArray taskRounds = new AtomicIntegerArray(tasks);
    for (int r = 0; r < rounds; r++) {
      int packs = Math.min(perRound, p.images() - r * perRound) * rowsPerImage;
      start[r + 1] = start[r] + packs + tasks;
      packsLeft.set(r, packs);
      packed.set(r, packs == 0 ? 1 : 0);
      tasksLeft.set(r, tasks);
    }
    final int combines = part.stripes() > 1 ? part.tiles() : 0;
    Parallel.forOrdered(start[rounds] + combines, threads, (item, run) -> {
      if (item >= start[rounds]) {
        int tile = item - start[rounds];
        run.await(() -> stripesDone(part, taskRounds, tile, rounds));
        combine(p, part, gW, accs, at, tile);
        return;
      }
      int found = Arrays.binarySearch(start, 0, rounds + 1, item);
      final int r = found >= 0 ? found : -found - 2;
      final int first = r * perRound;
      final int count = Math.min(perRound, p.images() - first);
      final int set = (r % sets) * perRound;
      final int k = item - start[r];
      if (k < count * rowsPerImage) {
        if (r >= sets) {
          // the panels of round r - sets are overwritten: all its tasks must be done reading them
          run.await(() -> tasksLeft.get(r - sets) == 0);
        }
        int b = k / rowsPerImage;
        int row = k % rowsPerImage;
        if (row < p.srcH()) {
          xs[set + b].packRows(src, first + b, row, row + 1);
        } else {
          gs[set + b].packRows(g, first + b, row - p.srcH(), row - p.srcH() + 1);
        }
        if (packsLeft.decrementAndGet(r) == 0) {
          for (int j = 0; j < count; j++) {
            xs[set + j].settle();
          }
          packed.set(r, 1);
        }
        return;
      }
      final int i = k - count * rowsPerImage;
      run.await(() -> packed.get(r) == 1 && taskRounds.get(i) == r);
      int tile = part.tile(i);
      // the first round's first image writes the sums from zero (no zeroing pass over the accumulators first)
      WeightAccumulators acc = direct
          ? WeightAccumulators.inGradient(p, gW, part.group(tile), part.kernelRow(tile), part.firstBlock(tile))
          : WeightAccumulators.own(p, accs, part.group(tile), at[i]);
      int stripe = part.stripe(i);
      GatheredWeights.Scratch scratch = phaseRuns ? null : new GatheredWeights.Scratch(p, part.obs());
      for (int b = 0; b < count; b++) {
        if (phaseRuns) {
          PhaseRunWeights.reduce(p, xs[set + b], gs[set + b], part.group(tile), part.kernelRow(tile),
              part.firstBlock(tile), part.blocks(tile), acc, part.firstRow(stripe), part.endRow(stripe),
              r == 0 && b == 0);
        } else {
          GatheredWeights.reduce(p, src, xs[set + b], g, part.group(tile), part.kernelRow(tile),
              part.firstBlock(tile), part.blocks(tile), acc, first + b, part.firstRow(stripe), part.endRow(stripe),
              scratch, r == 0 && b == 0);
        }
      }
      if (scratch != null) {
        scratch.release();
      }
      if (r == rounds - 1 && part.stripes() == 1 && !direct) {
        SimdBackwardWeights.store(p, gW, part.group(tile), part.kernelRow(tile), part.firstBlock(tile),
            part.blocks(tile), accs, at[i]);
      }
      if (i == 0 && bias != null) {
        // task 0 runs the rounds in order, so the bias totals add the images in order too
        for (int b = 0; b < count; b++) {
          bias.add(set + b, 0, p.cout());
        }
      }
      taskRounds.set(i, r + 1);
      tasksLeft.decrementAndGet(r);
    });
    if (accs != null) {
      ThreadScratch.keep(ThreadScratch.Slot.ACCUMULATORS, accs);
    }
    if (panels != null) {
      ThreadScratch.keep(ThreadScratch.Slot.PANELS, panels);
    }
    if (bias != null) {
      bias.store(gB);
    }
    return bias != null;
  }

  private static boolean stripesDone(WeightGradientPartition part, AtomicIntegerArray taskRounds, int tile,
      int rounds) {
    for (int s = 0; s < part.stripes(); s++) {
      if (taskRounds.get(s * part.tiles() + tile) != rounds) {
        return false;
      }
    }
    return true;
  }

  /** Adds a tile's stripe partials in stripe order, whichever worker computed them, and stores the sum. */
  private static void combine(ConvProblem p, WeightGradientPartition part, float[] gW, float[] accs, int[] at,
      int tile) {
    int from = at[tile];
    int n = at[tile + 1] - from;
    for (int s = 1; s < part.stripes(); s++) {
      int other = at[s * part.tiles() + tile];
      for (int k = 0; k < n; k++) {
        accs[from + k] += accs[other + k];
      }
    }
    SimdBackwardWeights.store(p, gW, part.group(tile), part.kernelRow(tile), part.firstBlock(tile),
        part.blocks(tile), accs, from);
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * How the dense weight gradient is cut into tasks. A task is (row stripe, group, kernel row, chunk of output-channel
 * blocks): it reduces the pixels of its stripe's source rows, over every image in order, into accumulators of its own.
 * With one stripe each task holds whole sums; with several, the stripes' partial sums of an output tile are added
 * in stripe order at the end.
 *
 * <p>The stripe count is chosen from the geometry alone ({@link #stripes}), never from the thread count, so every
 * gradient element is summed in the same order whatever the number of threads: within a stripe over images, rows
 * and columns in order, then the stripes in order. The channel chunking may depend on the thread count: it only
 * decides which task holds which output channels, not how any of them is summed.
 *
 * @param stripes source-row stripes per image (see {@link #stripes})
 * @param groups groups of the layer
 * @param kH kernel rows
 * @param chunks output-channel chunks per (group, kernel row)
 * @param obs blocks of four output channels per chunk (the last chunk may hold fewer)
 * @param oBlocks blocks of four output channels per group
 * @param srcH source rows per image
 */
record WeightGradientPartition(int stripes, int groups, int kH, int chunks, int obs, int oBlocks, int srcH) {
  /** Fewest source pixels a stripe holds: below this, combining the stripes' partial sums costs too much. */
  static final int MIN_STRIPE_PIXELS = 512;
  /** Most stripes per image: enough tasks for 16 threads together with the groups and kernel rows. */
  static final int MAX_STRIPES = 8;
  /** Partial-sum floats (stripes × the gradient) at most: 4 MiB, so the stripes never multiply a large gradient. */
  static final long MAX_PARTIAL_FLOATS = 1 << 20;

  WeightGradientPartition {
    if (stripes < 1 || stripes > srcH || chunks < 1 || obs < 1) {
      throw new IllegalArgumentException("bad weight-gradient partition: stripes=" + stripes + " rows=" + srcH
          + " chunks=" + chunks + " obs=" + obs);
    }
  }

  /**
   * The partition for {@code threads} workers. Output-channel blocks per task: their accumulators (obs·perBlock
   * floats) stay within ~512 KiB of L2, and more blocks per task means fewer re-packs of the source, but at least two
   * tasks per thread where the channels allow.
   */
  static WeightGradientPartition of(ConvProblem p, int threads) {
    final int oBlocks = (p.cog() + 3) / 4;
    final int per = SimdBackwardWeights.perBlock(p);
    final int stripes = stripes(p);
    final int fixed = p.groups() * p.kH() * stripes;
    final int spread = Math.max(1, (2 * threads + fixed - 1) / fixed);
    int obs = Math.max(1, Math.min(Math.min(oBlocks, 131072 / per), (oBlocks + spread - 1) / spread));
    if (threads > 1) {
      obs = balanced(fixed, oBlocks, obs, threads);
    }
    return new WeightGradientPartition(stripes, p.groups(), p.kH(), (oBlocks + obs - 1) / obs, obs, oBlocks,
        p.srcH());
  }

  /**
   * Blocks per task, at most {@code obs}, that spread the tasks most evenly over the threads: the busiest thread's
   * share, {@code ⌈tasks ÷ threads⌉ · obs}, as small as it gets (s1_k3: 15 tasks on 2 threads leave one thread a
   * task longer than the other; 30 halves the gap), fewest tasks among equals. Only which task holds which
   * channels changes, never how a sum runs.
   */
  static int balanced(int fixed, int oBlocks, int obs, int threads) {
    int best = obs;
    long bestLoad = Long.MAX_VALUE;
    for (int b = obs; b >= Math.max(1, obs / 4); b--) {
      int chunks = (oBlocks + b - 1) / b;
      long load = (long) ((fixed * chunks + threads - 1) / threads) * b;
      if (load < bestLoad) {
        bestLoad = load;
        best = b;
      }
    }
    return best;
  }

  /**
   * Row stripes per image, from the geometry alone: as many as fit {@link #MIN_STRIPE_PIXELS} pixels each, at most
   * {@link #MAX_STRIPES}, and at most {@link #MAX_PARTIAL_FLOATS} partial-sum floats in all. Small images with many
   * channels (dcgan_l2: 8×8, an 8 MB gradient) get one stripe and are parallel over their output tiles; large images
   * with few channels (s1_k3: 56×56, 64→64) get several, so each task reads only its own rows: every task reading
   * the whole image made two threads slower than one (twice the cache traffic on a shared L3).
   */
  static int stripes(ConvProblem p) {
    int rowsMin = Math.max(1, (MIN_STRIPE_PIXELS + p.srcW() - 1) / p.srcW());
    long gradient = (long) p.groups() * p.kH() * ((p.cog() + 3) / 4) * SimdBackwardWeights.perBlock(p);
    long byMemory = Math.max(1, MAX_PARTIAL_FLOATS / Math.max(1, gradient));
    return (int) Math.max(1, Math.min(Math.min(p.srcH() / rowsMin, MAX_STRIPES), byMemory));
  }

  /** Output tiles (group, kernel row, channel chunk). */
  int tiles() {
    return groups * kH * chunks;
  }

  /** Tasks, stripe-major: consecutive tasks read the same source rows while they are in cache. */
  int tasks() {
    return stripes * tiles();
  }

  int stripe(int task) {
    return task / tiles();
  }

  /** The output tile of a task, {@code 0..tiles()-1}. */
  int tile(int task) {
    return task % tiles();
  }

  int group(int tile) {
    return tile / (chunks * kH);
  }

  int kernelRow(int tile) {
    return (tile / chunks) % kH;
  }

  /** First block of four output channels of a tile. */
  int firstBlock(int tile) {
    return (tile % chunks) * obs;
  }

  /** Blocks of four output channels of a tile. */
  int blocks(int tile) {
    return Math.min(obs, oBlocks - firstBlock(tile));
  }

  /** First source row of a stripe. */
  int firstRow(int stripe) {
    return (int) ((long) srcH * stripe / stripes);
  }

  /** One past the last source row of a stripe. */
  int endRow(int stripe) {
    return (int) ((long) srcH * (stripe + 1) / stripes);
  }
}

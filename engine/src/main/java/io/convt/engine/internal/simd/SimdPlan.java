package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvGeometry;

/**
 * The per-geometry choice of micro-kernels plus the precomputed column tap masks (batch size and image indices do
 * not matter). Cheap to build (a pass over one row's columns) and small ({@link #bytes()}): {@link SimdBackend}
 * keeps recent ones in a small byte-bounded cache. The packed weights live in a {@link WeightPack} shared by every
 * plan of the same weight shape; a cached plan holds none ({@link #withPack} binds one for a call), so the plan
 * cache never pins packed weights the pack cache has let go.
 */
final class SimdPlan {
  /** Forward / data-gradient micro-kernel family. */
  enum Kind {
    /** Output-channel lanes (forward) or input-channel lanes (data gradient) × 4 pixels, zero-padded weights. */
    DENSE,
    /** Small Cout with wide Cin: input-channel lanes and a horizontal sum (forward only). */
    DOT,
    /** One input and one output channel per group: channel lanes. */
    DEPTHWISE,
    /** Few output channels, one group: (kernel tap, output channel) lanes, runs added into output rows (forward). */
    TAPS,
    /** Data gradient of {@link SimdPointwise}: OHWI rows padded to whole vectors ({@link PointwiseOnePixel#padRows}). */
    POINTWISE
  }

  private static final int L = SimdForward.L;

  private final ConvGeometry p;
  private final Kind forwardKind;
  private final Kind backwardDataKind;
  private final boolean pointwise;
  private final int cb;
  private final int cbi;
  private final int cogPad;
  private final int cigPad;
  private final long[] forwardColumnMasks;
  private final long[] backwardColumnMasks;
  private final ColumnBlock[] columnBlocks;
  private final int[] forwardBlockColumns;
  private final ColumnBlock[] backwardBlocks;
  private final int[] backwardBlockColumns;
  private final TapColumnBlocks tapColumnBlocks;
  private final WeightPack pack;

  /** A plan bound to no weight pack: enough for {@link #packBytes()} and the kernels' tables, not for weights. */
  SimdPlan(ConvGeometry p) {
    this.p = p;
    this.pack = null;
    boolean depthwise = p.cig() == 1 && p.cog() == 1;
    this.forwardKind = depthwise ? Kind.DEPTHWISE
        : SimdForwardTaps.fits(p) ? Kind.TAPS
        : p.cog() < L && p.cig() >= 2 * L ? Kind.DOT
        : Kind.DENSE;
    this.pointwise = SimdPointwise.applies(p);
    this.backwardDataKind = depthwise ? Kind.DEPTHWISE : pointwise ? Kind.POINTWISE : Kind.DENSE;
    // four vectors per register block where the channels fill them (16 accumulators keep more FMAs in flight
    // than two vectors' 8), else two
    this.cb = p.cog() % (4 * L) == 0 ? 4 * L : 2 * L;
    this.cbi = p.cig() % (4 * L) == 0 ? 4 * L : 2 * L;
    this.cogPad = roundUp(p.cog(), cb);
    this.cigPad = roundUp(p.cig(), cbi);
    this.forwardColumnMasks = new long[p.clipW()];
    for (int u = 0; u < p.clipW(); u++) {
      long m = 0;
      for (int kx = 0; kx < p.kW(); kx++) {
        int zx = p.tX() + u - p.cx() + p.dilX() * kx;
        if (zx >= 0 && zx < p.zW() && zx % p.strideX() == 0) {
          m |= 1L << kx;
        }
      }
      forwardColumnMasks[u] = m;
    }
    java.util.List<ColumnBlock> b = new java.util.ArrayList<>();
    for (int phase = 0; phase < p.strideX() && phase < p.clipW(); phase++) {
      int u = phase;
      while (u < p.clipW()) {
        long m = forwardColumnMasks[u];
        int np = 1;
        while (np < SimdForward.PB && u + np * p.strideX() < p.clipW() && forwardColumnMasks[u + np * p.strideX()] == m) {
          np++;
        }
        b.add(new ColumnBlock(u, np, false));
        u += np * p.strideX();
      }
    }
    // two-vector channel blocks: two full blocks of one phase, adjacent and with the same taps, run as one 8-pixel
    // block (MicroRows8); the second one is skipped by the loop that runs its leader
    for (int i = 0; cb == 2 * L && i + 1 < b.size(); i++) {
      ColumnBlock lead = b.get(i);
      ColumnBlock next = b.get(i + 1);
      if (lead.pixels() == SimdForward.PB && next.pixels() == SimdForward.PB
          && next.firstColumn() == lead.firstColumn() + SimdForward.PB * p.strideX()
          && forwardColumnMasks[next.firstColumn()] == forwardColumnMasks[lead.firstColumn()]) {
        b.set(i, new ColumnBlock(lead.firstColumn(), lead.pixels(), true));
        i++;
      }
    }
    this.columnBlocks = b.toArray(new ColumnBlock[0]);
    this.forwardBlockColumns = new int[columnBlocks.length * p.kW()];
    for (int bi = 0; bi < columnBlocks.length; bi++) {
      int u = columnBlocks[bi].firstColumn();
      for (int kx = 0; kx < p.kW(); kx++) {
        boolean tap = (forwardColumnMasks[u] >>> kx & 1) != 0;
        forwardBlockColumns[bi * p.kW() + kx] = tap ? (p.tX() + u - p.cx() + p.dilX() * kx) / p.strideX() : -1;
      }
    }
    this.backwardColumnMasks = new long[p.srcW()];
    for (int ix = 0; ix < p.srcW(); ix++) {
      long m = 0;
      for (int kx = 0; kx < p.kW(); kx++) {
        int u = ix * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
        if (u >= 0 && u < p.clipW()) {
          m |= 1L << kx;
        }
      }
      backwardColumnMasks[ix] = m;
    }
    // data gradient: runs of up to PB adjacent source columns with the same mask; with two-vector channel blocks a
    // full block followed by a full adjacent one may run as one eight-pixel block where the follower has the tap too
    java.util.List<ColumnBlock> s = new java.util.ArrayList<>();
    for (int ix = 0; ix < p.srcW(); ) {
      long m = backwardColumnMasks[ix];
      int np = 1;
      while (np < SimdForward.PB && ix + np < p.srcW() && backwardColumnMasks[ix + np] == m) {
        np++;
      }
      s.add(new ColumnBlock(ix, np, false));
      ix += np;
    }
    for (int i = 0; cbi == 2 * L && i + 1 < s.size(); i++) {
      ColumnBlock lead = s.get(i);
      ColumnBlock next = s.get(i + 1);
      if (lead.pixels() == SimdForward.PB && next.pixels() == SimdForward.PB
          && next.firstColumn() == lead.firstColumn() + SimdForward.PB) {
        s.set(i, new ColumnBlock(lead.firstColumn(), lead.pixels(), true));
      }
    }
    this.backwardBlocks = s.toArray(new ColumnBlock[0]);
    this.tapColumnBlocks = TapColumnBlocks.of(p, cbi / L);
    this.backwardBlockColumns = new int[backwardBlocks.length * p.kW()];
    for (int bi = 0; bi < backwardBlocks.length; bi++) {
      int ix = backwardBlocks[bi].firstColumn();
      for (int kx = 0; kx < p.kW(); kx++) {
        backwardBlockColumns[bi * p.kW() + kx] =
            (backwardColumnMasks[ix] >>> kx & 1) != 0 ? ix * p.strideX() - p.tX() + p.cx() - p.dilX() * kx : -1;
      }
    }
  }

  /** {@code o}'s tables (shared, never modified) bound to {@code pack}. */
  private SimdPlan(SimdPlan o, WeightPack pack) {
    this.p = o.p;
    this.pack = pack;
    this.forwardKind = o.forwardKind;
    this.backwardDataKind = o.backwardDataKind;
    this.pointwise = o.pointwise;
    this.cb = o.cb;
    this.cbi = o.cbi;
    this.cogPad = o.cogPad;
    this.cigPad = o.cigPad;
    this.forwardColumnMasks = o.forwardColumnMasks;
    this.backwardColumnMasks = o.backwardColumnMasks;
    this.columnBlocks = o.columnBlocks;
    this.forwardBlockColumns = o.forwardBlockColumns;
    this.backwardBlocks = o.backwardBlocks;
    this.backwardBlockColumns = o.backwardBlockColumns;
    this.tapColumnBlocks = o.tapColumnBlocks;
  }

  /** The packed weights this plan is bound to ({@link #withPack}). */
  WeightPack weightPack() {
    return pack;
  }

  /** This plan's tables bound to the packed weights of its weight shape, for one call. */
  SimdPlan withPack(WeightPack weightPack) {
    return new SimdPlan(this, java.util.Objects.requireNonNull(weightPack, "weightPack"));
  }

  /**
   * One register block of columns with the same kernel-column mask, at most {@link SimdForward#PB}: forward,
   * {@code pixels} destination columns {@code strideX} apart from {@code firstColumn}; data gradient, adjacent
   * source columns.
   *
   * @param pairsWithNext this block and the next form one eight-pixel block (two-vector channel blocks only);
   *     for the data gradient only at the kernel columns the next block reaches too
   */
  record ColumnBlock(int firstColumn, int pixels, boolean pairsWithNext) {}

  /**
   * The forward register blocks in the order the kernels run them. The plan's own array, not a copy: the kernels
   * walk it once per micro-kernel call, so callers must not modify it.
   */
  ColumnBlock[] columnBlocks() {
    return columnBlocks;
  }

  /**
   * Source column of each forward block's first pixel for each kernel column, {@code [block][kx]}, or -1 where that
   * kernel column does not reach the block (precomputed: a division per micro-kernel call is measurable).
   */
  int[] forwardBlockColumns() {
    return forwardBlockColumns;
  }

  /** The widest kernel the plans handle: a kernel row's taps fit one 64-bit column mask. */
  static final int MAX_KERNEL_WIDTH = 64;

  static int roundUp(int n, int m) {
    return (n + m - 1) / m * m;
  }

  Kind forwardKind() {
    return forwardKind;
  }

  Kind backwardDataKind() {
    return backwardDataKind;
  }

  /**
   * Whether {@link SimdPointwise} runs the data gradient and, for DENSE forward kinds, the forward pass: no two
   * source pixels reach one output pixel, on small images.
   */
  boolean pointwise() {
    return pointwise;
  }

  /** Output channels per forward DENSE register block (2L or 4L). */
  int cb() {
    return cb;
  }

  /** Input channels per data-gradient DENSE register block (2L or 4L). */
  int cbi() {
    return cbi;
  }

  int cogPad() {
    return cogPad;
  }

  int cigPad() {
    return cigPad;
  }

  long[] forwardColumnMasks() {
    return forwardColumnMasks;
  }

  long[] backwardColumnMasks() {
    return backwardColumnMasks;
  }

  /** The data-gradient register blocks of source columns, in order; the plan's own array, not to be modified. */
  ColumnBlock[] backwardBlocks() {
    return backwardBlocks;
  }

  /**
   * Destination column (inside the clip) of each data-gradient block's first pixel for each kernel column,
   * {@code [block][kx]}, or -1 where that kernel column does not reach the block.
   */
  int[] backwardBlockColumns() {
    return backwardBlockColumns;
  }

  /** The DENSE data gradient's register blocks per kernel column (built per call cost 3 % of a small layer). */
  TapColumnBlocks tapColumnBlocks() {
    return tapColumnBlocks;
  }

  /** Floats one packed-weight array of this shape holds at most. */
  long scratchFloats() {
    long taps = (long) p.groups() * p.kH() * p.kW();
    return Math.max(PointwiseOnePixel.paddedFloats(p), Micro.ALIGN_PAD + Math.max(taps * p.cig() * cogPad,
        Math.max(taps * p.cog() * cigPad, taps * SimdForward.coutPadOf(p.cout()))));
  }

  /** Bytes a {@link WeightPack} for this shape holds at most: two packed arrays. */
  long packBytes() {
    return 2L * 4 * scratchFloats();
  }

  /**
   * Bytes this plan holds with its cache entry, for the plan cache's budget: the object, its key (the
   * {@link ConvGeometry}, ~110 bytes) and map entry, the arrays' headers, the masks, block records (24 bytes plus a
   * reference each) and block tables (compressed references, 8-byte alignment ignored).
   */
  long bytes() {
    return 72 + 112 + 48 + 6 * 16 + 8L * (forwardColumnMasks.length + backwardColumnMasks.length)
        + 28L * (columnBlocks.length + backwardBlocks.length)
        + 4L * (forwardBlockColumns.length + backwardBlockColumns.length)
        + 48 + 4L * (tapColumnBlocks.first().length + 2L * tapColumnBlocks.column().length);
  }

  /** One-line description for the log. */
  String describe() {
    return "fwd=" + forwardKind + " bwdData=" + backwardDataKind + " bwdWeights="
        + (backwardDataKind == Kind.DEPTHWISE ? "DEPTHWISE" : "DENSE") + (pointwise ? " pointwise" : "") + " lanes=" + L + " blocks=" + cb + "/" + cbi + " packScratch="
        + scratchFloats() * 4 / 1024 + "KiB";
  }

  /** Forward-packed weights (DOT reads OHWI in place), shared by every plan of this weight shape. */
  float[] forwardWeights(float[] w) {
    return forwardKind == Kind.DOT ? w : pack.forward(this, w);
  }

  /** Data-gradient-packed weights, shared like {@link #forwardWeights}. */
  float[] backwardDataWeights(float[] w) {
    return pack.backwardData(this, w);
  }

  /**
   * Forward weights: DENSE → {@link Micro#ALIGN_PAD} zeros, then [g][Cout block of cb][ky][kx][il][cb] (each
   * micro-kernel call streams one contiguous run) with zeros for padding and for input channels not read;
   * DEPTHWISE → [ky][kx][coutPad] with zeros for channels not read; DOT reads OHWI in place; TAPS →
   * {@link SimdForwardTaps#pack}.
   */
  float[] packForward(float[] w) {
    int kk = p.kH() * p.kW();
    if (forwardKind == Kind.DOT) {
      return w;
    }
    if (forwardKind == Kind.TAPS) {
      return SimdForwardTaps.pack(p, w);
    }
    if (forwardKind == Kind.DEPTHWISE) {
      int pad = SimdForward.coutPadOf(p.cout());
      float[] d = new float[kk * pad];
      int readable = Math.min(p.cout(), p.cinRead());
      for (int o = 0; o < readable; o++) {
        for (int k = 0; k < kk; k++) {
          d[k * pad + o] = w[o * kk + k];
        }
      }
      return d;
    }
    int cig = p.cig();
    int cog = p.cog();
    int n = p.groups() * kk * cig * cogPad;
    float[] d = new float[Micro.ALIGN_PAD + n];
    for (int o = 0; o < p.cout(); o++) {
      int gr = o / cog;
      int oc = o % cog;
      int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      for (int k = 0; k < kk; k++) {
        int from = (o * kk + k) * cig;
        int to = Micro.ALIGN_PAD + ((gr * (cogPad / cb) + oc / cb) * kk + k) * cig * cb + oc % cb;
        for (int il = 0; il < ilEnd; il++) {
          d[to + il * cb] = w[from + il];
        }
      }
    }
    return d;
  }

  /**
   * Data-gradient weights: DENSE → {@link Micro#ALIGN_PAD} zeros, then [g][Cin block of cbi][ky][kx][oc][cbi];
   * DEPTHWISE → [ky][kx][coutPad]; POINTWISE → {@link PointwiseOnePixel#padRows}.
   */
  float[] packBackwardData(float[] w) {
    int kk = p.kH() * p.kW();
    if (backwardDataKind == Kind.POINTWISE) {
      return PointwiseOnePixel.padRows(p, w);
    }
    if (backwardDataKind == Kind.DEPTHWISE) {
      int pad = SimdForward.coutPadOf(p.cout());
      float[] d = new float[kk * pad];
      for (int o = 0; o < p.cout(); o++) {
        for (int k = 0; k < kk; k++) {
          d[k * pad + o] = w[o * kk + k];
        }
      }
      return d;
    }
    int cig = p.cig();
    int cog = p.cog();
    int n = p.groups() * kk * cog * cigPad;
    float[] d = new float[Micro.ALIGN_PAD + n];
    for (int o = 0; o < p.cout(); o++) {
      int gr = o / cog;
      int oc = o % cog;
      for (int k = 0; k < kk; k++) {
        for (int il = 0; il < cig; il++) {
          d[Micro.ALIGN_PAD + (((gr * (cigPad / cbi) + il / cbi) * kk + k) * cog + oc) * cbi + il % cbi] =
              w[(o * kk + k) * cig + il];
        }
      }
    }
    return d;
  }
}

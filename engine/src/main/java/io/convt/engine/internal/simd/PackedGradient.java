package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * One image's output gradient for the weight gradient of small per-group products, packed once per image for every
 * task and split by stride phase: {@link Micro#ALIGN_PAD} floats, then {@code [group][channel chunk of QW][row phase]
 * [column phase][row ÷ sY][column ÷ sX][QW]} (clip-relative rows and columns, channel tails zero-filled). A kernel tap
 * (ky, kx) meets the gradient at {@code (iy·sY + v0, ix·sX + u0)}: one row phase and one column phase, so the
 * gradient pixels of a source row are a contiguous run here, as the source pixels are in {@link PackedSource}, and a
 * task reads both in place ({@link PhaseRunWeights}).
 *
 * <p>Gathering a task's channels per tap instead (a group's 32 channels from pixels sX apart, again for every tap and
 * group) cost more than the FMAs: each gathered pixel feeds only cog·cig/L FMAs, and power-of-two pixel strides put
 * the gathered lines in a few cache sets. Here the NHWC gradient is read once, in order.
 */
final class PackedGradient {
  private static final int QW = MicroPanels.QW;
  private final ConvProblem p;
  /** Channel chunks of QW per group. */
  private final int chunks;
  /** Rows per phase: ⌈clipH ÷ sY⌉. */
  private final int rowsQ;
  /** Columns per phase: ⌈clipW ÷ sX⌉. */
  private final int colsQ;
  private final int chunkFloats;
  /** Panels held: every group, or one (a task that owns a group packs it into slot 0, see {@link #packGroup}). */
  private final int slots;
  /** The packed image: set by the caller before packing ({@link #floats} floats). */
  float[] data;
  /** Where the bias gradient's row sums go as rows are packed, or null ({@link FusedBias}). */
  private FusedBias bias;
  private int biasSlot;

  PackedGradient(ConvProblem p) {
    this(p, false);
  }

  /** A packed image of every group, or with {@code oneGroup} of a single group at a time ({@link #packGroup}). */
  PackedGradient(ConvProblem p, boolean oneGroup) {
    this.p = p;
    this.slots = oneGroup ? 1 : p.groups();
    this.chunks = (p.cog() + QW - 1) / QW;
    this.rowsQ = (p.clipH() + p.strideY() - 1) / p.strideY();
    this.colsQ = (p.clipW() + p.strideX() - 1) / p.strideX();
    this.chunkFloats = p.strideY() * p.strideX() * rowsQ * colsQ * QW;
  }

  /**
   * Whether the weight gradient of {@code p} takes this path: per-group products of at most {@link #MAX_PRODUCT}
   * channel pairs (grouped layers, small dense layers such as 21 classes), where gathering per task costs the most,
   * and stride-1 layers, whose packed gradient is no larger than the packed source and replaces kH·kW gathers of it
   * per image (s1_k3: nine). Larger products at larger strides amortise the gather over many FMAs, and an extra pass
   * over the whole gradient (sX·sY times the source's pixels) would cost more.
   */
  static boolean applies(ConvProblem p) {
    return p.cog() * p.cig() <= MAX_PRODUCT || (p.strideY() == 1 && p.strideX() == 1);
  }

  /** Channel pairs (cog·cig) per group up to which {@link #applies} holds. */
  static final int MAX_PRODUCT = 2048;

  /** Takes the bias gradient's row sums into slot {@code slot} of {@code bias} as rows are packed. */
  void sumBias(FusedBias bias, int slot) {
    this.bias = bias;
    this.biasSlot = slot;
  }

  /** The layer this image is packed for. */
  ConvProblem problem() {
    return p;
  }

  /** Floats between consecutive channel chunks of a group. */
  int chunkStride() {
    return chunkFloats;
  }

  /** Index of channel 0 of group {@code gr} (of the one packed group when made for one) at clip row v, column u. */
  int at(int gr, int v, int u) {
    int phase = (v % p.strideY()) * p.strideX() + u % p.strideX();
    return Micro.ALIGN_PAD + (slots == 1 ? 0 : gr) * chunks * chunkFloats
        + ((phase * rowsQ + v / p.strideY()) * colsQ + u / p.strideX()) * QW;
  }

  /** Floats {@link #data} needs for every group. */
  int floats() {
    return Micro.ALIGN_PAD + slots * chunks * chunkFloats;
  }

  /**
   * Packs clip rows {@code from..to} of image {@code image} of the gradient {@code g}, every group (and their bias row
   * sums, {@link #sumBias}); {@link #data} must hold {@link #floats()}. Disjoint row ranges may be packed on
   * different threads.
   */
  void packRows(float[] g, int image, int from, int to) {
    for (int v = from; v < to; v++) {
      if (p.cog() % QW == 0) {
        WholeChunkPack.pack(this, g, row(image, v), 0, p.groups(), 0, p.cog() / QW, v); // every group of a pixel in one pass
      } else {
        for (int gr = 0; gr < p.groups(); gr++) {
          packRow(g, image, gr, v);
        }
      }
      if (bias != null) {
        bias.row(g, image, biasSlot, v, 0, p.cout());
      }
    }
  }

  /**
   * As {@link #packRows(float[], int, int, int)}, but only channels {@code lo[gr]..hi[gr]} of each group (from a
   * multiple of {@code QW}; to one or the group's end; none where {@code lo[gr] >= hi[gr]}), with the bias row sums of
   * every channel: a worker that owns some output channels packs only those ({@link OwnedTileWeights}). The packed
   * chunks hold the values the whole pack would.
   */
  void packRows(float[] g, int image, int from, int to, int[] lo, int[] hi) {
    for (int v = from; v < to; v++) {
      for (int gr = 0; gr < p.groups(); gr++) {
        if (lo[gr] < hi[gr]) {
          packRow(g, image, gr, v, lo[gr], hi[gr]);
        }
      }
      if (bias != null) {
        bias.row(g, image, biasSlot, v, 0, p.cout());
      }
    }
  }

  /**
   * Packs only group {@code gr} of image {@code image} on the calling thread; {@link #data} must hold
   * {@link #floats()}. The other groups' panels, if any, are left as they are.
   */
  void packGroup(float[] g, int image, int gr) {
    for (int v = 0; v < p.clipH(); v++) {
      packRow(g, image, gr, v);
      if (bias != null) {
        bias.row(g, image, biasSlot, v, gr * p.cog(), p.cog());
      }
    }
  }

  /** Index in the NHWC gradient of channel 0 of clip row v, clip column 0, of image {@code image}. */
  int row(int image, int v) {
    return (p.dstImage0() + image) * p.dstImageSize() + p.dfo() + ((p.clipY() + v) * p.dstW() + p.clipX()) * p.dstC();
  }

  private void packRow(float[] g, int image, int gr, int v) {
    packRow(g, image, gr, v, 0, p.cog());
  }

  /** Packs channels c0..c1 of group gr's clip row v (c0 a multiple of QW). */
  private void packRow(float[] g, int image, int gr, int v, int c0, int c1) {
    if (p.cog() % QW == 0) {
      WholeChunkPack.pack(this, g, row(image, v), gr, gr + 1, c0 / QW, c1 / QW, v);
      return;
    }
    final int sX = p.strideX();
    final int row = row(image, v);
    // one column phase at a time: the packed index steps by QW (no division per pixel)
    for (int px = 0; px < sX && px < p.clipW(); px++) {
      int d = at(gr, v, px) + c0 / QW * chunkFloats;
      for (int u = px; u < p.clipW(); u += sX, d += QW) {
        Micro.copy(g, row + u * p.dstC() + gr * p.cog() + c0, data, d, c1 - c0, chunkFloats, QW);
      }
    }
  }
}

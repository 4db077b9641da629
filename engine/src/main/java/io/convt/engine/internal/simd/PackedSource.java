package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * One image's source for the weight gradient, packed once per image for every task: {@link Micro#ALIGN_PAD} floats,
 * then {@code [group][slab][pixel][w]}
 * (pixels in image order, slabs of w = 2L or 4L input channels, tails zero-filled). A kernel tap connects a contiguous
 * range of source rows, so its pixels are one contiguous run of this panel and a task reads them in place instead of
 * copying them again for every (task, tap), a copy that would cost a large share of the weight-gradient time.
 */
final class PackedSource {
  private final ConvProblem p;
  private final int w;
  private final int slabs;
  private final int slabFloats;
  /** Panels held: every group, or one (a task that owns a group packs it into slot 0, see {@link #packGroup}). */
  private final int slots;
  /** The packed image: set by the caller before packing ({@link #floats} floats). */
  float[] data;
  private boolean finite;
  /** Rows {@link #packRows} found a non-finite value in. */
  private final boolean[] bad;

  PackedSource(ConvProblem p, int w) {
    this(p, w, false);
  }

  /** A packed image of every group, or with {@code oneGroup} of a single group at a time ({@link #packGroup}). */
  PackedSource(ConvProblem p, int w, boolean oneGroup) {
    this.p = p;
    this.w = w;
    this.slabs = (p.cig() + w - 1) / w;
    this.slabFloats = p.srcH() * p.srcW() * w;
    this.slots = oneGroup ? 1 : p.groups();
    this.bad = new boolean[p.srcH()];
  }

  /** Index of pixel 0 of slab {@code ib} of group {@code gr} (of the one packed group when made for one). */
  int base(int gr, int ib) {
    return Micro.ALIGN_PAD + ((slots == 1 ? 0 : gr) * slabs + ib) * slabFloats;
  }

  /**
   * Whether an image is packed and every packed value is finite. Tasks may then multiply source pixels a tap does not reach by a zero
   * gradient (0·x = 0); with an infinite or NaN pixel that would add a NaN the reference never sees, so they take the
   * exact per-pixel path instead.
   */
  boolean finite() {
    return finite;
  }

  /** Floats {@link #data} needs for every group. */
  int floats() {
    return Micro.ALIGN_PAD + slots * slabs * slabFloats;
  }

  /**
   * Packs source rows {@code from..to} of image {@code image} of {@code x}, every group; {@link #data} must hold
   * {@link #floats()}. Disjoint row ranges of one image may be packed on different threads; {@link #settle} then
   * (after they all finished) sets {@link #finite}.
   */
  void packRows(float[] x, int image, int from, int to) {
    for (int iy = from; iy < to; iy++) {
      boolean ok = true;
      for (int gr = 0; gr < p.groups(); gr++) {
        ok &= packRow(x, image, gr, iy);
      }
      bad[iy] = !ok;
    }
  }

  /** Takes the finite flag of the rows {@link #packRows} packed (all of the image's rows). */
  void settle() {
    boolean ok = true;
    for (boolean b : bad) {
      ok &= !b;
    }
    finite = ok;
  }

  /**
   * Packs only group {@code gr} of image {@code image} on the calling thread (a task that owns a group packs its own
   * channels); {@link #data} must hold {@link #floats()}. The other groups' panels, if any, are left as they are.
   */
  void packGroup(float[] x, int image, int gr) {
    boolean ok = true;
    for (int iy = 0; iy < p.srcH(); iy++) {
      ok &= packRow(x, image, gr, iy);
    }
    finite = ok;
  }

  /** Packs source row iy of group gr; false if a packed value is not finite. */
  private boolean packRow(float[] x, int image, int gr, int iy) {
    final int cig = p.cig();
    final int img = (p.srcImage0() + image) * p.srcImageSize() + p.sfo();
    int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
    if (ilEnd == 0) {
      return true;
    }
    for (int ix = 0; ix < p.srcW(); ix++) {
      int pix = iy * p.srcW() + ix;
      Micro.copy(x, img + pix * p.srcC() + gr * cig, data, base(gr, 0) + pix * w, ilEnd, slabFloats, w);
    }
    return allFinite(data, base(gr, 0) + iy * p.srcW() * w, p.srcW() * w, slabFloats, (ilEnd + w - 1) / w);
  }

  /** Whether {@code a[from + s·stride ..+n)} is finite for every slab s &lt; count (n a multiple of L). */
  private static boolean allFinite(float[] a, int from, int n, int stride, int count) {
    FloatVector acc = FloatVector.zero(Micro.S);
    for (int s = 0; s < count; s++) {
      for (int i = from + s * stride, end = i + n; i < end; i += Micro.L) {
        FloatVector v = FloatVector.fromArray(Micro.S, a, i);
        acc = acc.add(v.sub(v)); // 0 for a finite value, NaN for ±Inf or NaN
      }
    }
    return acc.reduceLanes(VectorOperators.ADD) == 0f;
  }
}

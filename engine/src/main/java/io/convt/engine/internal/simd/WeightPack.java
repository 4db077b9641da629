package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvGeometry;
import java.util.Arrays;

/**
 * Packed weights shared by every {@link SimdPlan} of one weight shape: packing depends on the channels, groups,
 * kernel size and channels read, and on the plan's kernel kind, never on image size, offsets or clip, so a layer run
 * over many image sizes packs (and holds) its weights once per kind. The kind can differ between geometries of one
 * weight shape (the TAPS forward needs rows of a few pixels at least), so a packed array is reused only by a plan of
 * the kind it was packed for.
 */
final class WeightPack {
  /** What packing depends on. */
  record Shape(int cout, int cin, int groups, int kH, int kW, int cinRead) {
    static Shape of(ConvGeometry p) {
      return new Shape(p.cout(), p.cin(), p.groups(), p.kH(), p.kW(), p.cinRead());
    }
  }

  /** The kind and weights a packed array was made for (a private copy) and the packed array; replaced as a whole. */
  private record Packed(SimdPlan.Kind kind, float[] source, float[] packed) {
    boolean holds(SimdPlan.Kind k, float[] w) {
      return kind == k && Arrays.equals(source, w);
    }
  }

  private final long maxBytes;
  private volatile Packed forward;
  private volatile Packed backwardData;

  /** @param maxBytes what this pack may hold at most once both directions are packed (for the cache's budget) */
  WeightPack(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  long maxBytes() {
    return maxBytes;
  }

  /**
   * Forward-packed weights, reused while the caller's weights are unchanged (checked by content: a sequential
   * compare costs a fraction of a strided repack, and callers may update weights in place between calls).
   */
  float[] forward(SimdPlan plan, float[] w, int threads) {
    Packed c = forward;
    if (c != null && c.kind() == plan.forwardKind() && sameValues(c.source(), w, threads)) {
      return c.packed();
    }
    float[] packed = plan.packForward(w);
    forward = new Packed(plan.forwardKind(), w.clone(), packed);
    return packed;
  }

  /**
   * {@link Arrays#equals(float[], float[])} split over up to {@code threads} threads for large arrays: at N = 1 the
   * compare reads twice the weights (16 MiB for dcgan_l2) and was ~12 % of a call, serial while the other thread
   * waited.
   */
  static boolean sameValues(float[] a, float[] b, int threads) {
    int parts = a.length >= (1 << 18) ? Math.min(threads, 4) : 1;
    if (a.length != b.length || parts <= 1) {
      return Arrays.equals(a, b);
    }
    java.util.concurrent.atomic.AtomicBoolean differ = new java.util.concurrent.atomic.AtomicBoolean();
    Parallel.forRange(parts, parts, (from, to) -> {
      for (int i = from; i < to && !differ.get(); i++) {
        int lo = (int) ((long) a.length * i / parts);
        int hi = (int) ((long) a.length * (i + 1) / parts);
        if (!Arrays.equals(a, lo, hi, b, lo, hi)) {
          differ.set(true);
        }
      }
    });
    return !differ.get();
  }

  /** Data-gradient-packed weights, cached like {@link #forward}. */
  float[] backwardData(SimdPlan plan, float[] w) {
    Packed c = backwardData;
    if (c != null && c.holds(plan.backwardDataKind(), w)) {
      return c.packed();
    }
    float[] packed = plan.packBackwardData(w);
    backwardData = new Packed(plan.backwardDataKind(), w.clone(), packed);
    return packed;
  }
}

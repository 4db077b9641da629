package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvGeometry;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelWeights;

/**
 * Packed weights shared by every {@link SimdPlan} of one weight shape: packing depends on the channels, groups,
 * kernel size and channels read, and on the plan's kernel kind, never on image size, offsets or clip, so a layer run
 * over many image sizes packs (and holds) its weights once per kind. The kind can differ between geometries of one
 * weight shape (the TAPS forward needs rows of a few pixels at least), so a packed array is reused only by a plan of
 * the kind it was packed for.
 *
 * <p>A packing is reused while the call's weights have the version it was packed from ({@link KernelWeights}: values
 * never change under one version), so a call reads no weights to decide, and the pack keeps no copy of them. The
 * cache holds one pack per shape ({@link Shape}); each call binds it to that call's weights ({@link #bind}).
 *
 * <p>Three kinds of packed weights, one slot each: the plan's forward and data-gradient packings, and the few-output
 * data gradient's ({@link FewOutputsDataWeights}, fcn8-style kernels two strides wide, packed by channel block).
 */
final class WeightPack {
  /** What packing depends on. */
  record Shape(int cout, int cin, int groups, int kH, int kW, int cinRead) {
    static Shape of(ConvGeometry p) {
      return new Shape(p.cout(), p.cin(), p.groups(), p.kH(), p.kW(), p.cinRead());
    }
  }

  /**
   * The kind and weights version a packed array was made for, and the array; replaced as a whole. The version, not
   * the handle, so a pack does not keep weights alive that their owner has dropped.
   */
  private record Packed(SimdPlan.Kind kind, long version, float[] packed) {
    boolean holds(SimdPlan.Kind k, long v) {
      return kind == k && version == v;
    }
  }

  /** The packings of one shape, shared by every binding of it (the cache's entry). */
  private static final class Slots {
    final long maxBytes;
    volatile Packed forward;
    volatile Packed backwardData;
    /** {@link FewOutputsDataWeights}' packing (kind null: its layout follows from the shape). */
    volatile Packed fewOutputsData;

    Slots(long maxBytes) {
      this.maxBytes = maxBytes;
    }
  }

  private final Slots slots;
  /** The call's weights, or null for an unbound pack (which packs on every call and keeps nothing). */
  private final KernelWeights weights;

  /** @param maxBytes what this pack may hold at most once every slot is filled (for the cache's budget) */
  WeightPack(long maxBytes) {
    this(new Slots(maxBytes), null);
  }

  /** A pack bound to no weights and kept by no cache: packs on every call and keeps nothing (tests, one-offs). */
  static WeightPack unbound() {
    return new WeightPack(0);
  }

  private WeightPack(Slots slots, KernelWeights weights) {
    this.slots = slots;
    this.weights = weights;
  }

  /** This shape's packings, for a call computing with {@code w}. */
  WeightPack bind(KernelWeights w) {
    return new WeightPack(slots, java.util.Objects.requireNonNull(w, "weights"));
  }

  long maxBytes() {
    return slots.maxBytes;
  }

  /**
   * Forward-packed weights of {@code w}, reused while the bound weights' version is the one packed. Weights other
   * than the bound handle's array (or no binding) are packed for this call only.
   */
  float[] forward(SimdPlan plan, float[] w) {
    Packed c = slots.forward;
    long version = versionOf(w);
    if (c != null && version != 0 && c.holds(plan.forwardKind(), version)) {
      return c.packed();
    }
    float[] packed = plan.packForward(w);
    if (version != 0) {
      slots.forward = new Packed(plan.forwardKind(), version, packed);
    }
    return packed;
  }

  /** Data-gradient-packed weights, cached like {@link #forward}. */
  float[] backwardData(SimdPlan plan, float[] w) {
    Packed c = slots.backwardData;
    long version = versionOf(w);
    if (c != null && version != 0 && c.holds(plan.backwardDataKind(), version)) {
      return c.packed();
    }
    float[] packed = plan.packBackwardData(w);
    if (version != 0) {
      slots.backwardData = new Packed(plan.backwardDataKind(), version, packed);
    }
    return packed;
  }

  /**
   * {@link FewOutputsDataWeights}' packing of {@code w} for blocks of {@code bw} input channels, cached like
   * {@link #forward} ({@code bw} follows from the shape's input channels, so the version alone decides); {@code null}
   * (and nothing kept) when a weight is not finite.
   */
  float[] fewOutputsData(ConvProblem p, float[] w, int bw) {
    Packed c = slots.fewOutputsData;
    long version = versionOf(w);
    if (c != null && version != 0 && c.holds(null, version)) {
      return c.packed();
    }
    float[] packed = FewOutputsDataWeights.pack(p, w, bw);
    if (version != 0 && packed != null) {
      slots.fewOutputsData = new Packed(null, version, packed);
    }
    return packed;
  }

  /** The bound version when {@code w} is the bound handle's array, else 0 (versions start at 1): not cacheable. */
  private long versionOf(float[] w) {
    return weights != null && weights.values() == w ? weights.version() : 0;
  }
}

package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.NeuronType;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelWeights;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The few-output data gradient's packed weights ({@link FewOutputsDataWeights}) as one kind of {@link WeightPack}:
 * kept per backend by weight version, charged to the pack cache's byte budget and evicted with their pack.
 */
class FewOutputsDataPackTest {
  private static final int L = Micro.L;

  /** fcn8_full-like: 21 outputs, 16 × 16 kernel, stride 8 (two vectors of input channels at most). */
  private static ConvProblem problem(int cout) {
    int cin = Math.min(21, 2 * L);
    return TwinKernelTest.problem(new TwinKernelTest.Geometry("fcn8_like", 2, 4, 9, cin, cout, 1, 16, 8, 1, false,
        NeuronType.NONE, 3));
  }

  private static float[] random(ConvProblem p, int n, long seed) {
    return TwinKernelTest.random(new Random(seed), n);
  }

  private static KernelWeights weights(ConvProblem p) {
    return KernelWeights.of(random(p, p.cout() * p.kH() * p.kW() * p.cig(), 7));
  }

  /** Blocks of two vectors of input channels, as {@link SimdFewOutputs} packs fcn8-like layers. */
  private static float[] packed(SimdBackend b, ConvProblem p, KernelWeights w) {
    return b.plan(p, w).weightPack().fewOutputsData(p, w.values(), 2 * L);
  }

  @Test
  void theSameVersionReusesThePackingAndANewVersionRepacks() {
    ConvProblem p = problem(21);
    assertTrue(SimdFewOutputs.dataFits(p), "the geometry must take the few-output data gradient");
    SimdBackend b = new SimdBackend(64L << 20, 64L << 20);
    KernelWeights w = KernelWeights.of(random(p, p.cout() * p.kH() * p.kW() * p.cig(), 7));
    float[] first = packed(b, p, w);
    assertNotNull(first);
    assertSame(first, packed(b, p, w), "the same version reuses the packing, unread");
    assertArrayEquals(FewOutputsDataWeights.pack(p, w.values(), 2 * L), first, "the packing itself");
    KernelWeights next = KernelWeights.of(w.values());
    float[] repacked = packed(b, p, next);
    assertNotSame(first, repacked, "a new version packs again, even over the same array");
    assertSame(repacked, packed(b, p, next), "and keeps that packing");
    assertNotSame(first, packed(b, p, w), "one packing per shape: the old version packs again");
    float[] copy = w.values().clone();
    SimdPlan bound = b.plan(p, w);
    assertNotSame(bound.weightPack().fewOutputsData(p, copy, 2 * L),
        bound.weightPack().fewOutputsData(p, copy, 2 * L), "an array other than the bound handle's packs per call");
    WeightPack none = WeightPack.unbound();
    assertNotSame(none.fewOutputsData(p, w.values(), 2 * L), none.fewOutputsData(p, w.values(), 2 * L),
        "an unbound pack keeps nothing");
    assertEquals(1, b.cachedPacks());
  }

  @Test
  void theBackendsKeptPackingGivesTheSameGradientAsAFreshOne() {
    ConvProblem p = problem(21);
    SimdBackend b = new SimdBackend(64L << 20, 64L << 20);
    KernelWeights w = weights(p);
    float[] g = random(p, p.images() * p.dstImageSize(), 11);
    float[] fresh = new float[p.images() * p.srcImageSize()];
    assertTrue(SimdFewOutputs.data(p, g, w.values(), fresh, 1));
    for (int call = 0; call < 3; call++) {
      float[] got = new float[fresh.length];
      b.backwardData(p, g, w, got, 1 + call % 2);
      assertArrayEquals(fresh, got, "call " + call);
    }
    float[] bad = w.values().clone();
    bad[5] = Float.NaN;
    KernelWeights nan = KernelWeights.of(bad);
    assertEquals(null, packed(b, p, nan), "a non-finite weight: no packing");
    assertEquals(null, packed(b, p, nan), "and none kept");
  }

  @Test
  void thePackingIsChargedToThePackBudgetAndEvictedWithItsPack() {
    ConvProblem a = problem(21);
    ConvProblem other = problem(20);
    KernelWeights wa = weights(a);
    KernelWeights wo = weights(other);
    SimdBackend sizing = new SimdBackend(64L << 20, 64L << 20);
    float[] fa = packed(sizing, a, wa);
    long packA = sizing.plan(a, wa).weightPack().maxBytes();
    long planA = sizing.plan(a, wa).packBytes();
    assertTrue(packA >= planA + 4L * fa.length, "the pack's budget counts the few-output packing: " + packA
        + " bytes for " + planA + " + " + 4L * fa.length);
    long packO = sizing.plan(other, wo).weightPack().maxBytes();

    // room for one of the two packs: the other shape evicts it, and it packs again
    SimdBackend b = new SimdBackend(Math.max(packA, packO) + Math.min(packA, packO) / 2, 64L << 10);
    float[] first = packed(b, a, wa);
    assertSame(first, packed(b, a, wa));
    assertNotNull(packed(b, other, wo));
    assertEquals(1, b.cachedPacks(), "the second shape evicted the first");
    assertNotSame(first, packed(b, a, wa), "evicted with its pack: packed again");
    assertTrue(b.cachedBytes() <= Math.max(packA, packO) + Math.min(packA, packO) / 2 + (64L << 10));

    // no room at all: nothing kept, every call packs
    SimdBackend none = new SimdBackend(0, 64L << 10);
    assertNotSame(packed(none, a, wa), packed(none, a, wa));
    assertEquals(0, none.cachedPacks());
  }
}

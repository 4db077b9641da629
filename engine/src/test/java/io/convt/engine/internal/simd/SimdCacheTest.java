package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvGeometry;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelWeights;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The SIMD backend's caches: packed weights per weight shape, per-geometry plans bounded in bytes. */
class SimdCacheTest {
  /** Cin = Cout = 8, 3x3, stride 2, one image of h x w, whole destination. */
  private static ConvProblem problem(int h, int w) {
    int dh = 2 * h;
    int dw = 2 * w;
    return new ConvProblem(1, h, w, 8, 0, 8, dh, dw, 8, 0, 8, 8, 1, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, dh, dw, 0, 0,
        false);
  }

  private static float[] weights() {
    Random r = new Random(1);
    float[] w = new float[8 * 3 * 3 * 8];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    return w;
  }

  @Test
  void manyImageSizesShareOnePackedCopyOfTheWeights() {
    SimdBackend b = new SimdBackend(64L << 20, 64L << 20);
    float[] w = weights();
    for (int size = 1; size <= 1000; size++) {
      int h = 1 + size % 3;
      ConvProblem p = problem(h, size);
      float[] src = new float[p.srcImageSize()];
      float[] dst = new float[p.dstImageSize()];
      b.forward(p, src, w, null, Activation.IDENTITY, dst, 1);
      b.backwardData(p, dst, w, src, 1);
    }
    assertEquals(1, b.cachedPacks(), "one weight shape, one packed copy");
    assertEquals(1000, b.cachedPlans());
  }

  @Test
  void thousandsOfGeometriesKeepThePlanCacheWithinItsByteBudget() {
    long budget = 64L << 10;
    SimdBackend b = new SimdBackend(64L << 20, budget);
    float[] w = weights();
    long largestPlan = 0;
    for (int size = 1; size <= 2000; size++) {
      ConvProblem p = problem(1 + size % 5, 1 + size % 400);
      b.forward(p, new float[p.srcImageSize()], w, null, Activation.IDENTITY, new float[p.dstImageSize()], 1);
      ByteBoundedCache<ConvGeometry, SimdPlan> plans = b.planCache();
      assertTrue(plans.bytes() <= budget, "after " + size + " geometries: " + plans.bytes() + " bytes of plans");
      assertEquals(plans.recount(), plans.bytes(), "the cache's count is the sum of its plans' bytes");
      largestPlan = Math.max(largestPlan, b.plan(p, KernelWeights.of(w)).bytes());
    }
    int kept = b.cachedPlans();
    assertTrue(kept > 0 && kept < 2000, kept + " plans kept");
    assertTrue(b.planCache().bytes() > budget - largestPlan, "evicts only what it must: "
        + b.planCache().bytes() + " of " + budget + " bytes used");
    assertEquals(1, b.cachedPacks(), "plan evictions never drop the packed weights");
  }

  @Test
  void aPlanIsBuiltOnceWhileCachedAndItsPackIsTheShapes() {
    SimdBackend b = new SimdBackend(64L << 20, 64L << 20);
    ConvProblem p = problem(3, 9);
    KernelWeights w = KernelWeights.of(weights());
    SimdPlan first = b.plan(p, w);
    SimdPlan again = b.plan(p, w);
    assertNotSame(first, again, "each call binds the pack anew");
    assertSame(first.columnBlocks(), again.columnBlocks(), "the cached tables are reused, not rebuilt");
    float[] packed = first.forwardWeights(w.values());
    assertSame(packed, b.plan(problem(5, 17), w).forwardWeights(w.values()),
        "another image size reuses the same packed weights");
    assertSame(packed, b.plan(p, w).forwardWeights(w.values()), "the same version reuses them, unread");
    assertNotSame(packed, b.plan(p, KernelWeights.of(w.values())).forwardWeights(w.values()),
        "a new version packs again, even over the same array");
    float[] other = w.values().clone();
    SimdPlan bound = b.plan(p, w);
    float[] once = bound.forwardWeights(other);
    assertNotSame(once, bound.forwardWeights(other), "an array other than the bound handle's is packed per call");
  }

  @Test
  void aZeroPlanBudgetCachesNoPlanButStillComputes() {
    SimdBackend cached = new SimdBackend(64L << 20, 64L << 20);
    SimdBackend uncached = new SimdBackend(64L << 20, 0);
    float[] w = weights();
    ConvProblem p = problem(4, 11);
    Random r = new Random(2);
    float[] src = new float[p.srcImageSize()];
    for (int i = 0; i < src.length; i++) {
      src[i] = (float) r.nextGaussian();
    }
    float[] a = new float[p.dstImageSize()];
    float[] c = new float[p.dstImageSize()];
    cached.forward(p, src, w, null, Activation.IDENTITY, a, 1);
    uncached.forward(p, src, w, null, Activation.IDENTITY, c, 1);
    uncached.forward(p, src, w, null, Activation.IDENTITY, c, 1);
    assertEquals(0, uncached.cachedPlans());
    assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
  }

  @Test
  void aBadParallelThresholdStopsTheBackendWithTheKeysName() {
    assertBadPropertyStopsTheBackend(Parallel.MIN_MACS_KEY, "2M", "multiply-adds");
  }

  @Test
  void aBadSpinTimeStopsTheBackendWithTheKeysName() {
    assertBadPropertyStopsTheBackend(HotWorkers.SPIN_KEY, "100us", "microseconds");
  }

  /** Constructing the backend with {@code key=bad} fails with one line naming the key, the value and the unit. */
  private static void assertBadPropertyStopsTheBackend(String key, String bad, String unit) {
    String before = System.getProperty(key);
    try {
      System.setProperty(key, bad);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new SimdBackend(1 << 20, 1 << 20));
      assertEquals("Invalid -D" + key + "=" + bad + ": expected a number of " + unit + " >= 0", e.getMessage());
    } finally {
      if (before == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, before);
      }
    }
  }

  @Test
  void aBudgetPropertyIsBytesOrAOneLineErrorNamingIt() {
    String key = "convt.simd.test.budget";
    try {
      assertEquals(7, SimdBackend.budget(key, 7));
      System.setProperty(key, " 1024 ");
      assertEquals(1024, SimdBackend.budget(key, 7));
      for (String bad : new String[] {"-1", "1MiB"}) {
        System.setProperty(key, bad);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SimdBackend.budget(key, 7));
        assertEquals("Invalid -D" + key + "=" + bad + ": expected a number of bytes >= 0", e.getMessage());
      }
    } finally {
      System.clearProperty(key);
    }
  }

  @Test
  void theLeastRecentlyUsedEntryGoesFirstAndOversizedEntriesAreNotKept() {
    ByteBoundedCache<String, long[]> c = new ByteBoundedCache<>(100, v -> v[0]);
    c.putIfAbsent("a", new long[] {40});
    c.putIfAbsent("b", new long[] {40});
    c.get("a"); // b is now the least recently used
    c.putIfAbsent("c", new long[] {40});
    assertEquals(2, c.size());
    assertTrue(c.get("b") == null && c.get("a") != null && c.get("c") != null);
    assertEquals(80, c.bytes());
    long[] huge = {101};
    assertSame(huge, c.putIfAbsent("d", huge));
    assertEquals(2, c.size(), "an entry larger than the budget is returned, not kept");
    assertEquals(c.recount(), c.bytes());
  }
}

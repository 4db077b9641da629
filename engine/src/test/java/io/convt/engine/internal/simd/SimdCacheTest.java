package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
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

  @Test
  void manyImageSizesShareOnePackedCopyOfTheWeights() {
    SimdBackend b = new SimdBackend(64L << 20);
    Random r = new Random(1);
    float[] w = new float[8 * 3 * 3 * 8];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
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
    assertTrue(b.cachedBytes() < 64L << 20, b.cachedBytes() + " bytes");
  }

  @Test
  void theCachesStayWithinTheirByteBudget() {
    long budget = 256L << 10;
    SimdBackend b = new SimdBackend(budget);
    float[] w = new float[8 * 3 * 3 * 8];
    for (int size = 1; size <= 400; size++) {
      ConvProblem p = problem(1, size * 7);
      b.forward(p, new float[p.srcImageSize()], w, null, Activation.IDENTITY, new float[p.dstImageSize()], 1);
      assertTrue(b.cachedBytes() <= budget, "size " + size + ": " + b.cachedBytes() + " bytes cached");
    }
    assertTrue(b.cachedPlans() < 400, b.cachedPlans() + " plans kept");
  }
}

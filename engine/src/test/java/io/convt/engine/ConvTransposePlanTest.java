package io.convt.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.convt.engine.arrow.ImageBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/** The immutable plan: shared by threads without locks, snapshots of the facade, truthful per-pass backends. */
class ConvTransposePlanTest {
  private static final ConvTransposeDescriptor D = ConvTransposeDescriptor.builder(3, 3, 5, 6).stride(2, 2).build();

  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  private static ConvTranspose kernel(ConvTransposeDescriptor d, long seed) {
    Random r = new Random(seed);
    return new ConvTranspose(new ArrayDataSource(d, random(r, d.weightCount()),
        random(r, d.outputFeatureChannels()), "plan-test"));
  }

  /** Sized encodes of many image sizes from several threads on one plan equal one-thread encodes, bit for bit. */
  @Test
  void onePlanServesConcurrentSizedEncodesOfDifferentSizes() throws Exception {
    ConvTransposePlan plan = kernel(D, 1).plan();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (RootAllocator a = new RootAllocator()) {
      List<float[]> inputs = new ArrayList<>();
      List<float[]> want = new ArrayList<>();
      Random r = new Random(2);
      for (int i = 0; i < 12; i++) {
        int h = 3 + i % 4;
        int w = 4 + i;
        float[] x = random(r, 2 * h * w * 5);
        inputs.add(x);
        want.add(encode(a, plan, x, h, w));
      }
      List<Future<float[]>> got = new ArrayList<>();
      for (int rep = 0; rep < 3; rep++) {
        for (int i = 0; i < inputs.size(); i++) {
          int k = i;
          got.add(pool.submit(() -> encode(a, plan, inputs.get(k), 3 + k % 4, 4 + k)));
        }
      }
      for (int i = 0; i < got.size(); i++) {
        assertArrayEquals(want.get(i % inputs.size()), got.get(i).get(), 0f, "encode " + i);
      }
    } finally {
      pool.shutdown();
    }
    assertEquals(Offset.ZERO, plan.properties().offset(), "a plan's sized encodes never write its properties");
  }

  private static float[] encode(RootAllocator a, ConvTransposePlan plan, float[] x, int h, int w) {
    try (ImageBatch src = ImageBatch.allocate(a, 2, h, w, 5)) {
      src.writeAll(x, 0);
      try (ImageBatch dst = plan.encodeBatch(a, src)) {
        float[] out = new float[dst.count() * dst.imageSize()];
        dst.readAll(out, 0);
        return out;
      }
    }
  }

  /** The facade keeps MPS's overwrite of offset on itself; plans taken before are untouched, results equal. */
  @Test
  void facadeOverwritesItsOffsetPlansDoNot() {
    ConvTranspose k = kernel(D, 3);
    k.setPadding(StandardPadding.VALID);
    ConvTransposePlan before = k.plan();
    try (RootAllocator a = new RootAllocator(); ImageBatch src = ImageBatch.allocate(a, 1, 4, 4, 5)) {
      src.writeAll(random(new Random(4), src.imageSize()), 0);
      try (ImageBatch viaFacade = k.encode(a, src); ImageBatch viaPlan = before.encodeBatch(a, src)) {
        DestinationGeometry g = before.destinationFor(4, 4);
        assertEquals(new Offset(g.offsetX(), g.offsetY(), 0), k.offset());
        assertEquals(g.kernelOffsetX(), k.kernelOffsetX());
        assertEquals(Offset.ZERO, before.properties().offset());
        assertArrayEquals(GradientFixtures.all(viaPlan), GradientFixtures.all(viaFacade), 0f);
      }
    }
  }

  /** A plan snapshot does not follow later property changes of its facade. */
  @Test
  void planIsASnapshot() {
    ConvTranspose k = kernel(D, 5);
    ConvTransposePlan p = k.plan();
    k.setClipRect(new ClipRect(1, 1, 0, 2, 2, 1));
    k.setSourceFeatureChannelMaxCount(2);
    assertEquals(ClipRect.ALL, p.properties().clipRect());
    assertEquals(Integer.MAX_VALUE, p.properties().sourceFeatureChannelMaxCount());
    assertEquals(2, k.plan().properties().sourceFeatureChannelMaxCount());
    assertSame(p, p.withProperties(p.properties()));
  }

  /**
   * HALF accumulation runs every pass on the backend FLOAT accumulation uses (the vectorised kernel has its own HALF
   * forward, the reference's bits: HalfAccumulationTwinTest), and the plan says so.
   */
  @Test
  void halfPrecisionRunsOnTheSameBackendsAsFloat() {
    ConvTranspose k = kernel(D, 6);
    String simdOrScalar = k.plan().implementation(KernelPass.FORWARD);
    k.setAccumulatorPrecision(AccumulatorPrecision.HALF);
    ConvTransposePlan p = k.plan();
    for (KernelPass pass : KernelPass.values()) {
      assertEquals(simdOrScalar, p.implementation(pass), pass.toString());
    }
    assertEquals(simdOrScalar, p.implementation());
  }

  /** A kernel wider than the vectorised plans handle runs every pass on the scalar reference. */
  @Test
  void wideKernelIsReportedAsScalar() {
    ConvTransposeDescriptor wide = ConvTransposeDescriptor.builder(65, 1, 2, 2).build();
    ConvTransposePlan p = kernel(wide, 7).plan();
    for (KernelPass pass : KernelPass.values()) {
      assertEquals("scalar", p.implementation(pass), pass.toString());
    }
    assertEquals("scalar", p.implementation());
  }
}

package io.convt.engine.internal.simd;

import static io.convt.engine.internal.simd.TwinKernelTest.abs;
import static io.convt.engine.internal.simd.TwinKernelTest.assertTwin;
import static io.convt.engine.internal.simd.TwinKernelTest.problem;
import static io.convt.engine.internal.simd.TwinKernelTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.NeuronType;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import io.convt.engine.internal.simd.TwinKernelTest.Geometry;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The dense weight gradient's row stripes ({@link WeightGradientPartition}): images large enough for several stripes,
 * where 1, 2, 3 and 5 threads cut the output channels into different chunks and claim the tasks in different orders,
 * must give the same bits, and those bits must match the scalar reference within the rounding bound. (The twin test's
 * geometries are too small for more than one stripe.)
 */
class WeightGradientThreadsTest {
  private static final int L = SimdForward.L;
  private static final int[] THREADS = {1, 2, 3, 5, 7};

  static Stream<Geometry> stripedGeometries() {
    return Stream.of(
        // four-vector slabs, whole rows (the packed-run path), several images per round
        new Geometry("s1_k3_four_vectors", 3, 40, 30, 4 * L, 20, 1, 3, 1, 1, false, NeuronType.NONE, 101),
        // groups, two-vector slabs, stride 2: taps that miss a column take the per-pixel path
        new Geometry("groups2_s2", 2, 36, 32, 40, 24, 2, 4, 2, 1, false, NeuronType.NONE, 102),
        // fewer than 16 output channels: row by row on the NHWC source
        new Geometry("row_wise_cout3", 2, 48, 24, 2 * L, 3, 1, 4, 2, 1, false, NeuronType.NONE, 103),
        // channel slices, shifted clip, dilation, odd channel counts
        new Geometry("slices_dilation", 1, 44, 27, 33, 17, 1, 3, 1, 2, true, NeuronType.NONE, 104),
        // 32-channel groups (the groups4 layer): phase runs over the packed gradient, pairs of blocks per chunk
        new Geometry("groups4_phase_runs", 2, 32, 32, 4 * 2 * L, 4 * 2 * L, 4, 4, 2, 1, false, NeuronType.NONE, 105),
        // phase runs with stride 3, dilation, odd widths, slices and a shifted clip (21 classes)
        new Geometry("phase_runs_s3_dil2_slices", 1, 40, 29, 21, 21, 1, 5, 3, 2, true, NeuronType.NONE, 106),
        // a product too large for phase runs: the per-task gathered gradient
        new Geometry("gathered_wide", 2, 40, 30, 4 * L, 48, 1, 4, 2, 1, false, NeuronType.NONE, 107),
        // N = 1 (s1_k3 N = 1): at 2+ threads the workers pack disjoint rows of one shared source, then all read it
        new Geometry("one_image_phase_runs", 1, 40, 30, 4 * L, 32, 1, 3, 1, 1, false, NeuronType.NONE, 108),
        // N = 1, gathered gradient and odd channel counts, on the shared source
        new Geometry("one_image_gathered", 1, 37, 31, 4 * L + 3, 44, 1, 4, 2, 1, false, NeuronType.NONE, 109));
  }

  static Stream<Geometry> directGeometries() {
    return Stream.of(
        // small images, many channels (dcgan_l2): one stripe, sums straight into the gradient, gathered panels
        new Geometry("direct_gathered", WeightAccumulators.MAX_DIRECT_IMAGES, 8, 8, 8 * L, 48, 1, 4, 2, 1, false, NeuronType.NONE, 201),
        // 32-channel groups, one stripe: phase runs into the gradient, N = 1
        new Geometry("direct_phase_groups", 1, 9, 11, 8 * L, 8 * L, 4, 4, 2, 1, false, NeuronType.NONE, 202),
        // dcgan_l2 at N = 1: one image, each tile zeroed just before its sums, the shared source
        new Geometry("direct_gathered_one_image", 1, 8, 8, 8 * L, 64, 1, 4, 2, 1, false, NeuronType.NONE, 204),
        // one image of three pixel chunks (dcgan_l3-like): into the gradient on one worker, own arrays on several
        new Geometry("direct_one_image_chunks", 1, 12, 12, 8 * L, 64, 1, 4, 2, 1, false, NeuronType.NONE, 205),
        // output channels not a multiple of 4 and a channel slice: own accumulators, stored at the end
        new Geometry("own_accumulators", 2, 9, 7, 4 * L, 42, 1, 3, 2, 1, true, NeuronType.NONE, 203));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("directGeometries")
  void oneStripeWeightGradientIsTheSameBitsAtAnyThreadCount(Geometry geometry) {
    ConvProblem p = problem(geometry);
    assertEquals(1, WeightGradientPartition.stripes(p), p.describe());
    assertEquals(!geometry.name().equals("own_accumulators"), WeightAccumulators.direct(p, 1, true), p.describe());
    assertEquals(geometry.name().equals("direct_one_image_chunks"),
        WeightAccumulators.direct(p, 1, true) && !WeightAccumulators.direct(p, 1, false), p.describe());
    Random r = new Random(geometry.seed());
    float[] src = random(r, p.images() * p.srcImageSize());
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] want = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, src, g, want, null, 1);
    float[] bound = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, abs(src), abs(g), bound, null, 1);
    KernelBackend simd = KernelBackends.lookup("simd");
    float[] first = null;
    for (int threads : THREADS) {
      float[] got = new float[p.weightCount()];
      java.util.Arrays.fill(got, Float.NaN); // every element must be written (zeroed before the sums)
      float[] gotBias = new float[p.cout()];
      simd.backwardWeights(p, src, g, got, gotBias, threads);
      // the bias taken while the gradient is packed (FusedBias) must be the bits of the separate bias pass
      assertArrayEquals(biasPass(p, g), gotBias, geometry.name() + " bias, threads=" + threads);
      assertTwin(geometry.name() + " threads=" + threads, want, got, bound, p.images() * p.clipH() * p.clipW());
      if (first == null) {
        first = got;
      } else {
        assertArrayEquals(first, got, geometry.name() + ": " + threads + " threads differ from 1 thread");
      }
    }
  }

  @Test
  void theGeometriesCoverBothPackings() {
    assertTrue(PackedGradient.applies(problem(stripedGeometries().filter(g -> g.name().equals("groups4_phase_runs"))
        .findFirst().orElseThrow())));
    assertTrue(PackedGradient.applies(problem(stripedGeometries().filter(
        g -> g.name().equals("phase_runs_s3_dil2_slices")).findFirst().orElseThrow())));
    assertTrue(!PackedGradient.applies(problem(stripedGeometries().filter(g -> g.name().equals("gathered_wide"))
        .findFirst().orElseThrow())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stripedGeometries")
  void stripedWeightGradientIsTheSameBitsAtAnyThreadCount(Geometry geometry) {
    ConvProblem p = problem(geometry);
    int stripes = WeightGradientPartition.stripes(p);
    assertTrue(stripes > 1, "the geometry must have several stripes: " + stripes + " for " + p.describe());
    Random r = new Random(geometry.seed());
    float[] src = random(r, p.images() * p.srcImageSize());
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] want = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, src, g, want, null, 1);
    float[] bound = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, abs(src), abs(g), bound, null, 1);
    KernelBackend simd = KernelBackends.lookup("simd");
    float[] first = null;
    for (int threads : THREADS) {
      WeightGradientPartition part = WeightGradientPartition.of(p, threads);
      assertEquals(stripes, part.stripes(), "stripes must not depend on the thread count");
      float[] got = new float[p.weightCount()];
      float[] gotBias = new float[p.cout()];
      simd.backwardWeights(p, src, g, got, gotBias, threads);
      // the bias taken while the gradient is packed (FusedBias) must be the bits of the separate bias pass
      assertArrayEquals(biasPass(p, g), gotBias, geometry.name() + " bias, threads=" + threads);
      assertTwin(geometry.name() + " threads=" + threads, want, got, bound, p.images() * p.clipH() * p.clipW());
      if (first == null) {
        first = got;
      } else {
        assertArrayEquals(first, got, geometry.name() + ": " + threads + " threads differ from 1 thread");
      }
    }
  }

  @Test
  void channelChunksDifferBetweenThreadCountsOnAStripedGeometry() {
    // the bit-identity above means something only if the thread counts cut the work differently
    ConvProblem p = problem(stripedGeometries().findFirst().orElseThrow());
    assertNotEquals(WeightGradientPartition.of(p, 1).tasks(), WeightGradientPartition.of(p, 5).tasks());
  }

  static Stream<Geometry> nonFiniteGeometries() {
    // phase runs (s1_k3_four_vectors: 64→20) and the gathered path (gathered_wide: 64→48)
    return stripedGeometries().filter(g -> g.name().equals("s1_k3_four_vectors") || g.name().equals("gathered_wide"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nonFiniteGeometries")
  void aNonFiniteSourcePixelGivesTheSameBitsAtAnyThreadCount(Geometry geometry) {
    // a non-finite image takes exact pixel runs in every stripe; the infinity must reach only its taps
    ConvProblem p = problem(geometry);
    Random r = new Random(7);
    float[] src = random(r, p.images() * p.srcImageSize());
    src[p.srcImageSize() + (17 * p.srcW() + 5) * p.srcC() + p.sfo() + 2] = Float.POSITIVE_INFINITY;
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] want = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, src, g, want, null, 1);
    KernelBackend simd = KernelBackends.lookup("simd");
    float[] first = null;
    for (int threads : THREADS) {
      float[] got = new float[p.weightCount()];
      simd.backwardWeights(p, src, g, got, null, threads);
      for (int i = 0; i < want.length; i++) {
        assertEquals(Float.isFinite(want[i]), Float.isFinite(got[i]), "element " + i + " threads=" + threads);
      }
      if (first == null) {
        first = got;
      } else {
        assertArrayEquals(first, got, threads + " threads differ from 1 thread");
      }
    }
  }

  static Stream<Geometry> reuseGeometries() {
    return Stream.concat(stripedGeometries(), directGeometries());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("reuseGeometries")
  void keptScratchFromAPoisonedCallNeverReachesTheNextCall(Geometry geometry) {
    // accumulators and panels are kept per thread across calls (ThreadScratch): a call whose sums went NaN must
    // leave no trace in the next call, at one thread (every task on the caller) and at two
    ConvProblem p = problem(geometry);
    Random r = new Random(geometry.seed());
    float[] src = random(r, p.images() * p.srcImageSize());
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] poisoned = src.clone();
    java.util.Arrays.fill(poisoned, Float.NaN);
    KernelBackend simd = KernelBackends.lookup("simd");
    for (int threads : new int[] {1, 2}) {
      float[] before = new float[p.weightCount()];
      simd.backwardWeights(p, src, g, before, null, threads);
      float[] nan = new float[p.weightCount()];
      simd.backwardWeights(p, poisoned, g, nan, null, threads);
      boolean reached = false;
      for (float v : nan) {
        reached |= Float.isNaN(v);
      }
      assertTrue(reached, geometry.name() + ": the poisoned call must reach the sums");
      float[] after = new float[p.weightCount()];
      simd.backwardWeights(p, src, g, after, null, threads);
      assertArrayEquals(before, after, geometry.name() + " threads=" + threads + ": a kept array leaked");
    }
  }

  @Test
  void twoThreadsGetEqualShares() {
    // s1_k3 (5 stripes × 3 kernel rows = 15 tiles of one chunk): an odd task count would leave one thread idle
    ConvProblem s1k3 = layer(1, 56, 56, 64, 64, 3, 1, 1);
    assertEquals(0, WeightGradientPartition.of(s1k3, 2).tasks() % 2, "tasks " + WeightGradientPartition.of(s1k3, 2));
    // the busiest of 3 threads: 12 tasks of 11, 11, 10 blocks beat 4 tasks of 32 (dcgan_l3's 4 kernel rows)
    assertEquals(11, WeightGradientPartition.balanced(4, 32, 32, 3));
    assertEquals(16, WeightGradientPartition.balanced(4, 64, 16, 2));
  }

  @Test
  void stripesFollowTheGeometry() {
    // large gradient of small images (dcgan_l2: 512→256, 8×8): one stripe, parallel over output tiles only
    assertEquals(1, WeightGradientPartition.stripes(layer(32, 8, 8, 512, 256, 4, 2, 1)));
    // large images with few channels (s1_k3: 64→64, 56×56): several stripes, at most MAX_STRIPES
    int s1k3 = WeightGradientPartition.stripes(layer(1, 56, 56, 64, 64, 3, 1, 1));
    assertTrue(s1k3 > 1 && s1k3 <= WeightGradientPartition.MAX_STRIPES, "s1_k3 stripes " + s1k3);
    // the batch size does not change the stripes (a stripe is a range of rows in every image)
    assertEquals(s1k3, WeightGradientPartition.stripes(layer(16, 56, 56, 64, 64, 3, 1, 1)));
  }

  /** A layer without offsets, clips or slices (padding (k-1)/2, as the benchmark shapes). */
  private static ConvProblem layer(int n, int h, int w, int cin, int cout, int k, int stride, int groups) {
    int pad = (k - 1) / 2;
    int dstH = (h - 1) * stride - 2 * pad + k;
    int dstW = (w - 1) * stride - 2 * pad + k;
    return new ConvProblem(n, h, w, cin, 0, cin, dstH, dstW, cout, 0, cin, cout, groups, k, k, stride, stride, 1, 1,
        pad, pad, 0, 0, dstH, dstW, 0, 0, false);
  }

  /** The bias gradient of the separate pass over the gradient ({@link SimdBackwardWeights#biasGradient}). */
  static float[] biasPass(ConvProblem p, float[] g) {
    float[] b = new float[p.cout()];
    SimdBackwardWeights.biasGradient(p, g, b, 1);
    return b;
  }
}

package io.convt.engine.internal.simd;

import static io.convt.engine.internal.simd.TwinKernelTest.abs;
import static io.convt.engine.internal.simd.TwinKernelTest.assertTwin;
import static io.convt.engine.internal.simd.TwinKernelTest.problem;
import static io.convt.engine.internal.simd.TwinKernelTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.NeuronType;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import io.convt.engine.internal.simd.TwinKernelTest.Geometry;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The few-output-channel gradients ({@link SimdFewOutputs}) against the scalar reference: Cout 1, 2, 3, 5 × Cin 3, 17,
 * 32, 64 (two- and four-vector channel blocks, packed and in-place sources), odd widths (pixel-block tails), strides 1
 * and 2, kernels 2-5 (a 5-row kernel takes the general data gradient), random shifts, clips and extra destination
 * rows and columns (output padding), channel slices, N = 1 and N > 1; the results of 1 and 2 threads must be the same
 * bits, also where the weight gradient is cut into several stripes.
 */
class FewOutputsTwinTest {
  private static KernelBackend simd;

  // looked up before the tests, not when the class loads: C1Probe reads this class's geometries in a JVM without C2
  @BeforeAll
  static void loadSimd() {
    simd = KernelBackends.lookup("simd");
  }

  static Stream<Geometry> geometries() {
    List<Geometry> g = new ArrayList<>();
    int[] couts = {1, 2, 3, 5};
    int[] cins = {3, 17, 32, 64};
    long seed = 500;
    for (int i = 0; i < couts.length; i++) {
      for (int j = 0; j < cins.length; j++) {
        int k = 2 + (i + j) % 3;
        int stride = 1 + (i + j) % 2;
        int n = (i + j) % 3 == 0 ? 1 : 3;
        boolean slices = (i * 4 + j) % 3 == 1;
        g.add(new Geometry("cout" + couts[i] + "_cin" + cins[j] + "_k" + k + "_s" + stride + "_n" + n
            + (slices ? "_slices" : ""), n, 5 + 2 * i, 13 + 8 * j, cins[j], couts[i], 1, k, stride, 1, slices,
            NeuronType.NONE, seed++));
      }
    }
    // the benchmark layers' form (k4 s2, 3 outputs) on rows of a few register blocks, and a 5-row kernel
    g.add(new Geometry("sr_like", 2, 9, 40, 32, 3, 1, 4, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("dcgan_out_like", 1, 12, 31, 64, 3, 1, 4, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("k5_s3_cout2", 2, 6, 17, 17, 2, 1, 5, 3, 1, true, NeuronType.NONE, seed++));
    // odd heights with N > 1, Cout 4 and 7, channel slices, k2-k4 at strides 1 and 2
    g.add(new Geometry("k4_s2_cout7_slices", 3, 7, 23, 32, 7, 1, 4, 2, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("k3_s1_cout4_cin29", 2, 11, 19, 29, 4, 1, 3, 1, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("k2_s2_cout3_slices", 1, 8, 14, 16, 3, 1, 2, 2, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("k4_s1_cout2", 2, 9, 13, 32, 2, 1, 4, 1, 1, false, NeuronType.NONE, seed++));
    // data-gradient tasks of several source rows (padded up front) that cross image boundaries (30 rows per image)
    g.add(new Geometry("k4_s2_cout3_many_rows", 3, 30, 21, 64, 3, 1, 4, 2, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("k3_s1_cout5_many_rows", 2, 45, 11, 32, 5, 1, 3, 1, 1, false, NeuronType.NONE, seed++));
    // kernels two strides wide on two-vector blocks (the stride-phase kernel): strides 1 to 3, odd widths that end
    // mid-block, Cin below a block (3, 17), channel slices, N 1 and 3
    g.add(new Geometry("phases_k2_s1_cin32_cout2", 3, 5, 27, 32, 2, 1, 2, 1, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("phases_k6_s3_cin17_cout3", 2, 7, 15, 17, 3, 1, 6, 3, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("phases_k4_s2_cin3_cout6_slices", 1, 6, 29, 3, 6, 1, 4, 2, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("phases_k4_s2_cin32_cout1_wide", 1, 3, 61, 32, 1, 1, 4, 2, 1, false, NeuronType.NONE, seed++));
    return g.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void bothGradientsMatchTheScalarReferenceAndTheThreadCountChangesNoBits(Geometry geometry) {
    ConvProblem p = problem(geometry);
    assertTrue(SimdFewOutputs.fits(p), "must take the few-output path: " + p.describe());
    Random r = new Random(geometry.seed() * 7);
    float[] src = random(r, p.images() * p.srcImageSize());
    float[] w = random(r, p.weightCount());
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] giWant = src.clone();
    ScalarBackend.INSTANCE.backwardData(p, g, w, giWant, 1);
    float[] giBound = src.clone();
    ScalarBackend.INSTANCE.backwardData(p, abs(g), abs(w), giBound, 1);
    float[] gwWant = new float[p.weightCount()];
    float[] gbWant = new float[p.cout()];
    ScalarBackend.INSTANCE.backwardWeights(p, src, g, gwWant, gbWant, 1);
    float[] gwBound = new float[p.weightCount()];
    float[] gbBound = new float[p.cout()];
    ScalarBackend.INSTANCE.backwardWeights(p, abs(src), abs(g), gwBound, gbBound, 1);
    int pixels = p.images() * p.clipH() * p.clipW();
    float[][] first = null;
    for (int threads : new int[] {1, 2}) {
      String tag = geometry.name() + " threads=" + threads + " " + p.describe();
      float[] gi = src.clone();
      simd.backwardData(p, g, w, gi, threads);
      assertTwin("backwardData " + tag, giWant, gi, abs(giBound), p.cog() * p.kH() * p.kW());
      float[] gw = new float[p.weightCount()];
      float[] gb = new float[p.cout()];
      simd.backwardWeights(p, src, g, gw, gb, threads);
      assertTwin("backwardWeights " + tag, gwWant, gw, gwBound, pixels);
      assertTwin("backwardBias " + tag, gbWant, gb, gbBound, pixels);
      if (first == null) {
        first = new float[][] {gi, gw, gb};
      } else {
        assertArrayEquals(first[0], gi, "backwardData differs from 1 thread: " + tag);
        assertArrayEquals(first[1], gw, "backwardWeights differs from 1 thread: " + tag);
        assertArrayEquals(first[2], gb, "backwardBias differs from 1 thread: " + tag);
      }
    }
  }

  @Test
  void theKernelsThemselvesRunOnTheseGeometries() {
    // the dispatch must not quietly send them to the general path: the entry points accept every finite case
    // except the data gradient of kernels taller than four rows that the stride-phase block does not run
    geometries().forEach(geometry -> {
      ConvProblem p = problem(geometry);
      Random r = new Random(1);
      float[] src = random(r, p.images() * p.srcImageSize());
      float[] w = random(r, p.weightCount());
      float[] g = random(r, p.images() * p.dstImageSize());
      // two-vector blocks of kernels two strides wide run any number of kernel rows (the stride-phase block)
      boolean phases = p.kW() == 2 * p.strideX() && SimdPlan.roundUp(p.cig(), 2 * Micro.L) % (4 * Micro.L) != 0;
      assertEquals(p.kH() <= 4 || phases, SimdFewOutputs.data(p, g, w, src.clone(), 2), geometry.name());
      assertTrue(SimdFewOutputs.weights(p, src, g, new float[p.weightCount()], 2), geometry.name());
    });
  }

  @Test
  void stripedWeightGradientIsTheSameBitsAtOneTwoAndThreeThreads() {
    // 3 images × 30 rows: several fixed stripes, claimed in different orders by different thread counts
    ConvProblem p = problem(new Geometry("striped", 3, 30, 45, 32, 3, 1, 4, 2, 1, true, NeuronType.NONE, 77));
    Random r = new Random(78);
    float[] src = random(r, p.images() * p.srcImageSize());
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] one = new float[p.weightCount()];
    assertTrue(SimdFewOutputs.weights(p, src, g, one, 1));
    for (int threads : new int[] {2, 3}) {
      float[] got = new float[p.weightCount()];
      assertTrue(SimdFewOutputs.weights(p, src, g, got, threads));
      assertArrayEquals(one, got, threads + " threads differ from 1 thread");
    }
  }

  @Test
  void nonFiniteValuesTakeTheGeneralPathAndMatchTheReference() {
    // zero padding would form 0·∞ = NaN where the reference forms no term: the entry points refuse, the backend
    // recomputes on the general path
    ConvProblem p = problem(new Geometry("inf", 1, 6, 20, 32, 3, 1, 4, 2, 1, false, NeuronType.NONE, 17));
    Random r = new Random(19);
    float[] src = random(r, p.images() * p.srcImageSize());
    src[(2 * p.srcW()) * p.srcC() + p.sfo() + 5] = Float.POSITIVE_INFINITY;
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] w = random(r, p.weightCount());
    w[7] = Float.NEGATIVE_INFINITY;
    assertFalse(SimdFewOutputs.weights(p, src, g, new float[p.weightCount()], 1));
    assertFalse(SimdFewOutputs.data(p, g, w, new float[src.length], 1));
    float[] gwWant = new float[p.weightCount()];
    float[] gw = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, src, g, gwWant, null, 1);
    simd.backwardWeights(p, src, g, gw, null, 2);
    float[] giWant = new float[src.length];
    float[] gi = new float[src.length];
    ScalarBackend.INSTANCE.backwardData(p, g, w, giWant, 1);
    simd.backwardData(p, g, w, gi, 2);
    for (int i = 0; i < gwWant.length; i++) {
      assertEquals(Float.isNaN(gwWant[i]), Float.isNaN(gw[i]), "weight gradient element " + i);
      assertEquals(Float.isFinite(gwWant[i]), Float.isFinite(gw[i]), "weight gradient element " + i);
    }
    for (int i = 0; i < giWant.length; i++) {
      assertEquals(Float.isNaN(giWant[i]), Float.isNaN(gi[i]), "data gradient element " + i);
      assertEquals(Float.isFinite(giWant[i]), Float.isFinite(gi[i]), "data gradient element " + i);
    }
  }
}

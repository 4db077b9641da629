package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.NeuronType;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelWeights;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SimdPointwise} (source pixels that never share an output pixel) against the scalar reference, all three
 * passes, with {@link TwinKernelTest}'s checks (rounding bound, same bits at 1, 2 and 3 threads): 1×1 and 2×3
 * sources, N = 1 and N > 1, random window shifts and clips that crop taps, strides that leave output pixels no tap
 * reaches (bias only), dilation, groups, channel slices (fewer channels read), neurons, channel counts that are not
 * multiples of the vector length, several input-channel blocks and several data-gradient slices.
 */
class PointwiseTwinTest {
  @BeforeAll
  static void loadSimd() {
    TwinKernelTest.loadSimd();
  }

  static Stream<TwinKernelTest.Geometry> geometries() {
    int l = SimdForward.L;
    List<TwinKernelTest.Geometry> g = new ArrayList<>();
    long seed = 1000;
    // name, n, h, w, cin, cout, groups, k, stride, dil, slices, neuron
    g.add(geo("proj_1x1_n1", 1, 1, 1, 20, 36, 1, 4, 1, 1, false, NeuronType.NONE, seed++));
    g.add(geo("proj_1x1_n3", 3, 1, 1, 20, 36, 1, 4, 1, 1, false, NeuronType.NONE, seed++));
    g.add(geo("proj_1x1_cin100_n1", 1, 1, 1, 100, 37, 1, 4, 1, 1, false, NeuronType.NONE, seed++));
    g.add(geo("proj_1x1_cin100_n2", 2, 1, 1, 100, 37, 1, 4, 1, 1, false, NeuronType.RELU, seed++));
    g.add(geo("proj_1x1_k3_n5_slices", 5, 1, 1, l + 3, 2 * l + 1, 1, 3, 1, 1, true, NeuronType.NONE, seed++));
    g.add(geo("proj_1x1_groups2_n1", 1, 1, 1, 2 * 45, 2 * 19, 2, 4, 1, 1, false, NeuronType.NONE, seed++));
    g.add(geo("proj_1x1_groups3_n4_slices", 4, 1, 1, 3 * 7, 3 * 5, 3, 3, 1, 1, true, NeuronType.TANH, seed++));
    // (with slices the generator's clip may crop up to three columns: kernels of at least 3 keep it non-empty)
    // more input channels than one block of eight vectors, and enough weight rows for several gradient slices
    g.add(geo("proj_1x1_wide_cin_n1", 1, 1, 1, 8 * l + 9, 40, 1, 2, 1, 1, false, NeuronType.NONE, seed++));
    g.add(geo("proj_1x1_wide_cin_n3", 3, 1, 1, 8 * l + 9, 40, 1, 3, 1, 1, true, NeuronType.NONE, seed++));
    g.add(geo("proj_1x1_slices_of_rows_n1", 1, 1, 1, 23, 260, 1, 4, 1, 1, false, NeuronType.NONE, seed++));
    g.add(geo("proj_1x1_slices_of_rows_n2", 2, 1, 1, 23, 260, 1, 4, 1, 1, false, NeuronType.NONE, seed++));
    // one pixel in all on the packed layouts: four-vector forward panels (Cout a multiple of 4L) with an odd Cin,
    // data-gradient rows padded to whole vectors, clips that crop taps (skipped rows), channel slices, groups whose
    // Cout fills four-vector panels, and enough tap-major rows for several slices that split a tap
    g.add(geo("proj_1x1_four_vector_panels_n1", 1, 1, 1, 2 * l + 1, 4 * l, 1, 4, 1, 1, false, NeuronType.NONE,
        seed++));
    g.add(geo("proj_1x1_four_vector_panels_clip_n1", 1, 1, 1, 33, 8 * l, 1, 3, 1, 1, true, NeuronType.RELU, seed++));
    g.add(geo("proj_1x1_clip_n1", 1, 1, 1, l + 3, 2 * l + 1, 1, 3, 1, 1, true, NeuronType.NONE, seed++));
    g.add(geo("proj_1x1_groups2_four_vector_clip_n1", 1, 1, 1, 2 * 21, 2 * 4 * l, 2, 3, 1, 1, true,
        NeuronType.NONE, seed++));
    g.add(geo("proj_1x1_groups3_clip_n1", 1, 1, 1, 3 * 7, 3 * 5, 3, 3, 1, 1, true, NeuronType.TANH, seed++));
    g.add(geo("proj_1x1_wide_cin_slices_split_taps_clip_n1", 1, 1, 1, 8 * l + 9, 300, 1, 3, 1, 1, true,
        NeuronType.NONE, seed++));
    // 2×3 sources: k2 s2 (U-Net up-convolution), k3 s4 (output pixels no tap reaches), k2 s3 dilation 2
    g.add(geo("k2s2_2x3_n1", 1, 2, 3, 17, 9, 1, 2, 2, 1, false, NeuronType.NONE, seed++));
    g.add(geo("k2s2_2x3_n2_slices", 2, 2, 3, 33, 2 * l + 1, 1, 2, 2, 1, true, NeuronType.NONE, seed++));
    g.add(geo("k3s4_2x3_gaps_n2", 2, 2, 3, 9, 20, 1, 3, 4, 1, false, NeuronType.SIGMOID, seed++));
    g.add(geo("k2s3_dil2_2x3_n1", 1, 2, 3, 12, 18, 1, 2, 3, 2, false, NeuronType.NONE, seed++));
    g.add(geo("k2s2_4x4_groups2_n3", 3, 4, 4, 2 * l, 2 * 6, 2, 2, 2, 1, true, NeuronType.NONE, seed++));
    return g.stream();
  }

  private static TwinKernelTest.Geometry geo(String name, int n, int h, int w, int cin, int cout, int groups, int k,
      int stride, int dil, boolean slices, NeuronType neuron, long seed) {
    return new TwinKernelTest.Geometry(name, n, h, w, cin, cout, groups, k, stride, dil, slices, neuron, seed);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void allPassesMatchScalar(TwinKernelTest.Geometry g) {
    ConvProblem p = TwinKernelTest.problem(g);
    SimdPlan plan = new SimdPlan(p.geometry());
    assertTrue(plan.pointwise(), g.name() + " runs the pointwise path: " + p.describe());
    assertTrue(SimdPointwise.applies(p.geometry()), g.name());
    new TwinKernelTest().allPassesMatchScalar(g);
  }

  @Test
  void dcganProjectionShapeMatchesScalar() {
    // the benchmark layer itself (100 -> 512, k4, 1x1 -> 4x4), one and four images
    for (int n : new int[] {1, 4}) {
      ConvProblem p = new ConvProblem(n, 1, 1, 100, 0, 100, 4, 4, 512, 0, 100, 512, 1, 4, 4, 1, 1, 1, 1, 0, 0, 0, 0,
          4, 4, 0, 0, false);
      assertEquals(SimdPlan.Kind.DENSE, new SimdPlan(p.geometry()).forwardKind());
      Random r = new Random(n);
      float[] src = TwinKernelTest.random(r, n * p.srcImageSize());
      float[] w = TwinKernelTest.random(r, p.weightCount());
      float[] g = TwinKernelTest.random(r, n * p.dstImageSize());
      float[] want = new float[g.length];
      float[] got = new float[g.length];
      ScalarBackend.INSTANCE.forward(p, src, w, null, Activation.IDENTITY, want, 1);
      new SimdBackend().forward(p, src, w, null, Activation.IDENTITY, got, 2);
      float[] bound = new float[g.length];
      ScalarBackend.INSTANCE.forward(p, TwinKernelTest.abs(src), TwinKernelTest.abs(w), null, Activation.IDENTITY,
          bound, 1);
      TwinKernelTest.assertTwin("forward N=" + n, want, got, bound, 100);
      float[] gi = new float[src.length];
      float[] giWant = new float[src.length];
      ScalarBackend.INSTANCE.backwardData(p, g, w, giWant, 1);
      new SimdBackend().backwardData(p, g, w, gi, 2);
      float[] giBound = new float[src.length];
      ScalarBackend.INSTANCE.backwardData(p, TwinKernelTest.abs(g), TwinKernelTest.abs(w), giBound, 1);
      TwinKernelTest.assertTwin("backwardData N=" + n, giWant, gi, giBound, 512 * 16);
      float[] gw = new float[w.length];
      float[] gwWant = new float[w.length];
      ScalarBackend.INSTANCE.backwardWeights(p, src, g, gwWant, null, 1);
      new SimdBackend().backwardWeights(p, src, g, gw, null, 2);
      float[] gwBound = new float[w.length];
      ScalarBackend.INSTANCE.backwardWeights(p, TwinKernelTest.abs(src), TwinKernelTest.abs(g), gwBound, null, 1);
      TwinKernelTest.assertTwin("backwardWeights N=" + n, gwWant, gw, gwBound, n * 16);
    }
  }

  @Test
  void newWeightsVersionsArePackedAgainAtOnePixel() {
    // the packed panels and padded rows are cached per weights version: each call below with a cached pack must
    // compute with its own handle's values (a new version is packed again; an older handle's pack is not reused);
    // window shift -1: every tap of the 3×3 kernel lands in the 3×3 output, so every packed row counts
    int l = SimdForward.L;
    for (int cout : new int[] {4 * l, 37}) {
      ConvProblem p = new ConvProblem(1, 1, 1, 33, 0, 33, 3, 3, cout, 0, 33, cout, 1, 3, 3, 1, 1, 1, 1, -1, -1, 0, 0,
          3, 3, 0, 0, false);
      assertTrue(new SimdPlan(p.geometry()).pointwise());
      assertTrue(java.util.Arrays.stream(SimdPointwise.targets(p)).allMatch(t -> t >= 0), "every tap reached");
      SimdBackend simd = new SimdBackend();
      Random r = new Random(cout);
      float[] src = TwinKernelTest.random(r, p.srcImageSize());
      float[] g = TwinKernelTest.random(r, p.dstImageSize());
      KernelWeights[] versions = new KernelWeights[3];
      for (int v = 0; v < versions.length; v++) {
        versions[v] = KernelWeights.of(TwinKernelTest.random(r, p.weightCount()));
      }
      for (int call : new int[] {0, 0, 1, 1, 2, 0, 2}) {
        float[] w = versions[call].values();
        float[] want = new float[p.dstImageSize()];
        float[] got = new float[want.length];
        ScalarBackend.INSTANCE.forward(p, src, w, null, Activation.IDENTITY, want, 1);
        simd.forward(p, src, versions[call], null, Activation.IDENTITY, got, 1);
        float[] bound = new float[want.length];
        ScalarBackend.INSTANCE.forward(p, TwinKernelTest.abs(src), TwinKernelTest.abs(w), null, Activation.IDENTITY,
            bound, 1);
        TwinKernelTest.assertTwin("forward, version " + call, want, got, bound, 33);
        float[] giWant = new float[src.length];
        float[] gi = new float[src.length];
        ScalarBackend.INSTANCE.backwardData(p, g, w, giWant, 1);
        simd.backwardData(p, g, versions[call], gi, 1);
        float[] giBound = new float[src.length];
        ScalarBackend.INSTANCE.backwardData(p, TwinKernelTest.abs(g), TwinKernelTest.abs(w), giBound, 1);
        TwinKernelTest.assertTwin("backwardData, version " + call, giWant, gi, giBound, cout * 9);
      }
    }
  }

  @Test
  void overlappingOrLargeSourcesKeepTheOtherPaths() {
    // k4 s2 taps of neighbouring pixels overlap; 8x8 sources are past the small-image limit; depthwise has its own
    assertFalse(new SimdPlan(TwinKernelTest.problem(geo("o", 1, 2, 3, 8, 8, 1, 4, 2, 1, false, NeuronType.NONE, 1))
        .geometry()).pointwise());
    assertFalse(new SimdPlan(TwinKernelTest.problem(geo("l", 1, 8, 8, 8, 8, 1, 2, 2, 1, false, NeuronType.NONE, 1))
        .geometry()).pointwise());
    assertFalse(new SimdPlan(TwinKernelTest.problem(geo("d", 1, 1, 1, 8, 8, 8, 4, 1, 1, false, NeuronType.NONE, 1))
        .geometry()).pointwise());
  }
}

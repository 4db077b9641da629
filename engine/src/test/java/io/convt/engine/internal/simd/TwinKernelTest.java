package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.convt.engine.Neuron;
import io.convt.engine.NeuronType;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
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
 * The vectorised kernel against the scalar reference, all three passes, on geometries that hit every vector tail
 * (channels 1..17, odd widths, strides 1–3, kernels 1–5, groups, depthwise, dilation, offsets, clips, channel
 * slices, neurons). Tolerance: the float rounding bound {@code K·ε·Σ|terms|}, which grows with the reduction length K.
 */
class TwinKernelTest {
  private static KernelBackend simd;

  @BeforeAll
  static void loadSimd() {
    // fails rather than skips in every case: a twin test that cannot load the twin has tested nothing
    // (the pom sets convt.test.requireSimd=true and --add-modules=jdk.incubator.vector)
    try {
      simd = KernelBackends.lookup("simd");
    } catch (UnsupportedOperationException e) {
      fail("vectorised kernel cannot load (convt.test.requireSimd=" + Boolean.getBoolean("convt.test.requireSimd")
          + "): " + e.getMessage());
    }
    assertEquals("simd", simd.name());
  }

  /** One randomised geometry; {@code seed} drives offsets, clip and slices. */
  record Geometry(String name, int n, int h, int w, int cin, int cout, int groups, int k, int stride, int dil,
      boolean slices, NeuronType neuron, long seed) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Geometry> geometries() {
    List<Geometry> g = new ArrayList<>();
    int[] channels = {1, 3, 4, 5, 7, 8, 9, 15, 16, 17};
    long seed = 1;
    for (int c : channels) {
      g.add(new Geometry("cin" + c + "_cout" + (c + 2) % 17, 2, 5, 7, c, 1 + (c + 2) % 17, 1, 3, 2, 1, false,
          NeuronType.NONE, seed++));
      g.add(new Geometry("cout" + c + "_cin33", 1, 4, 9, 33, c, 1, 4, 2, 1, false, NeuronType.NONE, seed++));
    }
    for (int s = 1; s <= 3; s++) {
      for (int k = 1; k <= 5; k++) {
        g.add(new Geometry("s" + s + "_k" + k, 1, 6, 11, 9, 17, 1, k, s, 1, false, NeuronType.NONE, seed++));
      }
    }
    g.add(new Geometry("groups4", 2, 5, 6, 20, 12, 4, 4, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("groups3_wide", 1, 5, 10, 48, 51, 3, 3, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("depthwise9", 2, 6, 13, 9, 9, 9, 4, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("depthwise17_s3", 1, 5, 6, 17, 17, 17, 5, 3, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("dil2_s2", 1, 7, 9, 16, 8, 1, 3, 2, 2, false, NeuronType.NONE, seed++));
    g.add(new Geometry("dil3_s1", 1, 6, 10, 5, 7, 1, 3, 1, 3, false, NeuronType.NONE, seed++));
    g.add(new Geometry("slices", 2, 5, 9, 16, 9, 1, 3, 2, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("slices_groups", 1, 6, 7, 16, 16, 4, 3, 2, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("slices_depthwise", 1, 6, 7, 15, 15, 15, 3, 2, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("slices_dot", 1, 6, 7, 40, 3, 1, 4, 2, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("relu", 1, 5, 9, 8, 16, 1, 3, 2, 1, false, NeuronType.RELU, seed++));
    g.add(new Geometry("tanh_dot", 1, 5, 9, 32, 3, 1, 4, 2, 1, false, NeuronType.TANH, seed++));
    g.add(new Geometry("sigmoid_dw", 1, 5, 9, 8, 8, 8, 3, 2, 1, true, NeuronType.SIGMOID, seed++));
    // register blocks of four vectors (channel counts that are multiples of 4L) and channel chunks longer than kc
    int l = SimdForward.L;
    g.add(new Geometry("four_vector_blocks", 2, 5, 9, 4 * l, 8 * l, 1, 4, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("four_vector_slices", 1, 5, 7, 4 * l + 3, 4 * l, 1, 3, 2, 1, true, NeuronType.RELU, seed++));
    g.add(new Geometry("four_vector_groups", 1, 4, 6, 8 * l, 8 * l, 2, 3, 1, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("long_cin_chunks", 1, 3, 5, 200, 20, 1, 2, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("long_cout_chunks", 1, 3, 5, 8, 150, 1, 2, 2, 1, false, NeuronType.NONE, seed++));
    // depthwise channel tails as one overlapping vector (2L+5 channels), with slices (fewer channels read than
    // written) and a neuron, and whole vectors only (2L)
    g.add(new Geometry("depthwise_overlap", 2, 5, 7, 2 * l + 5, 2 * l + 5, 2 * l + 5, 4, 2, 1, false, NeuronType.NONE,
        seed++));
    g.add(new Geometry("depthwise_overlap_slices", 1, 5, 7, 2 * l + 5, 2 * l + 5, 2 * l + 5, 3, 2, 1, true,
        NeuronType.RELU, seed++));
    g.add(new Geometry("depthwise_whole_vectors", 1, 4, 6, 2 * l, 2 * l, 2 * l, 16, 8, 1, false, NeuronType.NONE,
        seed++));
    g.add(new Geometry("wide_k7_s4", 1, 4, 5, 6, 10, 2, 7, 4, 1, true, NeuronType.NONE, seed++));
    // eight-pixel blocks (two adjacent four-pixel blocks with the same taps) on two-vector channel blocks: rows of
    // 20+ same-phase columns, with and without slices and clip edges
    g.add(new Geometry("pairs_groups2", 2, 4, 21, 4 * l, 4 * l, 2, 4, 2, 1, false, NeuronType.NONE, seed++));
    // data gradient blocks cut per kernel column: six-pixel blocks of four-vector channels (32-register files) and
    // eight-pixel blocks of two, with kernel rows summed in one call (short reductions per tap), edges, dilation,
    // slices and odd widths
    g.add(new Geometry("six_pixel_kernel_rows", 2, 5, 23, 4 * l, 24, 1, 3, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("six_pixel_dil2_slices", 1, 6, 19, 4 * l, 20, 1, 3, 1, 2, true, NeuronType.RELU, seed++));
    g.add(new Geometry("six_pixel_long_cout", 1, 4, 17, 4 * l, 70, 1, 4, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("eight_pixel_kernel_rows_groups4", 2, 4, 29, 8 * l, 64, 4, 4, 2, 1, false, NeuronType.NONE,
        seed++));
    // data gradient tasks holding every group of a chunk: several input-channel blocks per group, channel slices
    // that leave a group's last blocks unread, dilation, the flat-list path (few outputs per group) and the dense one
    g.add(new Geometry("groups3_cin_blocks_slices", 3, 4, 13, 3 * (4 * l + 5), 3 * 20, 3, 4, 2, 1, true,
        NeuronType.NONE, seed++));
    g.add(new Geometry("groups2_cin_blocks_few_outputs", 2, 5, 11, 2 * (4 * l + 5), 2 * 6, 2, 3, 2, 2, true,
        NeuronType.RELU, seed++));
    g.add(new Geometry("groups4_two_vector_dil2", 1, 6, 17, 4 * 2 * l, 4 * 2 * l, 4, 3, 1, 2, false, NeuronType.NONE,
        seed++));
    // data-gradient channel chunks as deep as the L1D allows: several chunks at 32 and at 48 KiB, with slices
    g.add(new Geometry("deep_chunks_cout300", 2, 3, 9, 4 * l, 300, 1, 3, 2, 1, true, NeuronType.NONE, seed++));
    // data-gradient panels too deep to fuse kernel rows (one call per tap, column blocks kept in the plan): stride 1
    // with odd widths and slices, 5-wide kernels on two-vector blocks, rows narrower than the kernel
    g.add(new Geometry("tap_calls_s1_slices", 3, 5, 29, 4 * l, 4 * l, 1, 3, 1, 1, true, NeuronType.RELU, seed++));
    g.add(new Geometry("tap_calls_k5_s2", 1, 4, 23, 4 * l + 2, 3 * l, 1, 5, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("tap_calls_narrow", 2, 3, 2, 4 * l, 4 * l, 1, 5, 1, 1, true, NeuronType.NONE, seed++));
    // data gradients summed straight into the gradient (short sums per source pixel: taps × Cout/group <= 256):
    // stride == kernel with several full input-channel blocks, slices leaving a partial block (row buffers),
    // edge blocks of one to five pixels, groups
    g.add(new Geometry("direct_gradient_k2_s2", 2, 4, 13, 8 * l, 4 * l, 1, 2, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("direct_gradient_k2_s2_slices", 1, 5, 11, 8 * l + 3, 4 * l, 1, 2, 2, 1, true,
        NeuronType.RELU, seed++));
    g.add(new Geometry("direct_gradient_k3_s1_groups2", 3, 4, 9, 8 * l, 48, 2, 3, 1, 1, false, NeuronType.NONE,
        seed++));

    // forward register blocks of up to six pixels (four-vector channel blocks, 32 registers) cut per stride phase,
    // and eight-pixel pairs broken by an edge tap run as one call with a junk tail: odd widths, clip edges, slices,
    // dilation, stride 1 to 3, groups, N 1 and 3, a neuron
    g.add(new Geometry("six_pixel_fwd_s1", 3, 4, 31, 24, 4 * l, 1, 3, 1, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("six_pixel_fwd_s2_slices", 1, 5, 17, 4 * l + 5, 4 * l + 3, 1, 4, 2, 1, true, NeuronType.RELU,
        seed++));
    g.add(new Geometry("six_pixel_fwd_s3_dil2", 2, 4, 13, 19, 8 * l, 1, 3, 3, 2, false, NeuronType.NONE, seed++));
    g.add(new Geometry("six_pixel_fwd_groups2", 1, 3, 25, 2 * l, 8 * l, 2, 5, 1, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("kernel_rows_chunks_s1_slices", 2, 4, 15, 70, 4 * l, 1, 3, 1, 1, true, NeuronType.RELU,
        seed++));
    g.add(new Geometry("kernel_rows_dil2_s1", 1, 5, 14, 33, 4 * l, 1, 3, 1, 2, false, NeuronType.NONE, seed++));
    g.add(new Geometry("pair_runs_groups4_s2", 3, 5, 19, 8 * l, 8 * l, 4, 4, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("fused_rows_s3_dil2_slices", 2, 4, 13, 24, 2 * l, 1, 5, 3, 2, true, NeuronType.RELU,
        seed++));
    g.add(new Geometry("pair_runs_s1_dil3_slices", 1, 4, 23, 2 * l + 1, 2 * l, 1, 4, 1, 3, true, NeuronType.TANH,
        seed++));
    // tiny images (at most 16 pixels): the weight gradient is summed straight into the OHWI gradient
    g.add(new Geometry("one_pixel_images", 3, 1, 1, 20, 36, 1, 4, 1, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("tiny_images_groups", 4, 3, 4, 4 * l + 5, 4 * l, 2, 3, 2, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("pairs_s1_slices", 1, 3, 27, 2 * l + 3, 2 * l - 1, 1, 3, 1, 1, true, NeuronType.RELU, seed++));
    // weight gradient in rounds of several images per packing, bias blocks split over threads with a channel tail
    g.add(new Geometry("image_rounds_bias_tail", 5, 4, 6, 2 * l + 1, 2 * l + 3, 1, 3, 2, 1, true, NeuronType.NONE,
        seed++));
    // a few output channels on wide rows (several register blocks per stride phase): stride phases, odd channel
    // counts, slices and clip, dilation, one to four outputs, neurons
    g.add(new Geometry("pixels_s2_cout3", 2, 5, 40, 33, 3, 1, 4, 2, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("pixels_s1_dil2_cout4", 1, 4, 70, 5, 4, 1, 3, 1, 2, false, NeuronType.RELU, seed++));
    g.add(new Geometry("pixels_s3_cout1", 1, 4, 40, 16, 1, 1, 5, 3, 1, true, NeuronType.TANH, seed++));
    // data-gradient four-pixel blocks of four vectors summing fused kernel rows in one call (MicroRows4): rows of
    // four columns, small enough for C1Probe
    g.add(new Geometry("four_pixel_kernel_rows", 1, 3, 4, 4 * l, 16, 1, 3, 1, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("pixels_s4_k7_cout2", 2, 3, 40, 7, 2, 1, 7, 4, 1, false, NeuronType.NONE, seed++));
    // the TAPS forward (few outputs on one group, rows of at least 8 pixels): widths not a multiple of the 8-pixel
    // block or the vector, tap lanes of 1, 2, 3 and 4 vectors with a partial last one, strides 1-3, dilation
    // (one run per kernel column), slices and clips (scalar finish), bias on a dense row, neurons, N = 1 and 3
    g.add(new Geometry("taps_s2_k4_cout3", 3, 6, 37, 32, 3, 1, 4, 2, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("taps_s2_k3_cout3_slices", 1, 5, 21, 20, 3, 1, 3, 2, 1, true, NeuronType.NONE, seed++));
    g.add(new Geometry("taps_s1_k5_cout2_dil2", 2, 4, 8, 7, 2, 1, 5, 1, 2, false, NeuronType.RELU, seed++));
    g.add(new Geometry("taps_s3_k2_cout7_slices", 1, 4, 19, 16, 7, 1, 2, 3, 1, true, NeuronType.TANH, seed++));
    g.add(new Geometry("taps_s2_k4_cout1_cin2", 1, 6, 9, 2, 1, 1, 4, 2, 1, false, NeuronType.NONE, seed++));
    // six-pixel register blocks (MicroRows6) on problems small enough for C1CompilabilityTest's probe (C1 runs
    // vector code ~1000x slower than C2)
    g.add(new Geometry("six_pixel_fwd_small", 1, 3, 13, 8, 4 * l, 1, 3, 1, 1, false, NeuronType.NONE, seed++));
    g.add(new Geometry("six_pixel_bwd_small", 1, 2, 13, 4 * l, 8, 1, 3, 2, 1, false, NeuronType.NONE, seed++));
    return g.stream();
  }

  /** Builds a consistent problem with random shift, clip and (optionally) channel slices. */
  static ConvProblem problem(Geometry g) {
    Random r = new Random(g.seed());
    int sfo = g.slices() ? 1 + r.nextInt(3) : 0;
    int cinRead = g.slices() ? Math.max(1, g.cin() - 1 - r.nextInt(Math.max(1, g.cin() / 2))) : g.cin();
    int srcC = sfo + cinRead + (g.slices() ? r.nextInt(3) : 0);
    int dfo = g.slices() ? r.nextInt(3) : 0;
    int dstC = dfo + g.cout() + (g.slices() ? 1 + r.nextInt(2) : 0);
    int kE = g.dil() * (g.k() - 1) + 1;
    int dstH = (g.h() - 1) * g.stride() + kE + r.nextInt(3);
    int dstW = (g.w() - 1) * g.stride() + kE + r.nextInt(3);
    int tY = r.nextInt(5) - 2;
    int tX = r.nextInt(5) - 2;
    int clipY = r.nextInt(3);
    int clipX = r.nextInt(3);
    int clipH = dstH - clipY - r.nextInt(2);
    int clipW = dstW - clipX - r.nextInt(2);
    return new ConvProblem(g.n(), g.h(), g.w(), srcC, sfo, cinRead, dstH, dstW, dstC, dfo, g.cin(), g.cout(),
        g.groups(), g.k(), g.k(), g.stride(), g.stride(), g.dil(), g.dil(), tY, tX, clipY, clipX, clipH, clipW, 0, 0,
        false);
  }

  static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  static float[] abs(float[] a) {
    float[] b = a.clone();
    for (int i = 0; i < b.length; i++) {
      b[i] = Math.abs(b[i]);
    }
    return b;
  }

  /** |got − want| ≤ (K+2)·ε·bound + tiny, element by element, with the bound from |operands| through the scalar kernel. */
  static void assertTwin(String what, float[] want, float[] got, float[] bound, int k) {
    assertEquals(want.length, got.length, what + ": length");
    for (int i = 0; i < want.length; i++) {
      double tol = (k + 2) * 1.2e-7 * bound[i] + 1e-30;
      if (!(Math.abs(want[i] - got[i]) <= tol)) {
        fail(what + ": element " + i + " scalar=" + want[i] + " simd=" + got[i] + " tol=" + tol);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void allPassesMatchScalar(Geometry g) {
    ConvProblem p = problem(g);
    Random r = new Random(g.seed() * 31);
    float[] src = random(r, p.images() * p.srcImageSize());
    float[] w = random(r, p.weightCount());
    float[] bias = random(r, p.cout());
    float[] gradOut = random(r, p.images() * p.dstImageSize());
    float[] dstInit = random(r, gradOut.length);
    Activation neuron = g.neuron() == NeuronType.NONE ? Activation.IDENTITY : Neuron.of(g.neuron())::apply;
    int kFwd = p.cig() * p.kH() * p.kW();
    // every pass must give the same bits whatever the thread count: results of 1 thread, compared exactly
    float[][] oneThread = null;
    for (int threads : new int[] {1, 2, 3}) {
      String tag = g.name() + " threads=" + threads + " " + p.describe();
      float[] want = dstInit.clone();
      float[] got = dstInit.clone();
      ScalarBackend.INSTANCE.forward(p, src, w, bias, neuron, want, 1);
      simd.forward(p, src, w, bias, neuron, got, threads);
      float[] bound = dstInit.clone();
      ScalarBackend.INSTANCE.forward(p, abs(src), abs(w), abs(bias), Activation.IDENTITY, bound, 1);
      assertTwin("forward " + tag, want, got, abs(bound), kFwd + 1);

      float[] gi = src.clone();
      float[] giWant = src.clone();
      ScalarBackend.INSTANCE.backwardData(p, gradOut, w, giWant, 1);
      simd.backwardData(p, gradOut, w, gi, threads);
      float[] giBound = src.clone();
      ScalarBackend.INSTANCE.backwardData(p, abs(gradOut), abs(w), giBound, 1);
      assertTwin("backwardData " + tag, giWant, gi, abs(giBound), p.cog() * p.kH() * p.kW());

      float[] gw = new float[w.length];
      float[] gb = new float[p.cout()];
      float[] gwWant = new float[w.length];
      float[] gbWant = new float[p.cout()];
      ScalarBackend.INSTANCE.backwardWeights(p, src, gradOut, gwWant, gbWant, 1);
      simd.backwardWeights(p, src, gradOut, gw, gb, threads);
      float[] gwBound = new float[w.length];
      float[] gbBound = new float[p.cout()];
      ScalarBackend.INSTANCE.backwardWeights(p, abs(src), abs(gradOut), gwBound, gbBound, 1);
      int pixels = p.images() * p.clipH() * p.clipW();
      assertTwin("backwardWeights " + tag, gwWant, gw, gwBound, pixels);
      assertTwin("backwardBias " + tag, gbWant, gb, gbBound, pixels);
      if (oneThread == null) {
        oneThread = new float[][] {got, gi, gw, gb};
      } else {
        assertArrayEquals(oneThread[0], got, "forward differs from 1 thread: " + tag);
        assertArrayEquals(oneThread[1], gi, "backwardData differs from 1 thread: " + tag);
        assertArrayEquals(oneThread[2], gw, "backwardWeights differs from 1 thread: " + tag);
        assertArrayEquals(oneThread[3], gb, "backwardBias differs from 1 thread: " + tag);
      }
    }
  }

  @Test
  void tapsGeometriesRunTheTapsForward() {
    geometries().filter(g -> g.name().startsWith("taps_")).forEach(g -> {
      ConvProblem p = problem(g);
      assertEquals(SimdPlan.Kind.TAPS, new SimdPlan(p.geometry()).forwardKind(), g.name());
    });
    // groups and rows narrower than a register block stay on the other paths
    ConvProblem grouped = problem(new Geometry("g", 1, 5, 20, 64, 6, 2, 4, 2, 1, false, NeuronType.NONE, 3));
    assertEquals(SimdPlan.Kind.DOT, new SimdPlan(grouped.geometry()).forwardKind());
    ConvProblem narrow = problem(new Geometry("n", 1, 5, 7, 40, 3, 1, 4, 2, 1, false, NeuronType.NONE, 3));
    assertEquals(SimdPlan.Kind.DOT, new SimdPlan(narrow.geometry()).forwardKind());
  }

  @Test
  void tapsForwardOfAnInfiniteSourcePixelReachesOnlyItsOutputs() {
    // tap lanes past a run hold 0·∞ = NaN for an infinite pixel: they must not reach the neighbouring columns
    ConvProblem p = problem(new Geometry("inf", 1, 6, 20, 32, 3, 1, 4, 2, 1, false, NeuronType.NONE, 17));
    Random r = new Random(19);
    float[] src = random(r, p.images() * p.srcImageSize());
    src[(2 * p.srcW() + 9) * p.srcC() + p.sfo() + 5] = Float.POSITIVE_INFINITY;
    float[] w = random(r, p.weightCount());
    float[] want = new float[p.images() * p.dstImageSize()];
    float[] got = new float[want.length];
    ScalarBackend.INSTANCE.forward(p, src, w, null, Activation.IDENTITY, want, 1);
    simd.forward(p, src, w, null, Activation.IDENTITY, got, 2);
    int finite = 0;
    for (int i = 0; i < want.length; i++) {
      assertEquals(Float.isFinite(want[i]), Float.isFinite(got[i]), "element " + i + ": scalar=" + want[i] + " simd="
          + got[i]);
      finite += Float.isFinite(want[i]) ? 1 : 0;
    }
    assertTrue(finite > 0 && finite < want.length - 4, "the infinite pixel reaches some outputs, not all: " + finite);
  }

  @Test
  void resultsDoNotDependOnThreadCount() {
    resultsDoNotDependOnThreadCount(new Geometry("t", 3, 9, 13, 24, 20, 1, 4, 2, 1, true, NeuronType.NONE, 99));
  }

  /** Six-pixel forward blocks (four-vector channel blocks) and kernel rows in one call (groups, 2L per group). */
  @Test
  void forwardBlocksDoNotDependOnThreadCount() {
    int l = SimdForward.L;
    resultsDoNotDependOnThreadCount(new Geometry("six", 3, 7, 29, 40, 4 * l, 1, 3, 1, 1, true, NeuronType.NONE, 98));
    resultsDoNotDependOnThreadCount(new Geometry("g4", 2, 6, 21, 8 * l, 8 * l, 4, 4, 2, 1, false, NeuronType.NONE,
        97));
  }

  private static void resultsDoNotDependOnThreadCount(Geometry geometry) {
    ConvProblem p = problem(geometry);
    Random r = new Random(5);
    float[] src = random(r, p.images() * p.srcImageSize());
    float[] w = random(r, p.weightCount());
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] one = new float[g.length];
    float[] two = new float[g.length];
    simd.forward(p, src, w, null, Activation.IDENTITY, one, 1);
    simd.forward(p, src, w, null, Activation.IDENTITY, two, 2);
    assertTrue(java.util.Arrays.equals(one, two), "forward differs between 1 and 2 threads");
    float[] gw1 = new float[w.length];
    float[] gw2 = new float[w.length];
    simd.backwardWeights(p, src, g, gw1, null, 1);
    simd.backwardWeights(p, src, g, gw2, null, 2);
    assertTrue(java.util.Arrays.equals(gw1, gw2), "weight gradient differs between 1 and 2 threads");
  }

  @Test
  void weightGradientOfAnInfiniteSourcePixelReachesOnlyItsTaps() {
    // taps that do not reach column 0 must not see its +Inf (the packed-row path multiplies unreached pixels by 0)
    int l = SimdForward.L;
    // k4 s2, no shift: kernel column 3 starts at source column 1 and reaches 23 of the 24 columns
    ConvProblem p = new ConvProblem(1, 6, 24, 2 * l, 0, 2 * l, 14, 50, 2 * l, 0, 2 * l, 2 * l, 1, 4, 4, 2, 2, 1, 1,
        0, 0, 0, 0, 14, 50, 0, 0, false);
    Random r = new Random(13);
    float[] src = random(r, p.images() * p.srcImageSize());
    src[(2 * p.srcW()) * p.srcC() + p.sfo() + 3] = Float.POSITIVE_INFINITY;
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] want = new float[p.weightCount()];
    float[] got = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, src, g, want, null, 1);
    simd.backwardWeights(p, src, g, got, null, 2);
    int finite = 0;
    for (int i = 0; i < want.length; i++) {
      assertEquals(Float.isFinite(want[i]), Float.isFinite(got[i]), "element " + i + ": scalar=" + want[i] + " simd="
          + got[i]);
      assertEquals(Float.isNaN(want[i]), Float.isNaN(got[i]), "element " + i + ": scalar=" + want[i] + " simd="
          + got[i]);
      finite += Float.isFinite(want[i]) ? 1 : 0;
    }
    assertTrue(finite > 0 && finite < want.length, "the infinite pixel reaches some weights, not all: " + finite);
  }

  @Test
  void halfPrecisionForwardIsDelegatedToTheScalarReference() {
    ConvProblem f = problem(new Geometry("h", 1, 5, 6, 8, 8, 1, 3, 2, 1, false, NeuronType.NONE, 7));
    ConvProblem p = new ConvProblem(f.images(), f.srcH(), f.srcW(), f.srcC(), f.sfo(), f.cinRead(), f.dstH(),
        f.dstW(), f.dstC(), f.dfo(), f.cin(), f.cout(), f.groups(), f.kH(), f.kW(), f.strideY(), f.strideX(),
        f.dilY(), f.dilX(), f.tY(), f.tX(), f.clipY(), f.clipX(), f.clipH(), f.clipW(), 0, 0,
        true);
    Random r = new Random(3);
    float[] src = random(r, p.images() * p.srcImageSize());
    float[] w = random(r, p.weightCount());
    float[] want = new float[p.images() * p.dstImageSize()];
    float[] got = new float[want.length];
    ScalarBackend.INSTANCE.forward(p, src, w, null, Activation.IDENTITY, want, 1);
    simd.forward(p, src, w, null, Activation.IDENTITY, got, 2);
    assertTrue(java.util.Arrays.equals(want, got), "HALF forward must be bit-identical to the scalar reference");
  }
}

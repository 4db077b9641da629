package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The depthwise data gradient ({@link SimdDepthwiseBackwardData}) against the scalar reference: channel counts
 * below, at, above and not a multiple of the vector length, PyTorch-style padding and output padding, dilation,
 * strides 1–8, kernels twice the stride and not, rows long enough for 8-pixel blocks and rows of edges only, clip
 * rectangles, channel slices and image offsets, N = 1 and N > 1, blocks over two and four channel vectors, stride-phase
 * blocks of interior row pairs ({@link MicroDepthwisePhases}), and the same bits for 1, 2 and 3 threads.
 */
class DepthwiseBackwardDataTwinTest {
  private static final int L = SimdForward.L;

  /**
   * One depthwise layer: PyTorch geometry (padding, output padding, dilation) plus an optional frame: clip inset,
   * channel slices ({@code sfo}, fewer channels read, wider pixel strides) and image offsets.
   */
  record Layer(String name, int n, int h, int w, int c, int k, int stride, int pad, int outPad, int dil,
      boolean framed, long seed) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Layer> layers() {
    List<Layer> g = new ArrayList<>();
    long seed = 100;
    // the suite's two layers, shrunk: bilinear k16 s8 p4 (21 classes) and k4 s2 p1
    g.add(new Layer("fcn8_like_c21", 2, 5, 6, 21, 16, 8, 4, 0, 1, false, seed++));
    g.add(new Layer("fcn8_like_c21_framed", 1, 4, 7, 21, 16, 8, 4, 0, 1, true, seed++));
    g.add(new Layer("k4s2_c64", 2, 6, 21, 64, 4, 2, 1, 0, 1, false, seed++));
    g.add(new Layer("k4s2_c3_masked", 1, 7, 19, 3, 4, 2, 1, 0, 1, false, seed++));
    g.add(new Layer("k4s2_c2L+3", 3, 5, 13, 2 * L + 3, 4, 2, 1, 0, 1, false, seed++));
    g.add(new Layer("k4s2_cL_framed", 1, 6, 17, L, 4, 2, 1, 0, 1, true, seed++));
    g.add(new Layer("k4s2_c2L+5_framed", 2, 7, 14, 2 * L + 5, 4, 2, 1, 0, 1, true, seed++));
    // between one and two channel vectors with whole 8-pixel blocks (both vectors in one tap loop)
    g.add(new Layer("k16s8_c21_row8", 2, 3, 12, 21, 16, 8, 4, 0, 1, false, seed++));
    g.add(new Layer("k4s2_cL+7_row8_framed", 2, 4, 13, L + 7, 4, 2, 1, 0, 1, true, seed++));
    g.add(new Layer("k3s1_cL+1_row8", 1, 3, 11, L + 1, 3, 1, 1, 0, 1, false, seed++));
    // between three and four channel vectors (4 pixels × every vector in one tap loop), the last one overlapping
    g.add(new Layer("k4s2_c4L-3_row8", 2, 3, 12, 4 * L - 3, 4, 2, 1, 0, 1, false, seed++));
    g.add(new Layer("k4s2_c4L_row8_framed", 1, 4, 14, 4 * L, 4, 2, 1, 0, 1, true, seed++));
    // kernels twice the stride with interior row pairs and column blocks ("phases": MicroDepthwisePhases), with an
    // unpaired last interior row, an overlapping last column block, channel tails, frames, outpad and N > 1
    g.add(new Layer("phases_k16s8_c21", 2, 5, 12, 21, 16, 8, 4, 0, 1, false, seed++));
    g.add(new Layer("phases_k16s8_c21_framed", 1, 4, 13, 21, 16, 8, 4, 0, 1, true, seed++));
    g.add(new Layer("phases_k4s2_c64_odd", 3, 7, 19, 64, 4, 2, 1, 0, 1, false, seed++));
    g.add(new Layer("phases_k4s2_c64_framed", 1, 6, 23, 64, 4, 2, 1, 1, 1, true, seed++));
    g.add(new Layer("phases_k4s2_cL", 2, 4, 11, L, 4, 2, 1, 0, 1, false, seed++));
    g.add(new Layer("phases_k4s2_c33_outpad", 1, 5, 17, 33, 4, 2, 1, 1, 1, false, seed++));
    g.add(new Layer("phases_k2s1_c16_p0", 2, 6, 10, 16, 2, 1, 0, 0, 1, false, seed++));
    g.add(new Layer("phases_k6s3_c7L", 1, 4, 12, 7 + L, 6, 3, 2, 2, 1, true, seed++));
    g.add(new Layer("phases_k16s8_c21_edges_only", 1, 2, 8, 21, 16, 8, 4, 0, 1, false, seed++));
    g.add(new Layer("phases_k4s2_c64_edges_framed", 2, 3, 9, 64, 4, 2, 1, 1, 1, true, seed++));
    g.add(new Layer("phases_k8s4_cL_outpad", 2, 4, 10, L, 8, 4, 2, 1, 1, false, seed++));
    g.add(new Layer("phases_k8s4_p0_c21", 2, 4, 14, 21, 8, 4, 0, 0, 1, false, seed++));
    // gradients above DepthwisePhaseRows.STREAMED_BYTES: the blocks touch the rows two pairs ahead, across images
    g.add(new Layer("phases_streamed_k4s2_c64_odd", 5, 33, 34, 64, 4, 2, 1, 0, 1, false, seed++));
    g.add(new Layer("phases_streamed_k4s2_c64_framed", 4, 32, 35, 64, 4, 2, 1, 1, 1, true, seed++));
    g.add(new Layer("phases_streamed_k16s8_c21", 4, 16, 17, 21, 16, 8, 4, 0, 1, false, seed++));
    // output padding (an extra bottom/right row and column), no padding, odd sizes
    g.add(new Layer("k4s2_outpad1", 1, 5, 11, 21, 4, 2, 1, 1, 1, false, seed++));
    g.add(new Layer("k6s3_p2_outpad2", 2, 4, 10, 17, 6, 3, 2, 2, 1, false, seed++));
    g.add(new Layer("k2s1_p0_c9", 1, 6, 12, 9, 2, 1, 0, 0, 1, false, seed++));
    g.add(new Layer("k8s4_p0_c33_framed", 1, 5, 11, 33, 8, 4, 0, 0, 1, true, seed++));
    // not twice the stride, or dilated: the one-row path only
    g.add(new Layer("k3s1_p1_c21", 2, 5, 9, 21, 3, 1, 1, 0, 1, false, seed++));
    g.add(new Layer("k5s3_p1_c19", 1, 5, 8, 19, 5, 3, 1, 1, 1, true, seed++));
    g.add(new Layer("k4s2_dil2_c21", 1, 6, 10, 21, 4, 2, 2, 1, 2, false, seed++));
    g.add(new Layer("k3s2_dil3_c5", 2, 4, 9, 5, 3, 2, 1, 0, 3, true, seed++));
    // every row or column an edge: tiny images, kernels wider than the output
    g.add(new Layer("one_pixel_k4s2", 3, 1, 1, 21, 4, 2, 1, 0, 1, false, seed++));
    g.add(new Layer("two_rows_k16s8", 1, 2, 3, 21, 16, 8, 4, 0, 1, true, seed++));
    // row pairs whose blocks touch only the left or right edge (MicroDepthwiseSidePhases): 4 blocks per row as in
    // dw_k4_s2, channel counts around the vector length, clip frames, output padding, one and several images
    g.add(new Layer("phases_sides_k4s2_c64_w32", 2, 8, 32, 64, 4, 2, 1, 0, 1, false, seed++));
    g.add(new Layer("phases_sides_k4s2_cL+1_outpad", 1, 9, 27, L + 1, 4, 2, 1, 1, 1, false, seed++));
    g.add(new Layer("phases_sides_k4s2_c3L+5_framed", 3, 7, 25, 3 * L + 5, 4, 2, 1, 0, 1, true, seed++));
    g.add(new Layer("phases_sides_k4s2_p0_c64", 1, 6, 19, 64, 4, 2, 0, 0, 1, false, seed++));
    g.add(new Layer("phases_sides_k4s2_p2_c2L+3_framed", 2, 6, 21, 2 * L + 3, 4, 2, 2, 1, 1, true, seed++));
    // more phases than DepthwisePhaseRows.SIDE_MAX_PHASES: side blocks take the edge kernel
    g.add(new Layer("phases_k6s3_c2L_p2_w20", 1, 6, 20, 2 * L, 6, 3, 2, 0, 1, false, seed++));
    g.add(new Layer("k4s2_c1", 2, 5, 17, 1, 4, 2, 1, 0, 1, false, seed++));
    g.add(new Layer("k4s2_cL-1_framed", 1, 6, 18, L - 1, 4, 2, 1, 1, 1, true, seed++));
    return g.stream();
  }

  /** The layer's problem; a framed one clips, slices and offsets it with values drawn from its seed. */
  static ConvProblem problem(Layer g) {
    Random r = new Random(g.seed());
    int kE = g.dil() * (g.k() - 1) + 1;
    int outH = (g.h() - 1) * g.stride() - 2 * g.pad() + kE + g.outPad();
    int outW = (g.w() - 1) * g.stride() - 2 * g.pad() + kE + g.outPad();
    int cy = (g.dil() * (g.k() - 1) + 1) >> 1;
    int t = g.pad() - g.dil() * (g.k() - 1) + cy;
    boolean f = g.framed();
    int sfo = f ? 1 + r.nextInt(3) : 0;
    int cinRead = f ? g.c() - 1 - r.nextInt(Math.max(1, g.c() / 3)) : g.c();
    int srcC = sfo + Math.max(cinRead, 1) + (f ? r.nextInt(3) : 0);
    int dfo = f ? r.nextInt(3) : 0;
    int dstC = dfo + g.c() + (f ? 1 + r.nextInt(2) : 0);
    int clipY = f ? 1 + r.nextInt(2) : 0;
    int clipX = f ? 1 + r.nextInt(2) : 0;
    int dstH = outH + clipY + (f ? r.nextInt(3) : 0);
    int dstW = outW + clipX + (f ? r.nextInt(3) : 0);
    int clipH = outH - (f ? r.nextInt(2) : 0);
    int clipW = outW - (f ? r.nextInt(2) : 0);
    int image0 = f ? 1 : 0;
    return new ConvProblem(g.n(), g.h(), g.w(), srcC, sfo, Math.max(cinRead, 1), dstH, dstW, dstC, dfo, g.c(),
        g.c(), g.c(), g.k(), g.k(), g.stride(), g.stride(), g.dil(), g.dil(), t, t, clipY, clipX, clipH, clipW,
        image0, image0, false);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void dataGradientMatchesScalar(Layer g) {
    KernelBackend simd = KernelBackends.lookup("simd");
    ConvProblem p = problem(g);
    assertEquals(SimdPlan.Kind.DEPTHWISE, new SimdPlan(p.geometry()).backwardDataKind(), g.name());
    Random r = new Random(g.seed() * 7);
    int images = p.srcImage0() + p.images();
    float[] gradOut = TwinKernelTest.random(r, images * p.dstImageSize());
    float[] w = TwinKernelTest.random(r, p.weightCount());
    // what was in gradIn before: channels and images the layer does not own must keep it
    float[] before = TwinKernelTest.random(r, images * p.srcImageSize());
    float[] want = before.clone();
    ScalarBackend.INSTANCE.backwardData(p, gradOut, w, want, 1);
    float[] bound = before.clone();
    ScalarBackend.INSTANCE.backwardData(p, TwinKernelTest.abs(gradOut), TwinKernelTest.abs(w), bound, 1);
    float[] oneThread = null;
    for (int threads : new int[] {1, 2, 3, 5}) {
      float[] got = before.clone();
      simd.backwardData(p, gradOut, w, got, threads);
      String tag = g.name() + " threads=" + threads + " " + p.describe();
      TwinKernelTest.assertTwin("depthwise backwardData " + tag, want, got, TwinKernelTest.abs(bound),
          p.kH() * p.kW());
      if (oneThread == null) {
        oneThread = got;
      } else {
        assertArrayEquals(oneThread, got, "depthwise backwardData differs from 1 thread: " + tag);
      }
    }
  }

  /**
   * Non-finite weights on taps that reach past the clip at the edges, and non-finite gradients in the clip's corner
   * pixels: a tap outside the clip is skipped (never an implicit zero times an infinite weight, which would be NaN),
   * so the edge outputs it would reach stay finite exactly where the scalar reference's do; infinities and NaNs
   * that do reach an output match it, for every thread count.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void nonFiniteValuesAtTheEdgesMatchScalar(Layer g) {
    KernelBackend simd = KernelBackends.lookup("simd");
    ConvProblem p = problem(g);
    Random r = new Random(g.seed() * 11);
    int images = p.srcImage0() + p.images();
    float[] gradOut = TwinKernelTest.random(r, images * p.dstImageSize());
    float[] w = TwinKernelTest.random(r, p.weightCount());
    int c = p.cinRead();
    int taps = p.kH() * p.kW();
    w[0] = Float.POSITIVE_INFINITY;
    w[(c - 1) * taps + taps - 1] = Float.NaN;
    w[Math.min(1, c - 1) * taps + p.kW() - 1] = Float.NEGATIVE_INFINITY;
    w[(c / 2) * taps + (p.kH() - 1) * p.kW()] = Float.POSITIVE_INFINITY;
    int last = p.images() - 1;
    gradOut[dyIndex(p, 0, 0, 0, 0)] = Float.NaN;
    gradOut[dyIndex(p, last, p.clipH() - 1, p.clipW() - 1, c - 1)] = Float.POSITIVE_INFINITY;
    gradOut[dyIndex(p, 0, 0, p.clipW() - 1, Math.min(2, c - 1))] = Float.NEGATIVE_INFINITY;
    gradOut[dyIndex(p, last, p.clipH() - 1, 0, c / 2)] = Float.NaN;
    float[] before = TwinKernelTest.random(r, images * p.srcImageSize());
    float[] want = before.clone();
    ScalarBackend.INSTANCE.backwardData(p, gradOut, w, want, 1);
    float[] bound = before.clone();
    ScalarBackend.INSTANCE.backwardData(p, TwinKernelTest.abs(gradOut), TwinKernelTest.abs(w), bound, 1);
    int finite = 0;
    for (float v : want) {
      finite += Float.isFinite(v) ? 1 : 0;
    }
    assertTrue(finite < want.length, g.name() + ": no non-finite output, the test injects nothing");
    for (int threads : new int[] {1, 2, 5}) {
      float[] got = before.clone();
      simd.backwardData(p, gradOut, w, got, threads);
      for (int i = 0; i < want.length; i++) {
        String at = g.name() + " threads=" + threads + " element " + i + " scalar=" + want[i] + " simd=" + got[i];
        if (Float.isNaN(want[i])) {
          assertTrue(Float.isNaN(got[i]), at);
        } else if (Float.isInfinite(want[i])) {
          assertEquals(want[i], got[i], at);
        } else {
          double tol = (taps + 2) * 1.2e-7 * Math.abs(bound[i]) + 1e-30;
          assertTrue(Float.isFinite(got[i]) && Math.abs(want[i] - got[i]) <= tol, at + " tol=" + tol);
        }
      }
    }
  }

  /** Index of channel c of clip pixel (v, u) of the layer's image t in the output gradient. */
  private static int dyIndex(ConvProblem p, int t, int v, int u, int c) {
    return (p.dstImage0() + t) * p.dstImageSize() + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC()
        + p.dfo() + c;
  }

  @Test
  void sideLayersTakeTheSideBlocks() {
    layers().filter(g -> g.name().startsWith("phases_sides_")).forEach(g ->
        assertTrue(DepthwisePhaseRows.of(problem(g)).sideBlocks() > 0, g.name() + " runs no side block"));
    layers().filter(g -> g.stride() * g.stride() > DepthwisePhaseRows.SIDE_MAX_PHASES
        && DepthwisePhaseRows.of(problem(g)) != null).forEach(g ->
        assertEquals(0, DepthwisePhaseRows.of(problem(g)).sideBlocks(), g.name() + " runs side blocks"));
  }

  @Test
  void phaseLayersTakeThePhaseBlocks() {
    layers().filter(g -> g.name().startsWith("phases_")).forEach(g ->
        assertTrue(DepthwisePhaseRows.of(problem(g)) != null, g.name() + " does not reach the phase blocks"));
  }

  @Test
  void streamedLayersTouchAhead() {
    layers().forEach(g -> {
      DepthwisePhaseRows rows = DepthwisePhaseRows.of(problem(g));
      boolean streamed = g.name().startsWith("phases_streamed_");
      assertEquals(streamed, rows != null && rows.touchesAhead(), g.name());
    });
  }

  @Test
  void columnRunsCoverEachColumnOnceWithItsKernelColumns() {
    layers().forEach(g -> {
      ConvProblem p = problem(g);
      long[] masks = new SimdPlan(p.geometry()).backwardColumnMasks();
      int next = 0;
      for (SimdDepthwiseBackwardData.ColumnRun run : SimdDepthwiseBackwardData.columnRuns(masks)) {
        assertEquals(next, run.firstColumn(), g.name());
        assertTrue(run.columns() > 0, g.name());
        for (int ix = run.firstColumn(); ix < run.firstColumn() + run.columns(); ix++) {
          long want = run.kxHi() <= run.kxLo() ? 0 : (-1L >>> (64 - (run.kxHi() - run.kxLo()))) << run.kxLo();
          assertEquals(want, masks[ix], g.name() + " column " + ix);
        }
        next += run.columns();
      }
      assertEquals(p.srcW(), next, g.name());
    });
  }
}

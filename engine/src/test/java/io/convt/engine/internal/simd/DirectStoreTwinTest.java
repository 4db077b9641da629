package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The DENSE forward that stores each output finished, straight into the destination, for layers whose every output
 * pixel takes exactly one kernel tap (stride = kernel, as unet_up's k2 s2): against the scalar reference (rounding
 * bound) and, bit for bit, against the row-buffer path of the same kernel (forced by an identity activation that
 * does not say it is one), at 1 to 3 threads. Geometries on both sides of the path's conditions: full images and
 * clip rectangles, channel slices and destination channel offsets, groups, bias or none, odd widths (edge blocks of
 * one to five pixels), N 1 and 3, and outputs a tap does not reach (row-buffer path).
 */
class DirectStoreTwinTest {
  private static final int L = SimdForward.L;
  /** An identity the kernel cannot see as one: the row-buffer path, finishing each element through it. */
  private static final Activation OPAQUE_IDENTITY = (x, c) -> x;

  /** One case; {@code extra} adds destination columns past the last tap (no tap reaches them). */
  record Case(String name, int n, int h, int w, int cin, int cout, int groups, int k, boolean slices, boolean clip,
      boolean bias, int extra, boolean direct) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("k2_s2_full", 2, 5, 13, 2 * L, 4 * L, 1, 2, false, false, true, 0, true),
        // small enough for C1CompilabilityTest's probe, yet more than SimdPointwise.MAX_PIXELS source pixels
        new Case("k2_s2_small", 1, 2, 9, 2 * L, 4 * L, 1, 2, false, false, true, 0, true),
        new Case("k2_s2_one_full_chunk_no_bias", 1, 4, 7, SimdForward.forwardKc(4 * L), 4 * L, 1, 2, false, false,
            false, 0, true),
        new Case("k3_s3_slices_odd", 1, 3, 7, SimdForward.forwardKc(4 * L) - 2, 4 * L, 1, 3, true, false, true, 0,
            true),
        new Case("k2_s2_groups2_clip", 3, 4, 11, 2 * (L + 1), 2 * 4 * L, 2, 2, false, true, true, 0, true),
        new Case("k4_s4_eight_vectors_clip_slices", 1, 4, 5, 19, 8 * L, 1, 4, true, true, false, 0, true),
        new Case("k2_s2_unreached_column", 1, 4, 9, 2 * L, 4 * L, 1, 2, false, false, true, 1, false),
        new Case("k2_s2_too_deep_for_one_chunk", 1, 3, 6, SimdForward.forwardKc(4 * L) + 1, 4 * L, 1, 2, false, false,
            true, 0, false));
  }

  static ConvProblem problem(Case c) {
    Random r = new Random(c.name().hashCode());
    int sfo = c.slices() ? 2 : 0;
    int cinRead = c.slices() ? c.cin() - 3 : c.cin();
    int srcC = sfo + cinRead + (c.slices() ? 1 : 0);
    int dfo = c.slices() ? 1 : 0;
    int dstC = dfo + c.cout() + (c.slices() ? 2 : 0);
    int dstH = c.h() * c.k();
    int dstW = c.w() * c.k() + c.extra();
    // the shift that tiles the output: row v takes source row v / k, kernel row v % k
    int t = (c.k() >> 1) - (c.k() - 1);
    int clipY = c.clip() ? 1 + r.nextInt(2) : 0;
    int clipX = c.clip() ? 1 + r.nextInt(3) : 0;
    int clipH = dstH - clipY - (c.clip() ? 1 : 0);
    int clipW = dstW - clipX - (c.clip() ? 2 : 0);
    return new ConvProblem(c.n(), c.h(), c.w(), srcC, sfo, cinRead, dstH, dstW, dstC, dfo, c.cin(), c.cout(),
        c.groups(), c.k(), c.k(), c.k(), c.k(), 1, 1, t, t, clipY, clipX, clipH, clipW, 0, 0, false);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void directStoresMatchTheRowBufferPathAndTheScalarReference(Case c) {
    KernelBackend simd = KernelBackends.lookup("simd");
    assertEquals("simd", simd.name());
    ConvProblem p = problem(c);
    SimdPlan plan = new SimdPlan(p.geometry());
    assertEquals(SimdPlan.Kind.DENSE, plan.forwardKind(), c.name());
    boolean direct = SimdForward.direct(p, plan.cb(), DenseColumns.of(p, plan.cb() / L), Activation.IDENTITY);
    assertEquals(c.direct(), direct, c.name() + ": direct path " + p.describe());
    // (at most SimdPointwise.MAX_PIXELS source pixels would take the pointwise forward instead)
    assertEquals(false, SimdPointwise.applies(p.geometry()), c.name() + ": pointwise " + p.describe());
    Random r = new Random(c.name().hashCode() * 31L);
    float[] src = TwinKernelTest.random(r, p.images() * p.srcImageSize());
    float[] w = TwinKernelTest.random(r, p.weightCount());
    float[] bias = c.bias() ? TwinKernelTest.random(r, p.cout()) : null;
    float[] dstInit = TwinKernelTest.random(r, p.images() * p.dstImageSize());
    float[] want = dstInit.clone();
    ScalarBackend.INSTANCE.forward(p, src, w, bias, Activation.IDENTITY, want, 1);
    float[] bound = dstInit.clone();
    ScalarBackend.INSTANCE.forward(p, TwinKernelTest.abs(src), TwinKernelTest.abs(w),
        bias == null ? null : TwinKernelTest.abs(bias), Activation.IDENTITY, bound, 1);
    for (int threads : List.of(1, 2, 3)) {
      String tag = c.name() + " threads=" + threads + " " + p.describe();
      float[] got = dstInit.clone();
      simd.forward(p, src, w, bias, Activation.IDENTITY, got, threads);
      TwinKernelTest.assertTwin("forward " + tag, want, got, TwinKernelTest.abs(bound),
          p.cig() * p.kH() * p.kW() + 1);
      float[] rowBuffers = dstInit.clone();
      simd.forward(p, src, w, bias, OPAQUE_IDENTITY, rowBuffers, threads);
      assertArrayEquals(rowBuffers, got, "direct stores differ from the row-buffer path: " + tag);
    }
  }
}

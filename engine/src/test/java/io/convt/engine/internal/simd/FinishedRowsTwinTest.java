package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.NeuronType;
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
 * The DENSE forward that sums every tap of a block in registers and stores it finished ({@link DenseFinishedRows},
 * {@link MicroFinishedTaps}): against the scalar reference (rounding bound) and, bit for bit, against the row-buffer
 * path (forced by an identity activation that does not say it is one), at 1 to 3 threads. Grouped layers with 2L
 * output channels per group (groups 1 to 4), strides 1 to 3, dilation, odd sizes, random shifts, clips and output
 * padding (TwinKernelTest's problems), channel slices, N 1 to 3, bias or none; and layers the path must leave alone.
 */
class FinishedRowsTwinTest {
  private static final int L = SimdForward.L;
  private static final Activation OPAQUE_IDENTITY = (x, c) -> x;

  /** A geometry, whether it has a bias, and whether the finished path must take it. */
  record Case(TwinKernelTest.Geometry g, boolean bias, boolean finished) {
    @Override
    public String toString() {
      return g.name();
    }
  }

  private static Case c(String name, int n, int h, int w, int cin, int cout, int groups, int k, int stride, int dil,
      boolean slices, boolean bias, boolean finished, long seed) {
    return new Case(new TwinKernelTest.Geometry(name, n, h, w, cin, cout, groups, k, stride, dil, slices,
        NeuronType.NONE, seed), bias, finished);
  }

  static Stream<Case> cases() {
    return Stream.of(
        c("groups4_k4_s2", 2, 5, 13, 4 * 2 * L, 4 * 2 * L, 4, 4, 2, 1, false, true, true, 41),
        c("groups4_k4_s2_slices", 1, 6, 11, 4 * 2 * L, 4 * 2 * L, 4, 4, 2, 1, true, true, true, 42),
        c("groups2_k4_s2_no_bias", 3, 4, 21, 2 * 2 * L, 2 * 2 * L, 2, 4, 2, 1, true, false, true, 43),
        c("groups3_k3_s2_dil2", 1, 5, 9, 3 * 20, 3 * 2 * L, 3, 3, 2, 2, false, true, true, 44),
        c("groups2_k5_s3_slices", 2, 4, 7, 2 * 24, 2 * 2 * L, 2, 5, 3, 1, true, true, true, 45),
        c("groups4_k3_s1_odd", 3, 3, 19, 4 * 16, 4 * 2 * L, 4, 3, 1, 1, false, true, true, 46),
        c("groups1_k4_s2_dil3", 1, 4, 17, 2 * L - 5, 2 * L, 1, 4, 2, 3, true, true, true, 47),
        // small enough for C1CompilabilityTest's probe
        c("groups1_k4_s2_small", 1, 2, 3, 16, 2 * L, 1, 4, 2, 1, false, true, true, 48),
        // Cout/group not a multiple of 2L, and one tap per row: the row buffers
        c("groups4_cout20", 1, 4, 9, 4 * 16, 4 * 20, 4, 4, 2, 1, false, true, false, 49),
        c("groups2_k1_s1", 1, 4, 9, 2 * 16, 2 * 2 * L, 2, 1, 1, 1, false, true, false, 50));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void finishedStoresMatchTheRowBufferPathAndTheScalarReference(Case c) {
    KernelBackend simd = KernelBackends.lookup("simd");
    assertEquals("simd", simd.name());
    ConvProblem p = TwinKernelTest.problem(c.g());
    SimdPlan plan = new SimdPlan(p.geometry());
    boolean finished = plan.forwardKind() == SimdPlan.Kind.DENSE && !plan.pointwise()
        && DenseFinishedRows.of(plan, p, Activation.IDENTITY) != null;
    assertEquals(c.finished(), finished, c.g().name() + ": finished path " + p.describe());
    Random r = new Random(c.g().seed() * 31);
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
      String tag = c.g().name() + " threads=" + threads + " " + p.describe();
      float[] got = dstInit.clone();
      simd.forward(p, src, w, bias, Activation.IDENTITY, got, threads);
      TwinKernelTest.assertTwin("forward " + tag, want, got, TwinKernelTest.abs(bound),
          p.cig() * p.kH() * p.kW() + 1);
      float[] rowBuffers = dstInit.clone();
      simd.forward(p, src, w, bias, OPAQUE_IDENTITY, rowBuffers, threads);
      assertArrayEquals(rowBuffers, got, "finished stores differ from the row-buffer path: " + tag);
    }
  }
}

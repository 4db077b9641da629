package io.convt.engine.internal.simd;

import static io.convt.engine.internal.simd.TwinKernelTest.abs;
import static io.convt.engine.internal.simd.TwinKernelTest.assertTwin;
import static io.convt.engine.internal.simd.TwinKernelTest.problem;
import static io.convt.engine.internal.simd.TwinKernelTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.NeuronType;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import io.convt.engine.internal.simd.TwinKernelTest.Geometry;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The DENSE data gradient of layers whose dilation is a multiple of the stride, summed over a packed copy of the one
 * stride phase of the gradient it reads ({@link StridePhaseGradient}), against the scalar reference: dil2_s2_op1's
 * form at odd sizes, random padding, output padding and clip insets (from {@link TwinKernelTest#problem}), channel
 * slices, dilations 2 to 6 over strides 2 and 3, input channels below, at and above one register block, grouped
 * layers, and row groups that cross image boundaries (N = 12 of short images), each with a gradient above
 * {@link StridePhaseGradient#MIN_GRADIENT_BYTES}; 1 and 2 threads must give the same bits.
 */
class StridePhaseDataTwinTest {
  private static final KernelBackend SIMD = KernelBackends.lookup("simd");
  private static final int L = Micro.L;

  static Stream<Geometry> geometries() {
    long seed = 2000;
    return List.of(
        new Geometry("dil2_s2_like", 2, 33, 35, 4 * L, 32, 1, 3, 2, 2, false, NeuronType.NONE, seed++),
        new Geometry("dil2_s2_n12_short_images", 12, 5, 40, 4 * L, 32, 1, 3, 2, 2, false, NeuronType.NONE, seed++),
        new Geometry("dil2_s2_slices_odd_cin", 8, 15, 31, 2 * L + 3, 17, 1, 3, 2, 2, true, NeuronType.NONE, seed++),
        new Geometry("dil4_s2_k4", 3, 24, 30, 2 * L, 24, 1, 4, 2, 4, false, NeuronType.NONE, seed++),
        new Geometry("dil3_s3_k2_cin5", 6, 16, 20, 5, 19, 1, 2, 3, 3, true, NeuronType.NONE, seed++),
        new Geometry("dil6_s3_k3_wide", 3, 14, 40, 4 * L + 1, 16, 1, 3, 3, 6, false, NeuronType.NONE, seed++),
        new Geometry("dil2_s2_groups2", 6, 16, 20, 2 * L, 36, 2, 3, 2, 2, true, NeuronType.NONE, seed++),
        new Geometry("dil2_s2_k5_rows_past_clip", 5, 10, 64, L, 16, 1, 5, 2, 2, false, NeuronType.NONE, seed++))
        .stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void dataGradientMatchesTheScalarReferenceAndTheThreadCountChangesNoBits(Geometry geometry) {
    ConvProblem p = problem(geometry);
    assertTrue(StridePhaseGradient.applies(p) && p.cog() >= 16 && p.groups() < p.cin(),
        "must take the packed-phase DENSE path: " + p.describe());
    Random r = new Random(geometry.seed() * 13);
    float[] src = random(r, p.images() * p.srcImageSize());
    float[] w = random(r, p.weightCount());
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] want = src.clone();
    ScalarBackend.INSTANCE.backwardData(p, g, w, want, 1);
    float[] bound = src.clone();
    ScalarBackend.INSTANCE.backwardData(p, abs(g), abs(w), bound, 1);
    float[] one = null;
    for (int threads : new int[] {1, 2}) {
      float[] got = src.clone();
      SIMD.backwardData(p, g, w, got, threads);
      assertTwin("backwardData " + geometry.name() + " threads=" + threads + " " + p.describe(), want, got,
          abs(bound), p.cog() * p.kH() * p.kW());
      if (one == null) {
        one = got;
      } else {
        assertArrayEquals(one, got, "2 threads differ from 1 thread: " + p.describe());
      }
    }
  }
}

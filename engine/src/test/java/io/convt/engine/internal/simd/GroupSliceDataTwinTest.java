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
 * The DENSE data gradient of grouped layers summed over a packed copy of each group's slice of the gradient rows
 * ({@link GroupSliceGradient}), against the scalar reference: groups4's form at odd sizes, random padding, output
 * padding and clip insets (from {@link TwinKernelTest#problem}), channel slices with odd input channels, input
 * channels per group below one register block, strides 1 to 3, a dilation that is not a multiple of the stride,
 * kernel rows reaching past the clip, and row groups that cross image boundaries (N = 12 of short images), each with
 * a gradient above {@link StridePhaseGradient#MIN_GRADIENT_BYTES}; 1 and 2 threads must give the same bits.
 */
class GroupSliceDataTwinTest {
  private static final KernelBackend SIMD = KernelBackends.lookup("simd");
  private static final int L = Micro.L;

  static Stream<Geometry> geometries() {
    long seed = 3000;
    return List.of(
        new Geometry("groups4_like", 4, 16, 17, 8 * L, 8 * L, 4, 4, 2, 1, false, NeuronType.NONE, seed++),
        new Geometry("groups2_slices_odd_cin", 10, 12, 15, 2 * L + 6, 4 * L, 2, 4, 2, 1, true, NeuronType.NONE,
            seed++),
        new Geometry("groups8_k3_s1_cig3", 5, 20, 21, 24, 16 * L, 8, 3, 1, 1, false, NeuronType.NONE, seed++),
        new Geometry("groups2_dil2_s3", 6, 14, 15, 2 * L, 4 * L, 2, 3, 3, 2, true, NeuronType.NONE, seed++),
        new Geometry("groups4_n12_short_images", 12, 4, 20, 4 * L, 8 * L, 4, 4, 2, 1, false, NeuronType.NONE,
            seed++),
        new Geometry("groups2_k5_s1_rows_past_clip", 16, 10, 40, 2 * L, 4 * L, 2, 5, 1, 1, false, NeuronType.NONE,
            seed++))
        .stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void dataGradientMatchesTheScalarReferenceAndTheThreadCountChangesNoBits(Geometry geometry) {
    ConvProblem p = problem(geometry);
    assertTrue(GroupSliceGradient.applies(p) && p.cog() >= 16 && p.groups() < p.cin(),
        "must take the packed group-slice DENSE path: " + p.describe());
    Random r = new Random(geometry.seed() * 17);
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

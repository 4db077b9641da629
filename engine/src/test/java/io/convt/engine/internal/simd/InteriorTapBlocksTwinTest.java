package io.convt.engine.internal.simd;

import static io.convt.engine.internal.simd.TwinKernelTest.abs;
import static io.convt.engine.internal.simd.TwinKernelTest.assertTwin;
import static io.convt.engine.internal.simd.TwinKernelTest.problem;
import static io.convt.engine.internal.simd.TwinKernelTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.convt.engine.NeuronType;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import io.convt.engine.internal.simd.TwinKernelTest.Geometry;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The DENSE data gradient with every tap of an interior register block in one call ({@link InteriorTapBlocks}),
 * against the scalar reference and bit for bit against the tap-at-a-time path (same terms, same order): kernel rows
 * fused into one call or not, one and two output-channel chunks, gradients summed in place or through row buffers,
 * a packed stride phase, strides 1 to 3, dilation, odd sizes, random padding, output padding and clip insets (from
 * {@link TwinKernelTest#problem}), channel slices leaving a partial block, groups, N = 1 and above; 1, 2, 3 and 5
 * threads must give the same bits.
 */
class InteriorTapBlocksTwinTest {
  private static final KernelBackend SIMD = KernelBackends.lookup("simd");
  private static final int L = Micro.L;

  static Stream<Geometry> geometries() {
    long seed = 3000;
    return List.of(
        new Geometry("k3_s1_fused_rows", 2, 7, 19, 4 * L, 20, 1, 3, 1, 1, false, NeuronType.NONE, seed++),
        new Geometry("k3_s1_tap_rows", 1, 5, 17, 4 * L, 48, 1, 3, 1, 1, false, NeuronType.NONE, seed++),
        new Geometry("k4_s2_like_dcgan", 3, 6, 14, 4 * L, 40, 1, 4, 2, 1, false, NeuronType.NONE, seed++),
        new Geometry("k2_s2_in_place", 2, 4, 12, 4 * L, 64, 1, 2, 2, 1, false, NeuronType.NONE, seed++),
        new Geometry("k3_s2_slices_cin128", 2, 5, 13, 8 * L, 33, 1, 3, 2, 1, true, NeuronType.NONE, seed++),
        new Geometry("k3_s1_two_chunks", 1, 3, 11, 4 * L, 8 * L + 5, 1, 3, 1, 1, false, NeuronType.NONE, seed++),
        new Geometry("k5_s3_cin128", 1, 5, 20, 8 * L, 17, 1, 5, 3, 1, false, NeuronType.NONE, seed++),
        new Geometry("k3_s1_dil3", 2, 6, 21, 4 * L, 24, 1, 3, 1, 3, false, NeuronType.NONE, seed++),
        new Geometry("k3_s1_groups2", 2, 5, 15, 8 * L, 48, 2, 3, 1, 1, true, NeuronType.NONE, seed++),
        new Geometry("dil2_s2_phase_fused", 2, 33, 35, 4 * L, 32, 1, 3, 2, 2, false, NeuronType.NONE, seed++),
        new Geometry("dil2_s2_phase_tap_rows", 2, 24, 30, 4 * L, 48, 1, 3, 2, 2, false, NeuronType.NONE, seed++),
        new Geometry("small_k2_s2", 1, 3, 8, 4 * L, 16, 1, 2, 2, 1, false, NeuronType.NONE, seed++),
        new Geometry("small_k3_s1_tap_rows", 1, 1, 9, 4 * L, 48, 1, 3, 1, 1, false, NeuronType.NONE, seed++))
        .stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void interiorBlocksMatchTheScalarReferenceAndTheTapPathBitForBit(Geometry geometry) {
    Assumptions.assumeTrue(TapColumnBlocks.SIX_PIXELS, "the interior blocks run on 32-register (AVX-512) machines");
    ConvProblem p = problem(geometry);
    assertNotNull(InteriorTapBlocks.of(p, 4 * L, false), "must have interior blocks: " + p.describe());
    Random r = new Random(geometry.seed() * 17);
    float[] src = random(r, p.images() * p.srcImageSize());
    float[] w = random(r, p.weightCount());
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] want = src.clone();
    ScalarBackend.INSTANCE.backwardData(p, g, w, want, 1);
    float[] bound = src.clone();
    ScalarBackend.INSTANCE.backwardData(p, abs(g), abs(w), bound, 1);
    String saved = InteriorTapBlocks.mode;
    try {
      float[] tapPath = null;
      for (String mode : new String[] {"off", "row", "all"}) {
        InteriorTapBlocks.mode = mode;
        for (int threads : new int[] {1, 2, 3, 5}) {
          float[] got = src.clone();
          SIMD.backwardData(p, g, w, got, threads);
          String what = "backwardData " + geometry.name() + " mode=" + mode + " threads=" + threads + " "
              + p.describe();
          assertTwin(what, want, got, abs(bound), p.cog() * p.kH() * p.kW());
          if (tapPath == null) {
            tapPath = got;
          } else {
            assertArrayEquals(tapPath, got, what + ": differs from the tap path at 1 thread");
          }
        }
      }
    } finally {
      InteriorTapBlocks.mode = saved;
    }
  }
}

package io.convt.engine.internal.simd;

import static io.convt.engine.internal.simd.TwinKernelTest.abs;
import static io.convt.engine.internal.simd.TwinKernelTest.assertTwin;
import static io.convt.engine.internal.simd.TwinKernelTest.problem;
import static io.convt.engine.internal.simd.TwinKernelTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The data gradient of large sparse kernels with many output channels ({@link SimdFewOutputs#dataFits} beyond
 * {@link SimdFewOutputs#fits}: kernels two strides wide, stride 4 or more, at most two vectors of input channels,
 * packed weights within an L2 cache, as fcn8_full) against the scalar reference: 8- and 12-pixel blocks and their tails (widths 5 to 17),
 * kernels 8 to 16 rows tall that reach past the clip, Cout 8 to 21, Cin below and at two vectors, channel slices, N = 1
 * and 3; 1 and 2 threads must give the same bits.
 */
class WideKernelDataTwinTest {
  private static final KernelBackend SIMD = KernelBackends.lookup("simd");
  private static final int L = Micro.L;

  static Stream<Geometry> geometries() {
    long seed = 900;
    int cin = Math.min(21, 2 * L); // fcn8_full's 21 channels, or two vectors where those are 8 floats
    return List.of(
        new Geometry("fcn8_like_w16", 1, 5, 16, cin, 21, 1, 16, 8, 1, false, NeuronType.NONE, seed++),
        new Geometry("fcn8_like_odd_n3", 3, 4, 13, cin, 21, 1, 16, 8, 1, false, NeuronType.NONE, seed++),
        new Geometry("k8_s4_cout9_cin5_slices", 2, 6, 7, 5, 9, 1, 8, 4, 1, true, NeuronType.NONE, seed++),
        new Geometry("k10_s5_cout12_two_vectors", 1, 3, 17, 2 * L, 12, 1, 10, 5, 1, false, NeuronType.NONE, seed++),
        new Geometry("k12_s6_cout8_w5_slices", 3, 2, 5, 2 * L - 3, 8, 1, 12, 6, 1, true, NeuronType.NONE, seed++))
        .stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void dataGradientMatchesTheScalarReferenceAndTheThreadCountChangesNoBits(Geometry geometry) {
    ConvProblem p = problem(geometry);
    assertTrue(SimdFewOutputs.dataFits(p) && !SimdFewOutputs.fits(p), "must take the wide-kernel path: "
        + p.describe());
    Random r = new Random(geometry.seed() * 11);
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
      assertTrue(SimdFewOutputs.data(p, g, w, got, threads), "the kernel itself must run: " + p.describe());
      float[] viaBackend = src.clone();
      SIMD.backwardData(p, g, w, viaBackend, threads);
      assertArrayEquals(got, viaBackend, "the backend must dispatch here: " + p.describe());
      assertTwin("backwardData " + geometry.name() + " threads=" + threads + " " + p.describe(), want, got,
          abs(bound), p.cog() * p.kH() * p.kW());
      if (one == null) {
        one = got;
      } else {
        assertArrayEquals(one, got, "2 threads differ from 1 thread: " + p.describe());
      }
    }
  }

  @Test
  void kernelsWhosePackedWeightsPassAnL2CacheTakeTheGeneralPath() {
    // fcn16_full's form: 32 × 32 × 21 × 2 vectors of weights, 2.7 MiB with 16-float vectors
    ConvProblem p = problem(new Geometry("fcn16_like", 1, 3, 8, 21, 21, 1, 32, 16, 1, false, NeuronType.NONE, 1));
    assertFalse(SimdFewOutputs.dataFits(p) && 4L * 32 * 32 * 21 * 2 * L > SimdFewOutputs.MAX_WIDE_WEIGHT_BYTES,
        p.describe());
  }

  @Test
  void aNonFiniteWeightTakesTheGeneralPath() {
    ConvProblem p = problem(geometries().findFirst().orElseThrow());
    Random r = new Random(3);
    float[] w = random(r, p.weightCount());
    w[w.length / 2] = Float.NaN;
    float[] g = random(r, p.images() * p.dstImageSize());
    assertFalse(SimdFewOutputs.data(p, g, w, new float[p.images() * p.srcImageSize()], 1));
    float[] want = new float[p.images() * p.srcImageSize()];
    ScalarBackend.INSTANCE.backwardData(p, g, w, want, 1);
    float[] got = new float[want.length];
    SIMD.backwardData(p, g, w, got, 1);
    for (int i = 0; i < want.length; i++) {
      assertTrue(Float.isNaN(want[i]) == Float.isNaN(got[i]), "element " + i);
    }
  }
}

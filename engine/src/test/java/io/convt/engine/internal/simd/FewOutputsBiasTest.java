package io.convt.engine.internal.simd;

import static io.convt.engine.internal.simd.TwinKernelTest.problem;
import static io.convt.engine.internal.simd.TwinKernelTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.NeuronType;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.scalar.ScalarBackend;
import io.convt.engine.internal.simd.TwinKernelTest.Geometry;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The few-output-channel bias gradient ({@link FewOutputsBias}) gives the very bits of the general one
 * ({@link SimdBackwardWeights#biasGradient}) at 1, 2 and 3 threads, on clips, channel slices (a channel offset and
 * extra channels between pixels), row counts that are not a multiple of the four rows summed together, N = 1 and
 * N > 1; and stays within rounding of the scalar reference.
 */
class FewOutputsBiasTest {

  @ParameterizedTest(name = "cout {0}")
  @ValueSource(ints = {1, 2, 3, 4, 5, 7})
  void sameBitsAsTheGeneralBiasGradientAtAnyThreadCount(int cout) {
    for (int variant = 0; variant < 4; variant++) {
      boolean slices = variant % 2 == 1;
      int n = variant < 2 ? 1 : 3;
      Geometry geometry = new Geometry("bias_cout" + cout + "_v" + variant, n, 5 + variant, 9 + 4 * variant, 4, cout,
          1, 3 + variant % 2, 1 + variant % 2, 1, slices, NeuronType.NONE, 900 + 10L * cout + variant);
      ConvProblem p = problem(geometry);
      Random r = new Random(geometry.seed());
      float[] g = random(r, p.images() * p.dstImageSize());
      float[] want = new float[cout];
      SimdBackwardWeights.biasGradient(p, g, want, 1);
      float[] reference = new float[cout];
      ScalarBackend.INSTANCE.backwardWeights(p, random(r, p.images() * p.srcImageSize()), g,
          new float[p.weightCount()], reference, 1);
      for (int o = 0; o < cout; o++) {
        assertEquals(reference[o], want[o], 1e-4f * (1 + Math.abs(reference[o])), geometry.name() + " channel " + o);
      }
      for (int threads : new int[] {1, 2, 3}) {
        float[] got = new float[cout];
        FewOutputsBias.gradient(p, g, got, threads);
        assertArrayEquals(want, got, geometry.name() + " threads=" + threads + " " + p.describe());
      }
    }
  }
}

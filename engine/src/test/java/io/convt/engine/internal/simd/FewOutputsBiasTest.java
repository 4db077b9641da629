package io.convt.engine.internal.simd;

import static io.convt.engine.internal.simd.TwinKernelTest.problem;
import static io.convt.engine.internal.simd.TwinKernelTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.NeuronType;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.scalar.ScalarBackend;
import io.convt.engine.internal.simd.TwinKernelTest.Geometry;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The few-output-channel bias gradient ({@link FewOutputsBias}) gives the very bits of the general one
 * ({@link SimdBackwardWeights#biasGradient}) at 1, 2 and 3 threads, on clips, channel slices (a channel offset and
 * extra channels between pixels), row counts that are not a multiple of the four rows summed together, N = 1 and
 * N > 1; and stays within rounding of the scalar reference. The same bits when the weight gradient sums the rows
 * as its stripes pad them ({@link SimdFewOutputs#weights(ConvProblem, float[], float[], float[], float[], int)}).
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

  @Test
  void biasSummedByTheWeightGradientsStripesIsTheSameBits() {
    // every few-output twin geometry (pads, clips, output padding, slices, strides 1-3, N 1 and 3) and tall images
    // cut into several stripes, some starting mid-image: each gradient row summed once, by one stripe
    List<Geometry> geometries = new ArrayList<>();
    FewOutputsTwinTest.geometries().forEach(geometries::add);
    geometries.add(new Geometry("striped", 3, 30, 45, 32, 3, 1, 4, 2, 1, true, NeuronType.NONE, 77));
    geometries.add(new Geometry("striped_s1_k3", 5, 37, 11, 17, 5, 1, 3, 1, 1, true, NeuronType.NONE, 78));
    geometries.add(new Geometry("striped_k2_s3", 4, 41, 9, 32, 2, 1, 2, 3, 1, false, NeuronType.NONE, 79));
    for (Geometry geometry : geometries) {
      ConvProblem p = problem(geometry);
      Random r = new Random(geometry.seed());
      float[] x = random(r, p.images() * p.srcImageSize());
      float[] g = random(r, p.images() * p.dstImageSize());
      float[] want = new float[p.cout()];
      SimdBackwardWeights.biasGradient(p, g, want, 1);
      for (int threads : new int[] {1, 2, 3}) {
        float[] gb = new float[p.cout()];
        float[] gw = new float[p.weightCount()];
        assertTrue(SimdFewOutputs.weights(p, x, g, gw, gb, threads), geometry.name());
        assertArrayEquals(want, gb, geometry.name() + " threads=" + threads + " " + p.describe());
        float[] gwAlone = new float[p.weightCount()];
        SimdFewOutputs.weights(p, x, g, gwAlone, threads);
        assertArrayEquals(gwAlone, gw, "weights with the bias " + geometry.name());
      }
    }
  }
}

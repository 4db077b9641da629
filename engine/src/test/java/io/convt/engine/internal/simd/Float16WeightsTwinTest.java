package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.Half;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * fp16 weights ({@code WeightPrecision.FLOAT16}, {@code --weight-precision float16}) on the vectorised kernel: the
 * weights are rounded to half once, at load, and every pass computes with them as float32 values (accumulation stays
 * float unless {@code AccumulatorPrecision.HALF} is asked for), so the vectorised twin packs the rounded weights and
 * must agree with the scalar reference on them exactly as the float32 twin does: same geometries, same tolerance,
 * same bits at every thread count.
 */
class Float16WeightsTwinTest {
  private static final KernelBackend SIMD = KernelBackends.lookup("simd");

  static java.util.stream.Stream<TwinKernelTest.Geometry> geometries() {
    return TwinKernelTest.geometries();
  }

  private static float[] halfRounded(float[] w) {
    float[] h = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      h[i] = Half.round(w[i]);
    }
    return h;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void halfRoundedWeightsMatchScalarInEveryPass(TwinKernelTest.Geometry g) {
    ConvProblem p = TwinKernelTest.problem(g);
    Random r = new Random(g.seed() * 37);
    float[] src = TwinKernelTest.random(r, p.images() * p.srcImageSize());
    float[] w = TwinKernelTest.random(r, p.weightCount());
    float[] w16 = halfRounded(w);
    assertFalse(Arrays.equals(w, w16), "rounding to half must change some weight");
    float[] bias = TwinKernelTest.random(r, p.cout());
    float[] gradOut = TwinKernelTest.random(r, p.images() * p.dstImageSize());
    float[] dstInit = TwinKernelTest.random(r, gradOut.length);
    float[][] oneThread = null;
    for (int threads : new int[] {1, 2}) {
      String tag = g.name() + " fp16 weights threads=" + threads + " " + p.describe();
      float[] want = dstInit.clone();
      float[] got = dstInit.clone();
      ScalarBackend.INSTANCE.forward(p, src, w16, bias, Activation.IDENTITY, want, 1);
      SIMD.forward(p, src, w16, bias, Activation.IDENTITY, got, threads);
      float[] bound = dstInit.clone();
      ScalarBackend.INSTANCE.forward(p, TwinKernelTest.abs(src), TwinKernelTest.abs(w16),
          TwinKernelTest.abs(bias), Activation.IDENTITY, bound, 1);
      TwinKernelTest.assertTwin("forward " + tag, want, got, TwinKernelTest.abs(bound),
          p.cig() * p.kH() * p.kW() + 1);

      float[] giWant = src.clone();
      float[] gi = src.clone();
      ScalarBackend.INSTANCE.backwardData(p, gradOut, w16, giWant, 1);
      SIMD.backwardData(p, gradOut, w16, gi, threads);
      float[] giBound = src.clone();
      ScalarBackend.INSTANCE.backwardData(p, TwinKernelTest.abs(gradOut), TwinKernelTest.abs(w16), giBound, 1);
      TwinKernelTest.assertTwin("backwardData " + tag, giWant, gi, TwinKernelTest.abs(giBound),
          p.cog() * p.kH() * p.kW());
      // (the weight gradient does not read the weights: their precision cannot change it)
      if (oneThread == null) {
        oneThread = new float[][] {got, gi};
      } else {
        assertArrayEquals(oneThread[0], got, "forward differs from 1 thread: " + tag);
        assertArrayEquals(oneThread[1], gi, "backwardData differs from 1 thread: " + tag);
      }
    }
    assertEquals("simd", SIMD.name());
  }
}

package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.Neuron;
import io.convt.engine.NeuronType;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.Half;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.util.Random;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HALF accumulation on the vectorised kernel ({@link SimdHalfForward}) against the scalar reference: the same bits,
 * on every twin-test geometry, at data scales that stay normal, reach fp16's subnormals and overflow to infinity, at
 * 1 and 3 threads; and its lane-wise fp16 rounding against {@link Half#round} on every fp16 value, the floats next to
 * it, the ties between neighbours, and random floats.
 */
class HalfAccumulationTwinTest {
  private static KernelBackend simd;

  // looked up before the tests, not when the class loads: C1Probe reads this class's geometries in a JVM without C2
  @BeforeAll
  static void loadSimd() {
    simd = KernelBackends.lookup("simd");
  }

  static Stream<TwinKernelTest.Geometry> geometries() {
    return TwinKernelTest.geometries();
  }

  static ConvProblem halfAccumulation(ConvProblem p) {
    return new ConvProblem(p.images(), p.srcH(), p.srcW(), p.srcC(), p.sfo(), p.cinRead(), p.dstH(), p.dstW(),
        p.dstC(), p.dfo(), p.cin(), p.cout(), p.groups(), p.kH(), p.kW(), p.strideY(), p.strideX(), p.dilY(),
        p.dilX(), p.tY(), p.tX(), p.clipY(), p.clipX(), p.clipH(), p.clipW(), p.srcImage0(), p.dstImage0(), true);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void forwardEqualsScalarBitForBit(TwinKernelTest.Geometry g) {
    ConvProblem p = halfAccumulation(TwinKernelTest.problem(g));
    assertTrue(p.halfAccumulation());
    Activation neuron = g.neuron() == NeuronType.NONE ? Activation.IDENTITY : Neuron.of(g.neuron())::apply;
    // 1: normal fp16 sums; 1e-5: sums among fp16 subnormals; 300: sums past 65504 (infinity, then NaN)
    for (float scale : new float[] {1f, 1e-5f, 300f}) {
      Random r = new Random(g.seed() * 41);
      float[] src = scaled(TwinKernelTest.random(r, p.images() * p.srcImageSize()), scale);
      float[] w = TwinKernelTest.random(r, p.weightCount());
      float[] bias = scaled(TwinKernelTest.random(r, p.cout()), scale);
      float[] dstInit = TwinKernelTest.random(r, p.images() * p.dstImageSize());
      float[] want = dstInit.clone();
      ScalarBackend.INSTANCE.forward(p, src, w, bias, neuron, want, 1);
      for (int threads : new int[] {1, 3}) {
        float[] got = dstInit.clone();
        simd.forward(p, src, w, bias, neuron, got, threads);
        assertArrayEquals(want, got, g.name() + " scale=" + scale + " threads=" + threads + " " + p.describe());
      }
      float[] noBiasWant = dstInit.clone();
      float[] noBiasGot = dstInit.clone();
      ScalarBackend.INSTANCE.forward(p, src, w, null, neuron, noBiasWant, 1);
      simd.forward(p, src, w, null, neuron, noBiasGot, 2);
      assertArrayEquals(noBiasWant, noBiasGot, g.name() + " scale=" + scale + " without bias");
    }
  }

  private static float[] scaled(float[] a, float s) {
    for (int i = 0; i < a.length; i++) {
      a[i] *= s;
    }
    return a;
  }

  @Test
  void laneRoundingEqualsHalfRound() {
    int l = FloatVector.SPECIES_PREFERRED.length();
    float[] batch = new float[l];
    int[] filled = {0};
    long[] checked = {0};
    java.util.function.Consumer<Float> check = f -> {
      batch[filled[0]++] = f;
      if (filled[0] == l) {
        float[] got = new float[l];
        SimdHalfForward.roundToHalf(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, batch, 0)).intoArray(got, 0);
        for (int i = 0; i < l; i++) {
          float want = Half.round(batch[i]);
          assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i]),
              "round(" + batch[i] + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(batch[i])) + ")");
        }
        checked[0] += l;
        filled[0] = 0;
      }
    };
    for (int h = 0; h < 0x10000; h++) {
      float f = Half.toFloat((short) h);
      if (Float.isNaN(f)) {
        continue;
      }
      check.accept(f);
      check.accept(Math.nextUp(f));
      check.accept(Math.nextDown(f));
      float next = Half.toFloat((short) (h + 1));
      if (Float.isFinite(f) && Float.isFinite(next) && (h & 0x7fff) != 0x7bff) {
        float tie = (float) ((f + (double) next) / 2); // exact: neighbours differ in one fp16 quantum
        check.accept(tie);
        check.accept(Math.nextUp(tie));
        check.accept(Math.nextDown(tie));
      }
    }
    Random r = new Random(7);
    for (int i = 0; i < 1 << 20; i++) {
      float f = Float.intBitsToFloat(r.nextInt());
      check.accept(Float.isNaN(f) ? 0f : f);
    }
    for (float f : new float[] {0f, -0f, 65504f, 65519.99f, 65520f, -65520f, Float.MAX_VALUE, Float.MIN_VALUE,
        -Float.MIN_VALUE, 0x1p-14f, 0x1p-24f, 0x1p-25f, -0x1p-25f, 0x1.8p-25f, Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY}) {
      check.accept(f);
    }
    assertTrue(checked[0] > 1_000_000, "values checked: " + checked[0]);
  }
}

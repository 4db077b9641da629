package io.convt.engine.internal.simd;

import static io.convt.engine.internal.simd.TwinKernelTest.abs;
import static io.convt.engine.internal.simd.TwinKernelTest.assertTwin;
import static io.convt.engine.internal.simd.TwinKernelTest.problem;
import static io.convt.engine.internal.simd.TwinKernelTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The dense weight gradient's first image writes its sums from zero registers instead of adding to zeroed
 * accumulators ({@link MicroFirstPanels}). Two things that could go wrong: a sum whose every product is -0.0 must
 * still be +0.0, as from a zeroed start and as in the scalar reference (a start from the first product would give
 * -0.0); and a kernel column or row that no pixel reaches must still be zero, never a kept accumulator's old value.
 */
class FirstImageSumsTest {
  private static final int L = SimdForward.L;
  private static final int[] THREADS = {1, 2, 3};

  /** Layers whose clip leaves kernel columns and rows without a pixel, on each dense weight-gradient path. */
  static Stream<ConvProblem> unreachedTaps() {
    return Stream.of(
        // phase runs (stride 1): kx, ky = 3, 4 reach no pixel
        layer(1, 6, 6, 4 * L, 32, 1, 5),
        // gathered gradient, sums straight into the gradient (one image of 36 pixels, one stripe)
        layer(1, 6, 6, 4 * L, 48, 2, 9),
        // gathered gradient, own accumulators (three images), two-vector slabs
        layer(3, 7, 6, 2 * L, 70, 2, 9),
        // fewer than 16 output channels: row by row on the NHWC data
        layer(2, 6, 6, 2 * L, 3, 1, 5));
  }

  static Stream<ConvProblem> problems() {
    return Stream.concat(unreachedTaps(),
        Stream.concat(WeightGradientThreadsTest.stripedGeometries(), WeightGradientThreadsTest.directGeometries())
            .map(TwinKernelTest::problem));
  }

  @ParameterizedTest
  @MethodSource("problems")
  void aSumOfNegativeZeroProductsIsPositiveZeroAsInTheScalarReference(ConvProblem p) {
    Random r = new Random(p.hashCode());
    float[] src = random(r, (p.srcImage0() + p.images()) * p.srcImageSize());
    float[] g = random(r, (p.dstImage0() + p.images()) * p.dstImageSize());
    // input channels of +0.0 against a negative gradient: every product of those weights is -0.0
    for (int i = 0; i < src.length; i++) {
      src[i] = i % p.srcC() % 3 == 0 ? 0f : src[i];
    }
    for (int i = 0; i < g.length; i++) {
      g[i] = -Math.abs(g[i]);
    }
    float[] want = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, src, g, want, null, 1);
    int zeros = 0;
    for (float v : want) {
      zeros += v == 0f ? 1 : 0;
    }
    assertTrue(zeros > 0, p.describe() + ": the data must give zero sums");
    KernelBackend simd = KernelBackends.lookup("simd");
    for (int threads : THREADS) {
      float[] got = new float[p.weightCount()];
      simd.backwardWeights(p, src, g, got, null, threads);
      for (int i = 0; i < want.length; i++) {
        if (want[i] == 0f) {
          assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
              p.describe() + " threads=" + threads + ": the sign of zero sum " + i);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("unreachedTaps")
  void aTapNoPixelReachesIsZeroAfterAPoisonedCall(ConvProblem p) {
    boolean unreached = false;
    for (int kx = 0; kx < p.kW(); kx++) {
      unreached |= SimdBackwardWeights.ixFrom(p, kx) >= SimdBackwardWeights.ixTo(p, kx);
    }
    assertTrue(unreached, p.describe() + ": a kernel column must reach no pixel");
    Random r = new Random(p.hashCode());
    float[] src = random(r, p.images() * p.srcImageSize());
    float[] g = random(r, p.images() * p.dstImageSize());
    float[] want = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, src, g, want, null, 1);
    float[] bound = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, abs(src), abs(g), bound, null, 1);
    float[] poisoned = src.clone();
    Arrays.fill(poisoned, Float.NaN);
    KernelBackend simd = KernelBackends.lookup("simd");
    float[] first = null;
    for (int threads : THREADS) {
      // NaN sums kept in the thread's accumulators, then a gradient array holding NaN from an earlier use
      simd.backwardWeights(p, poisoned, g, new float[p.weightCount()], null, threads);
      float[] got = new float[p.weightCount()];
      Arrays.fill(got, Float.NaN);
      simd.backwardWeights(p, src, g, got, null, threads);
      assertTwin(p.describe() + " threads=" + threads, want, got, bound, p.images() * p.srcH() * p.srcW());
      if (first == null) {
        first = got;
      }
      assertArrayEquals(first, got, p.describe() + " threads=" + threads + ": bits differ from one thread");
    }
  }

  /** k×k, stride s, offsets placing the 3×3 clip so that kernel columns and rows 3.. reach no source pixel. */
  private static ConvProblem layer(int n, int h, int w, int cin, int cout, int stride, int offset) {
    int k = 5;
    int dstH = (h - 1) * stride + k;
    int dstW = (w - 1) * stride + k;
    return new ConvProblem(n, h, w, cin, 0, cin, dstH, dstW, cout, 0, cin, cout, 1, k, k, stride, stride, 1, 1,
        offset, offset, 0, 0, 3, 3, 0, 0, false);
  }
}

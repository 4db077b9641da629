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
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The grouped weight gradient with one task per group ({@link GroupPhaseWeights}): twin of the scalar reference, and
 * the same bits as the round-based path ({@link SimdBackwardWeights}) that 5 and 7 threads (and 1 thread over several
 * images) take for these group counts, on odd sizes, pads, output padding, dilation, strides 1–3, channel slices, shifted clips, one image and
 * several, one stripe and several (1 thread over several images: the in-place layers here, the round path otherwise). Each geometry runs
 * twice per thread count (the second call reuses the thread's
 * panels and accumulators, which must not leak into the result).
 */
class GroupPhaseWeightsTest {
  private static final int L = SimdForward.L;

  static Stream<Geometry> geometries() {
    return Stream.of(
        // the groups4 layer's shape (32-channel groups, k4 s2), several stripes, two images
        new Geometry("groups4_k4_s2", 2, 32, 32, 4 * 2 * L, 4 * 2 * L, 4, 4, 2, 1, false, NeuronType.NONE, 301),
        // one image, one stripe, odd sizes
        new Geometry("groups4_n1_odd", 1, 9, 11, 8 * L, 8 * L, 4, 4, 2, 1, false, NeuronType.NONE, 302),
        // two groups, stride 1, k3, odd channel counts, slices and a shifted clip
        new Geometry("groups2_s1_slices", 3, 13, 17, 2 * 21, 2 * 19, 2, 3, 1, 1, true, NeuronType.NONE, 303),
        // eight groups, stride 3, dilation 2, output channels not a multiple of 4
        new Geometry("groups8_s3_dil2", 2, 11, 10, 8 * 6, 8 * 10, 8, 3, 3, 2, false, NeuronType.NONE, 304),
        // four-vector slabs (64 input channels per group), stride 2 with a kernel of 2
        new Geometry("groups2_wide_k2", 2, 20, 24, 2 * 4 * L, 2 * 16, 2, 2, 2, 1, true, NeuronType.NONE, 305),
        // nine groups: one group per task at 2 threads (claimed in turn), three per task at 3
        new Geometry("groups9_claimed", 2, 7, 8, 9 * 5, 9 * 4, 9, 3, 2, 1, true, NeuronType.NONE, 307),
        // many rows: several stripes with dilation and slices
        new Geometry("groups4_striped_dil", 1, 40, 29, 4 * 9, 4 * 12, 4, 3, 2, 2, true, NeuronType.NONE, 306),
        // 16 output channels per group, gradient read in place (InPlaceRunWeights); 20 pixels (above
        // SimdWeightsDirect.MAX_PIXELS) and 82 k multiply-adds: C1Probe reaches MicroStridedPanels
        new Geometry("groups2_chunks_small", 1, 4, 5, 2 * 2 * L, 2 * 16, 2, 2, 2, 1, false, NeuronType.NONE, 308),
        // gradient read in place, stride 3 with dilation 2, two images
        new Geometry("groups4_chunks_s3_dil2", 2, 6, 7, 4 * 2 * L, 4 * 16, 4, 3, 3, 2, false, NeuronType.NONE, 309),
        // gradient read in place, many rows (several stripes, several rows per kernel call), stride 1
        new Geometry("groups2_chunks_s1_rows", 1, 40, 9, 2 * 2 * L, 2 * 32, 2, 3, 1, 1, false, NeuronType.NONE,
            310),
        // gradient read in place, three groups, three images (one thread walks them all), k4 s2, odd sizes
        new Geometry("groups3_chunks_n3_odd", 3, 7, 9, 3 * 2 * L, 3 * 32, 3, 4, 2, 1, false, NeuronType.NONE, 312));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void matchesTheScalarReferenceAndTheRoundPathBitForBit(Geometry geometry) {
    ConvProblem p = problem(geometry);
    assertTrue(!geometry.name().contains("chunks") || !MicroPanels.PAIRS || InPlaceRunWeights.applies(p),
        p.describe());
    check(geometry.name(), p, geometry.seed());
  }

  /**
   * The gradient read in place with channel offsets and padded pixels in both arrays (source channels from 3 of 70, every one
   * read; gradient channels from 2 of 37) and the images placed past the start of the buffers.
   */
  @Test
  void channelOffsetsAndFramedImages() {
    ConvProblem p = new ConvProblem(2, 7, 6, 3 + 2 * 2 * L + 3, 3, 2 * 2 * L, 16, 14, 2 + 2 * 16 + 3, 2, 2 * 2 * L,
        2 * 16, 2, 4, 4, 2, 2, 1, 1, 1, 2, 1, 0, 14, 13, 1, 2, false);
    assertTrue(!MicroPanels.PAIRS || InPlaceRunWeights.applies(p), p.describe());
    check("chunks_offsets_framed", p, 311);
  }

  private static void check(String name, ConvProblem p, long seed) {
    // at several threads too (three groups: at 3, not 2)
    assertTrue(GroupPhaseWeights.fits(p, 2) || GroupPhaseWeights.fits(p, 3), p.describe());
    // one thread over several images: the in-place layers here, the round path otherwise (7 threads: round path)
    assertTrue(GroupPhaseWeights.fits(p, 1) == (p.images() == 1 || InPlaceRunWeights.applies(p)), p.describe());
    assertFalse(GroupPhaseWeights.fits(p, 7), p.describe());
    assertFalse(SimdBackwardWeights.rowWise(p), p.describe());
    Random r = new Random(seed);
    float[] src = random(r, (p.srcImage0() + p.images()) * p.srcImageSize());
    float[] g = random(r, (p.dstImage0() + p.images()) * p.dstImageSize());
    float[] want = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, src, g, want, null, 1);
    float[] bound = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, abs(src), abs(g), bound, null, 1);
    KernelBackend simd = KernelBackends.lookup("simd");
    float[] first = null;
    for (int threads : new int[] {1, 2, 3, 5, 7, 1, 2}) {
      float[] got = new float[p.weightCount()];
      java.util.Arrays.fill(got, Float.NaN); // every element must be written
      float[] gotBias = new float[p.cout()];
      simd.backwardWeights(p, src, g, got, gotBias, threads);
      // the bias taken while the gradient is packed (FusedBias) must be the bits of the separate bias pass
      assertArrayEquals(biasPass(p, g), gotBias, name + " bias, threads=" + threads);
      assertTwin(name + " threads=" + threads, want, got, bound, p.images() * p.clipH() * p.clipW());
      if (first == null) {
        first = got;
      } else {
        assertArrayEquals(first, got, name + ": " + threads + " threads differ from 1 thread");
      }
    }
  }

  /** The bias gradient of the separate pass over the gradient ({@link SimdBackwardWeights#biasGradient}). */
  static float[] biasPass(ConvProblem p, float[] g) {
    float[] b = new float[p.cout()];
    SimdBackwardWeights.biasGradient(p, g, b, 1);
    return b;
  }
}

package io.convt.engine.internal.simd;

import static io.convt.engine.internal.simd.TwinKernelTest.abs;
import static io.convt.engine.internal.simd.TwinKernelTest.assertTwin;
import static io.convt.engine.internal.simd.TwinKernelTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The weight gradient of strided taps split by stride phase ({@link PhaseGemmWeights}): twin of the scalar
 * reference, the same bits at 1, 2, 3 and 5 threads and on a second call (kept scratch), every weight written, the
 * fused bias the bits of the separate bias pass, and a non-finite source pixel reaching only its taps. Geometries:
 * cyclegan_up's kind (k3 s2, output padding), dcgan_l4's (k4 s2 p1), unet_up's (k2 s2), gaps between taps (stride
 * above the kernel, dilation), rows no tap meets, random pads, clips and channel offsets, dilation,
 * non-square kernels and strides (stride 1 on one axis), odd sizes, output channels not a multiple of 4, several
 * output-channel chunks, several stripes, one image and several, a batch slice not starting at image 0.
 */
class PhaseGemmWeightsTest {
  private static final int L = SimdForward.L;

  /**
   * A layer of n images h×w with random channel offsets, pads, clip and output padding ({@code exact}: none of them,
   * every clip row and column met once, as unet_up).
   */
  record Case(String name, int n, int h, int w, int cin, int cout, int kH, int kW, int sY, int sX, int dil,
      boolean exact, int image0, long seed) {
    @Override
    public String toString() {
      return name;
    }

    ConvProblem problem() {
      Random r = new Random(seed);
      int sfo = exact ? 0 : r.nextInt(3);
      int srcC = sfo + cin + (exact ? 0 : r.nextInt(3));
      int dfo = exact ? 0 : r.nextInt(3);
      int dstC = dfo + cout + (exact ? 0 : r.nextInt(2));
      int dstH = (h - 1) * sY + dil * (kH - 1) + 1 + (exact ? sY - dil * (kH - 1) - 1 : r.nextInt(3));
      int dstW = (w - 1) * sX + dil * (kW - 1) + 1 + (exact ? sX - dil * (kW - 1) - 1 : r.nextInt(3));
      int tY = exact ? 0 : r.nextInt(5) - 2;
      int tX = exact ? 0 : r.nextInt(5) - 2;
      int clipY = exact ? 0 : r.nextInt(3);
      int clipX = exact ? 0 : r.nextInt(3);
      int clipH = dstH - clipY - (exact ? 0 : r.nextInt(2));
      int clipW = dstW - clipX - (exact ? 0 : r.nextInt(2));
      if (exact) {
        // the problem's frame is centred (cy = kEy >> 1) and flipped: row iy·sY + ky is met with this shift
        tY = ((dil * (kH - 1) + 1) >> 1) - dil * (kH - 1);
        tX = ((dil * (kW - 1) + 1) >> 1) - dil * (kW - 1);
      }
      return new ConvProblem(n, h, w, srcC, sfo, cin, dstH, dstW, dstC, dfo, cin, cout, 1, kH, kW, sY, sX, dil, dil,
          tY, tX, clipY, clipX, clipH, clipW, image0, image0, false);
    }
  }

  static Stream<Case> cases() {
    final int c = 128;
    return Stream.of(
        new Case("cyclegan_like_k3_s2", 2, 6, 33, c, 36, 3, 3, 2, 2, 1, true, 0, 501),
        new Case("cyclegan_like_n1", 1, 5, 37, c, 64, 3, 3, 2, 2, 1, true, 0, 502),
        new Case("dcgan_like_k4_s2", 2, 5, 32, c, 40, 4, 4, 2, 2, 1, true, 0, 503),
        new Case("k3_s2_pads_clip", 2, 7, 35, c, 38, 3, 3, 2, 2, 1, false, 0, 504),
        new Case("k4_s2_pads_clip_n1", 1, 6, 33, c, 33, 4, 4, 2, 2, 1, false, 0, 505),
        new Case("k3_dil2_s2", 2, 5, 34, c, 37, 3, 3, 2, 2, 2, false, 0, 506),
        new Case("k3x4_s2x3", 1, 6, 32, c, 44, 3, 4, 2, 3, 1, false, 0, 507),
        new Case("k3_s1x2", 1, 4, 32, c, 36, 3, 3, 1, 2, 1, false, 0, 508),
        new Case("k5_s3_odd", 1, 5, 35, c, 34, 5, 5, 3, 3, 1, false, 0, 509),
        new Case("chunks_k4_s2", 1, 3, 32, 2 * c, 40, 4, 4, 2, 2, 1, true, 0, 510),
        new Case("tall_k3_s2", 2, 34, 32, c, 36, 3, 3, 2, 2, 1, false, 0, 511),
        new Case("batch_slice_k3_s2", 2, 4, 33, c, 36, 3, 3, 2, 2, 1, false, 1, 512),
        // taps that never overlap: the unet_up kind (k2 s2), gaps between taps, rows no tap meets
        new Case("unet_like_k2_s2", 2, 6, 33, c, 36, 2, 2, 2, 2, 1, true, 0, 401),
        new Case("unet_like_n1", 1, 5, 37, c, 64, 2, 2, 2, 2, 1, true, 0, 402),
        new Case("k2_s2_pads_clip", 2, 7, 35, c, 40, 2, 2, 2, 2, 1, false, 0, 403),
        new Case("k3_s3_odd_pads", 1, 5, 39, c, 34, 3, 3, 3, 3, 1, false, 0, 404),
        new Case("k2x3_s2x3_cout37", 2, 6, 32, c, 37, 2, 3, 2, 3, 1, false, 0, 405),
        new Case("k2_dil2_s3_gaps", 2, 5, 34, c, 33, 2, 2, 3, 3, 2, false, 0, 406),
        new Case("k2_s3_rows_missed", 1, 6, 32, c, 48, 2, 2, 3, 3, 1, true, 0, 407),
        new Case("chunks_k2_s2", 1, 3, 32, 2 * c, 140, 2, 2, 2, 2, 1, true, 0, 408),
        new Case("batch_slice_k2_s2", 2, 4, 33, c, 36, 2, 2, 2, 2, 1, false, 1, 410));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesTheScalarReferenceAtAnyThreadCount(Case c) {
    ConvProblem p = c.problem();
    assertTrue(PhaseGemmWeights.applies(p), p.describe());
    assertFalse(SimdWeightsDirect.applies(p), p.describe());
    assertFalse(SimdPointwise.applies(p.geometry()), p.describe());
    Random r = new Random(c.seed());
    int images = c.image0() + c.n();
    float[] src = random(r, images * p.srcImageSize());
    float[] g = random(r, images * p.dstImageSize());
    float[] want = new float[p.weightCount()];
    float[] wantBias = new float[p.cout()];
    ScalarBackend.INSTANCE.backwardWeights(p, src, g, want, wantBias, 1);
    float[] bound = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, abs(src), abs(g), bound, null, 1);
    float[] first = null;
    for (int threads : new int[] {1, 2, 3, 5, 1, 2}) {
      float[] got = new float[p.weightCount()];
      java.util.Arrays.fill(got, Float.NaN); // every element must be written
      float[] gotBias = new float[p.cout()];
      KernelBackends.lookup("simd").backwardWeights(p, src, g, got, gotBias, threads);
      assertArrayEquals(GroupPhaseWeightsTest.biasPass(p, g), gotBias, c.name() + " bias, threads=" + threads);
      for (int o = 0; o < p.cout(); o++) {
        assertEquals(wantBias[o], gotBias[o], 1e-4 * (1 + Math.abs(wantBias[o])), c.name() + " bias " + o);
      }
      assertTwin(c.name() + " threads=" + threads, want, got, bound, p.images() * p.clipH() * p.clipW());
      if (first == null) {
        first = got;
      } else {
        assertArrayEquals(first, got, c.name() + ": " + threads + " threads differ from 1 thread");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aNonFiniteSourcePixelReachesOnlyTheTapsItMeets(Case c) {
    ConvProblem p = c.problem();
    Random r = new Random(c.seed() + 7);
    int images = c.image0() + c.n();
    float[] src = random(r, images * p.srcImageSize());
    float[] g = random(r, images * p.dstImageSize());
    // the first and the last source pixel of the first image: on padded layers some taps never meet them
    int first = c.image0() * p.srcImageSize() + p.sfo();
    int last = first + (p.srcH() * p.srcW() - 1) * p.srcC();
    java.util.Arrays.fill(src, first, first + p.cin(), Float.POSITIVE_INFINITY);
    java.util.Arrays.fill(src, last, last + p.cin(), Float.NaN);
    float[] want = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, src, g, want, null, 1);
    float[] got = new float[p.weightCount()];
    KernelBackends.lookup("simd").backwardWeights(p, src, g, got, null, 1);
    for (int i = 0; i < want.length; i++) {
      assertEquals(Float.isNaN(want[i]), Float.isNaN(got[i]), c.name() + " NaN at " + i);
      assertEquals(Float.isInfinite(want[i]), Float.isInfinite(got[i]), c.name() + " infinity at " + i);
    }
  }

  @Test
  void otherLayersKeepTheirPaths() {
    // narrow rows (dcgan_l3's 16 columns)
    assertFalse(PhaseGemmWeights.applies(new Case("narrow", 1, 4, 16, 128, 40, 4, 4, 2, 2, 1, true, 0, 2).problem()));
    // stride 1 and small products go to the phase-run path
    assertFalse(PhaseGemmWeights.applies(new Case("s1", 1, 4, 40, 128, 40, 3, 3, 1, 1, 1, true, 0, 3).problem()));
    assertFalse(PhaseGemmWeights.applies(new Case("small", 1, 4, 40, 4 * L, 16, 4, 4, 2, 2, 1, true, 0, 4).problem()));
  }
}

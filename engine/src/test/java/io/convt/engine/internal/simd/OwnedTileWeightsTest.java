package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import io.convt.engine.internal.simd.TwinKernelTest.Geometry;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * How {@link OwnedTileWeights} deals the output tiles to its workers. (Its bits at 1, 2, 3, 5 and 7 threads against
 * the one-thread path and the scalar reference are checked by {@link WeightGradientThreadsTest} and the twin tests.)
 */
class OwnedTileWeightsTest {
  @Test
  void equalTilesSplitIntoEqualContiguousRanges() {
    // s1_k3 at 2 threads: 5 stripes, 3 kernel rows × 2 chunks of 8 blocks = 6 tiles, 3 per worker
    WeightGradientPartition s1k3 = new WeightGradientPartition(5, 1, 3, 2, 8, 16, 56);
    assertArrayEquals(new int[] {0, 3, 6}, OwnedTileWeights.split(s1k3, 2));
    // dcgan_l2: 16 tiles of 16 blocks over 3 workers: 5, 6, 5 tiles
    WeightGradientPartition l2 = new WeightGradientPartition(1, 1, 4, 4, 16, 64, 8);
    assertArrayEquals(new int[] {0, 5, 11, 16}, OwnedTileWeights.split(l2, 3));
  }

  @Test
  void everyWorkerGetsATileAndTheRangesCoverAllTiles() {
    // a short last chunk (42 channels: 11 blocks in chunks of 4, 4, 3) and as many workers as tiles
    WeightGradientPartition part = new WeightGradientPartition(2, 1, 3, 3, 4, 11, 30);
    for (int workers = 1; workers <= part.tiles(); workers++) {
      int[] first = OwnedTileWeights.split(part, workers);
      assertEquals(workers + 1, first.length);
      assertEquals(0, first[0]);
      assertEquals(part.tiles(), first[workers]);
      int total = 0;
      int most = 0;
      for (int k = 0; k < workers; k++) {
        assertTrue(first[k + 1] > first[k], "worker " + k + " of " + workers + " has no tile");
        int blocks = 0;
        for (int j = first[k]; j < first[k + 1]; j++) {
          blocks += part.blocks(OwnedTileWeights.dealt(part, j));
        }
        total += blocks;
        most = Math.max(most, blocks);
      }
      assertEquals(part.oBlocks() * part.groups() * part.kH(), total);
      // the busiest worker holds at most one tile more than an even share
      assertTrue(most <= (total + workers - 1) / workers + part.obs(), "workers " + workers + ": " + most);
    }
  }

  @Test
  void tilesAreDealtChunkByChunkAndEachExactlyOnce() {
    // s1_k3 at 2 threads: worker 0 gets every kernel row of channel chunk 0, worker 1 those of chunk 1, so each packs
    // only its 32 channels of the gradient
    WeightGradientPartition s1k3 = new WeightGradientPartition(5, 1, 3, 2, 8, 16, 56);
    int[] first = OwnedTileWeights.split(s1k3, 2);
    for (int k = 0; k < 2; k++) {
      for (int j = first[k]; j < first[k + 1]; j++) {
        assertEquals(k * 8, s1k3.firstBlock(OwnedTileWeights.dealt(s1k3, j)), "dealt " + j);
      }
    }
    // groups × kernel rows × chunks: every tile dealt once
    WeightGradientPartition part = new WeightGradientPartition(1, 3, 4, 5, 2, 10, 16);
    boolean[] seen = new boolean[part.tiles()];
    for (int j = 0; j < part.tiles(); j++) {
      int t = OwnedTileWeights.dealt(part, j);
      assertFalse(seen[t], "tile " + t + " dealt twice");
      seen[t] = true;
      assertEquals(j / (part.kH() * part.chunks()), part.group(t));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"s1_k3_four_vectors", "phase_runs_s3_dil2_slices", "groups4_phase_runs"})
  void aWorkerPackingPartOfTheGradientNeverReadsStaleChannels(String name) {
    // at 5 and 7 threads the phase-run geometries get chunks of one or two blocks, so workers pack only some gradient
    // channels: a call whose gradient was NaN must leave nothing the next call's workers read
    Geometry geometry = WeightGradientThreadsTest.stripedGeometries().filter(g -> g.name().equals(name)).findFirst()
        .orElseThrow();
    ConvProblem p = TwinKernelTest.problem(geometry);
    Random r = new Random(geometry.seed());
    float[] src = TwinKernelTest.random(r, p.images() * p.srcImageSize());
    float[] g = TwinKernelTest.random(r, p.images() * p.dstImageSize());
    float[] poisoned = g.clone();
    Arrays.fill(poisoned, Float.NaN);
    KernelBackend simd = KernelBackends.lookup("simd");
    float[] want = new float[p.weightCount()];
    float[] wantBias = new float[p.cout()];
    simd.backwardWeights(p, src, g, want, wantBias, 1);
    for (int threads : new int[] {2, 5, 7}) {
      assertTrue(WeightGradientPartition.of(p, threads).tiles() > 1, name + ": several tiles at " + threads);
      simd.backwardWeights(p, src, poisoned, new float[p.weightCount()], new float[p.cout()], threads);
      float[] got = new float[p.weightCount()];
      float[] gotBias = new float[p.cout()];
      simd.backwardWeights(p, src, g, got, gotBias, threads);
      assertArrayEquals(want, got, name + " threads=" + threads);
      assertArrayEquals(wantBias, gotBias, name + " bias, threads=" + threads);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"one_image_phase_runs", "one_image_gathered", "slices_dilation"})
  void workersSharingOnePackedSourceGiveTheOneThreadBits(String name) {
    // N = 1: the source rows are packed one item per row into one panel that every worker reads; a non-finite value
    // in any worker's rows must reach every worker's finite check (the exact per-pixel path), and the call after a
    // NaN source must read nothing stale
    Geometry geometry = WeightGradientThreadsTest.stripedGeometries().filter(g -> g.name().equals(name)).findFirst()
        .orElseThrow();
    ConvProblem p = TwinKernelTest.problem(geometry);
    assertEquals(1, p.images());
    Random r = new Random(geometry.seed());
    float[] src = TwinKernelTest.random(r, p.srcImageSize());
    float[] g = TwinKernelTest.random(r, p.dstImageSize());
    float[] lastRowInf = src.clone();
    // an infinity in the last source row: its pack item is claimed last, by whichever thread, and read by every worker
    lastRowInf[(p.srcH() - 1) * p.srcW() * p.srcC() + p.srcC() / 2] = Float.POSITIVE_INFINITY;
    float[] poisoned = src.clone();
    Arrays.fill(poisoned, Float.NaN);
    KernelBackend simd = KernelBackends.lookup("simd");
    float[] want = new float[p.weightCount()];
    simd.backwardWeights(p, src, g, want, new float[p.cout()], 1);
    float[] wantInf = new float[p.weightCount()];
    simd.backwardWeights(p, lastRowInf, g, wantInf, new float[p.cout()], 1);
    float[] reference = new float[p.weightCount()];
    ScalarBackend.INSTANCE.backwardWeights(p, lastRowInf, g, reference, null, 1);
    for (int i = 0; i < reference.length; i++) {
      // the infinity reaches exactly the weights the reference gives a non-finite value
      assertEquals(Float.isFinite(reference[i]), Float.isFinite(wantInf[i]), name + " weight " + i);
    }
    for (int threads : new int[] {2, 3, 5, 7}) {
      int workers = Math.min(threads, WeightGradientPartition.of(p, threads).tiles());
      assertTrue(OwnedTileWeights.sharesSource(p, workers), name + " threads=" + threads);
      float[] inf = new float[p.weightCount()];
      simd.backwardWeights(p, lastRowInf, g, inf, new float[p.cout()], threads);
      assertArrayEquals(wantInf, inf, name + " infinity, threads=" + threads);
      simd.backwardWeights(p, poisoned, g, new float[p.weightCount()], new float[p.cout()], threads);
      float[] got = new float[p.weightCount()];
      simd.backwardWeights(p, src, g, got, new float[p.cout()], threads);
      assertArrayEquals(want, got, name + " threads=" + threads);
    }
  }

  @Test
  void oneTileOrOneThreadKeepsTheOrderedRoundPath() {
    WeightGradientPartition oneTile = new WeightGradientPartition(4, 1, 1, 1, 8, 8, 40);
    assertFalse(OwnedTileWeights.applies(oneTile, 2));
    WeightGradientPartition tiles = new WeightGradientPartition(1, 1, 4, 2, 8, 16, 8);
    assertFalse(OwnedTileWeights.applies(tiles, 1));
    assertTrue(OwnedTileWeights.applies(tiles, 2));
  }
}

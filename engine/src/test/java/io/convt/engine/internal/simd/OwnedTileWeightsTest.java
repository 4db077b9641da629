package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        for (int t = first[k]; t < first[k + 1]; t++) {
          blocks += part.blocks(t);
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
  void oneTileOrOneThreadKeepsTheOrderedRoundPath() {
    WeightGradientPartition oneTile = new WeightGradientPartition(4, 1, 1, 1, 8, 8, 40);
    assertFalse(OwnedTileWeights.applies(oneTile, 2));
    WeightGradientPartition tiles = new WeightGradientPartition(1, 1, 4, 2, 8, 16, 8);
    assertFalse(OwnedTileWeights.applies(tiles, 1));
    assertTrue(OwnedTileWeights.applies(tiles, 2));
  }
}

package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.train.GradientAccumulator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Slices cover the range exactly, and aligned boundaries keep each task's partial to a few tree blocks. */
class GradientPassSlicesTest {
  @Test
  void slicesCoverTheRangeContiguously() {
    for (long first : new long[] {0, 5, 1000}) {
      for (long count : new long[] {1, 2, 7, 100, 1001}) {
        for (int p : new int[] {1, 3, 7, 64}) {
          List<long[]> s = GradientPass.slices(first, count, p);
          assertTrue(s.size() <= Math.min(p, count) && !s.isEmpty());
          long at = first;
          for (long[] x : s) {
            assertEquals(at, x[0]);
            assertTrue(x[1] > 0);
            at += x[1];
          }
          assertEquals(first + count, at);
        }
      }
    }
  }

  @Test
  void alignedSlicesShipFewBlocks() {
    int records = 100_000;
    List<long[]> slices = GradientPass.slices(0, records, 7);
    for (long[] s : slices) {
      GradientAccumulator a = GradientAccumulator.forRange(s[0], s[0] + s[1], 1, 0);
      for (long i = s[0]; i < s[0] + s[1]; i++) {
        a.add(i, new float[] {1f}, null);
      }
      // Inner slices start and end on block boundaries; only the last one ends at the dataset's ragged end.
      int limit = s == slices.get(slices.size() - 1) ? 2 + 17 : 4;
      assertTrue(a.openBlocks() <= limit, "slice " + s[0] + "+" + s[1] + " keeps " + a.openBlocks() + " blocks");
    }
  }
}

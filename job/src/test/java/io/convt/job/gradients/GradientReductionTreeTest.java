package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.spark.Partitioner;
import org.junit.jupiter.api.Test;

/** The reduction's levels and node partitioning depend on record indices only. */
class GradientReductionTreeTest {
  private static int[] levels(ReductionTree t) {
    int[] l = new int[t.rounds()];
    for (int i = 0; i < l.length; i++) {
      l[i] = t.level(i);
    }
    return l;
  }

  @Test
  void roundsGoFromAboveTheSlicesToTheRoot() {
    assertEquals("[5, 9]", java.util.Arrays.toString(levels(ReductionTree.of(0, 512, 2))));
    assertEquals("[4, 8]", java.util.Arrays.toString(levels(ReductionTree.of(0, 256, 1))));
    assertEquals("[7]", java.util.Arrays.toString(levels(ReductionTree.of(0, 100, 100))));
    assertEquals("[4, 8, 10]", java.util.Arrays.toString(levels(ReductionTree.of(0, 1000, 1))));
    // [6, 10) straddles 8: its root is [0, 16), level 4
    assertEquals(4, ReductionTree.rootLevel(6, 10));
    assertEquals(0, ReductionTree.rootLevel(5, 6));
    assertEquals("[0]", java.util.Arrays.toString(levels(ReductionTree.of(5, 1, 1))));
  }

  @Test
  void nodesMapToTheirIndexAmongTheLevelsNodes() {
    ReductionTree t = ReductionTree.of(6, 100, 1); // [6, 106): root level 7, rounds at 4 and 7
    Partitioner first = t.partitioner(0);
    assertEquals((105 >> 4) - (6 >> 4) + 1, first.numPartitions());
    assertEquals(0, first.getPartition(0L));
    assertEquals(1, first.getPartition(16L));
    assertEquals(2, first.getPartition(32L)); // a larger block keyed by its start
    assertEquals(1, t.partitioner(1).numPartitions());
    assertEquals(32L, ReductionTree.key(45, 4));
    assertEquals(t.partitioner(0), ReductionTree.of(6, 100, 1).partitioner(0));
    assertThrows(IllegalStateException.class, () -> first.getPartition(200L));
    assertThrows(IllegalArgumentException.class, () -> ReductionTree.of(0, 0, 1));
  }
}

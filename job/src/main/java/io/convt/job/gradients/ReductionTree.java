package io.convt.job.gradients;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.Partitioner;

/**
 * Which levels of the gradient sum's tree the executors materialise, one shuffle round per level, for records
 * {@code [first, end)}.
 *
 * <p>The sum itself is defined by the engine's canonical binary tree over the global record index
 * ({@link io.convt.engine.train.GradientAccumulator}): the node over the aligned block {@code [a, a + 2^k)} is
 * {@code left + right} in double, and every node's value is a function of its records alone. A round at level
 * {@code L} sends every partial block to the level-{@code L} node holding it (a larger block stays its own key),
 * and one reduce task per node merges them; merging is exact bookkeeping over canonical nodes, so neither the
 * grouping nor the arrival order of blocks can change a bit. The last round is the range's root (the smallest
 * aligned node holding every record), which leaves one value for the driver.
 *
 * <p>The levels are {@code S + 4}, {@code S + 8}, … above the smallest slice's level {@code S}, then the root's
 * {@code T}: each round but the last has a sixteenth of the previous one's tasks (reduce tasks merge about 16 to 32
 * inputs), the driver-bound stage has one task, and the first round is narrow, which keeps every gradient task's map
 * status (a byte per reduce partition) and the number of reduce tasks, hence Spark's per-task status the driver
 * receives, small. The choice of levels only spreads the work; any choice gives the same bits.
 */
final class ReductionTree implements Serializable {
  private static final long serialVersionUID = 1L;
  /** log2 of the nominal fan-in of a round. */
  static final int FAN_IN_BITS = 4;

  private final long first;
  private final long end;
  private final int[] levels;

  private ReductionTree(long first, long end, int[] levels) {
    this.first = first;
    this.end = end;
    this.levels = levels;
  }

  /**
   * The rounds for records {@code [first, first + count)} split into slices of at least {@code smallestSlice}
   * records.
   */
  static ReductionTree of(long first, long count, long smallestSlice) {
    if (first < 0 || count < 1 || smallestSlice < 1) {
      throw new IllegalArgumentException("Cannot plan gradient reduction: bad range " + first + "+" + count
          + " or slice " + smallestSlice);
    }
    long end = first + count;
    int root = rootLevel(first, end);
    int sliceLevel = 63 - Long.numberOfLeadingZeros(smallestSlice);
    int n = Math.max(1, (root - sliceLevel + FAN_IN_BITS - 1) / FAN_IN_BITS);
    int[] levels = new int[n];
    for (int i = 0; i < n - 1; i++) {
      levels[i] = sliceLevel + FAN_IN_BITS * (i + 1);
    }
    levels[n - 1] = root;
    return new ReductionTree(first, end, levels);
  }

  /** Level of the smallest aligned node holding {@code [first, end)}. */
  static int rootLevel(long first, long end) {
    long x = first ^ (end - 1);
    return x == 0 ? 0 : 64 - Long.numberOfLeadingZeros(x);
  }

  /** Shuffle rounds, the last one at the root. */
  int rounds() {
    return levels.length;
  }

  /** Node size exponent of round {@code round}. */
  int level(int round) {
    return levels[round];
  }

  /** The key of a node or block starting at {@code start} in a round at {@code level}. */
  static long key(long start, int level) {
    return start >> level << level;
  }

  /** One partition per level-{@code level(round)} node of the range. */
  Partitioner partitioner(int round) {
    int level = levels[round];
    long base = first >> level;
    long n = ((end - 1) >> level) - base + 1;
    if (n > Integer.MAX_VALUE) {
      throw new IllegalStateException("Cannot plan gradient reduction: " + n + " nodes at level " + level);
    }
    return new NodePartitioner(level, base, (int) n);
  }

  @Override
  public String toString() {
    return "levels " + Arrays.toString(levels) + " over [" + first + ", " + end + ")";
  }

  /** Partition of a node key: its index among the round's nodes. Depends on node ids only. */
  static final class NodePartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int level;
    private final long base;
    private final int partitions;

    NodePartitioner(int level, long base, int partitions) {
      this.level = level;
      this.base = base;
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object key) {
      long index = ((Long) key >> level) - base;
      if (index < 0 || index >= partitions) {
        throw new IllegalStateException("Gradient block at record " + key + " lies outside the reduced range");
      }
      return (int) index;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof NodePartitioner p && p.level == level && p.base == base && p.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(base) * 31 + level * 7 + partitions;
    }
  }
}

package io.convt.engine.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Bitwise-reproducible sum of per-record weight and bias gradients, mergeable across partitions in any grouping
 * and order.
 *
 * <p><b>The sum is defined by a fixed binary tree over the global record index</b>, not by the order records
 * arrive: leaf {@code i} is record {@code i}'s gradient widened to double; the node over the aligned block
 * {@code [a, a + 2^k)} (a a multiple of 2^k) is {@code left + right} in double, element by element; a block with no
 * records is <i>empty</i> and a node with one empty child is the other child unchanged (no addition, so skipped
 * or missing records and the total count change nothing else). Every node is therefore a fixed function of the
 * records below it, and any partition into partials, merged in any order, yields the same bits.
 *
 * <p>A partial covers a record range {@code [from, to)} ({@link #forRange}); records are added in increasing
 * index order (gaps are missing records). It keeps only maximal completed blocks, at most about 2·log2(n) of
 * them (one double vector each), so a partial over 10^6 records holds about 40 vectors at most. Sealing
 * (implicit in {@link #toBytes()} and {@link #merge}) declares the rest of its range missing. {@link #finish()}
 * combines whatever blocks remain, treating uncovered ranges as empty.
 *
 * <p>Byte format ({@link #toBytes()}), all little-endian: magic {@code "CVGA"} (4 ASCII bytes), int32 version
 * (1), int32 weightCount, int32 biasCount, int64 records (number of records added), int32 blockCount, then per
 * block, in increasing start order: int64 start, int32 level (block = {@code [start, start + 2^level)}),
 * int8 kind (0 = empty, 1 = data), and for data {@code weightCount + biasCount} float64 values (weights in MPS
 * OHWI order, then biases).
 *
 * <p>Not thread-safe; one instance per task.
 */
public final class GradientAccumulator {
  private static final int MAGIC = 0x41475643; // "CVGA" read little-endian
  private static final int VERSION = 1;

  private final int weightCount;
  private final int biasCount;
  private final TreeMap<Long, Block> blocks = new TreeMap<>();
  private final long to;
  private long next;
  private long records;
  private boolean sealed;

  private record Block(long start, int level, double[] sum) {
    long end() {
      return start + (1L << level);
    }
  }

  private GradientAccumulator(int weightCount, int biasCount, long from, long to, boolean sealed) {
    if (weightCount < 0 || biasCount < 0) {
      throw new IllegalArgumentException(
          "Cannot create gradient accumulator: sizes must be >= 0 (" + weightCount + ", " + biasCount + ")");
    }
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("Cannot create gradient accumulator: bad record range [" + from + ", " + to + ")");
    }
    this.weightCount = weightCount;
    this.biasCount = biasCount;
    this.next = from;
    this.to = to;
    this.sealed = sealed;
  }

  /** A partial for records {@code [from, to)} of the global index. */
  public static GradientAccumulator forRange(long from, long to, int weightCount, int biasCount) {
    return new GradientAccumulator(weightCount, biasCount, from, to, false);
  }

  /** A partial covering nothing: the neutral element of {@link #merge} (e.g. Spark's zero value). */
  public static GradientAccumulator empty(int weightCount, int biasCount) {
    return new GradientAccumulator(weightCount, biasCount, 0, 0, true);
  }

  public int weightCount() { return weightCount; }
  public int biasCount() { return biasCount; }
  /** Records added to this partial and every partial merged into it. */
  public long records() { return records; }
  /** Blocks held now (memory is this times {@code weightCount + biasCount} doubles). */
  public int openBlocks() { return blocks.size(); }

  /**
   * Adds record {@code index}'s gradient. Indices must increase within a partial and lie in its range.
   *
   * @param biasGradient may be null when {@code biasCount} is 0
   * @throws IllegalArgumentException on a bad index or size, or a NaN or infinite value
   */
  public void add(long index, float[] weightGradient, float[] biasGradient) {
    if (sealed) {
      throw new IllegalStateException("Cannot add record " + index + ": the accumulator is sealed (serialised or merged)");
    }
    if (index < next || index >= to) {
      throw new IllegalArgumentException("Cannot add record " + index + ": indices must increase within [" + next
          + ", " + to + ")");
    }
    int wl = weightGradient == null ? -1 : weightGradient.length;
    int bl = biasGradient == null ? 0 : biasGradient.length;
    if (wl != weightCount || bl != biasCount) {
      throw new IllegalArgumentException("Cannot add record " + index + ": gradient sizes " + wl + " + " + bl
          + " differ from the accumulator's " + weightCount + " + " + biasCount);
    }
    double[] leaf = new double[weightCount + biasCount];
    for (int i = 0; i < weightCount; i++) {
      leaf[i] = weightGradient[i];
    }
    for (int i = 0; i < biasCount; i++) {
      leaf[weightCount + i] = biasGradient[i];
    }
    for (int i = 0; i < leaf.length; i++) {
      if (!Double.isFinite(leaf[i])) {
        throw new IllegalArgumentException("Cannot add record " + index + ": gradient value " + i + " is not finite ("
            + leaf[i] + ")");
      }
    }
    fillEmpty(index);
    insert(new Block(index, 0, leaf));
    next = index + 1;
    records++;
  }

  /** Declares the rest of the range missing; later adds are rejected. Idempotent. */
  public void seal() {
    if (!sealed) {
      fillEmpty(to);
      next = to;
      sealed = true;
    }
  }

  /**
   * Merges {@code other} into this (both are sealed first). Partials must cover disjoint records.
   *
   * @return this
   */
  public GradientAccumulator merge(GradientAccumulator other) {
    if (other.weightCount != weightCount || other.biasCount != biasCount) {
      throw new IllegalArgumentException("Cannot merge gradient accumulators: sizes differ (" + weightCount + "+"
          + biasCount + " vs " + other.weightCount + "+" + other.biasCount + ")");
    }
    seal();
    other.seal();
    for (Block b : other.blocks.values()) {
      Map.Entry<Long, Block> before = blocks.floorEntry(b.start());
      Map.Entry<Long, Block> after = blocks.ceilingEntry(b.start());
      if ((before != null && before.getValue().end() > b.start()) || (after != null && after.getKey() < b.end())) {
        throw new IllegalArgumentException("Cannot merge gradient accumulators: both cover records ["
            + b.start() + ", " + b.end() + ")");
      }
    }
    for (Block b : new ArrayList<>(other.blocks.values())) {
      insert(b);
    }
    records += other.records;
    return this;
  }

  /**
   * This partial (sealed first) split by the aligned nodes of {@code 2^level} records that hold its blocks: the
   * blocks inside one such node form that node's part; a block larger than the node is a part of its own. Parts are
   * keyed by the start of their node (or large block), in increasing order. Every block keeps its value, so the
   * parts merged back in any grouping and order give this partial's bits; this is how partials are sent up a
   * reduction tree one node at a time.
   *
   * <p>A part's {@link #records()} is 0: the accumulator does not know how its records fall into blocks, so a
   * caller that needs per-part counts keeps them itself.
   *
   * @param level node size exponent, 0 to 62
   */
  public NavigableMap<Long, GradientAccumulator> splitByNode(int level) {
    if (level < 0 || level > 62) {
      throw new IllegalArgumentException("Cannot split gradient accumulator: level must be in [0, 62], got " + level);
    }
    seal();
    TreeMap<Long, GradientAccumulator> parts = new TreeMap<>();
    for (Block b : blocks.values()) {
      long key = b.level() >= level ? b.start() : b.start() >> level << level;
      // blocks of one partial are already maximal (no two siblings), so they go in as they are
      parts.computeIfAbsent(key, k -> empty(weightCount, biasCount)).blocks.put(b.start(), b);
    }
    return parts;
  }

  /** The final sums as double (weights then biases, length {@code weightCount + biasCount}). */
  public double[] finishDouble() {
    // Promote the smallest blocks level by level; a block whose sibling range is uncovered is its own parent.
    TreeMap<Long, Block> work = new TreeMap<>(blocks);
    while (work.size() > 1) {
      int min = Integer.MAX_VALUE;
      for (Block b : work.values()) {
        min = Math.min(min, b.level());
      }
      List<Block> level = new ArrayList<>();
      for (Block b : work.values()) {
        if (b.level() == min) {
          level.add(b);
        }
      }
      for (Block b : level) {
        if (!work.containsKey(b.start()) || work.get(b.start()) != b) {
          continue; // already merged with its left sibling
        }
        long parentStart = b.start() & ~((1L << (min + 1)) - 1);
        Block left = parentStart == b.start() ? b : work.get(parentStart);
        Block right = parentStart == b.start() ? work.get(b.start() + (1L << min)) : b;
        if (left != null && left.level() != min) {
          left = null;
        }
        if (right != null && right.level() != min) {
          right = null;
        }
        if (left != null) {
          work.remove(left.start());
        }
        if (right != null) {
          work.remove(right.start());
        }
        work.put(parentStart, new Block(parentStart, min + 1, add(left == null ? null : left.sum(),
            right == null ? null : right.sum())));
      }
    }
    double[] root = work.isEmpty() ? null : work.firstEntry().getValue().sum();
    return root == null ? new double[weightCount + biasCount] : root.clone();
  }

  /** The final weight gradient, rounded to float (MPS OHWI order). */
  public float[] weightGradient() {
    return toFloat(finishDouble(), 0, weightCount);
  }

  /** The final bias gradient, rounded to float (length {@code biasCount}). */
  public float[] biasGradient() {
    return toFloat(finishDouble(), weightCount, biasCount);
  }

  private static float[] toFloat(double[] a, int from, int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) a[from + i];
    }
    return f;
  }

  // Covers [next, target) with maximal aligned empty blocks.
  private void fillEmpty(long target) {
    long a = next;
    while (a < target) {
      int k = a == 0 ? 62 : Long.numberOfTrailingZeros(a);
      while ((1L << k) > target - a) {
        k--;
      }
      insert(new Block(a, k, null));
      a += 1L << k;
    }
  }

  // Inserts a block and merges it upwards while its sibling is present.
  private void insert(Block b) {
    Block cur = b;
    while (true) {
      long size = 1L << cur.level();
      boolean isLeft = (cur.start() & (2 * size - 1)) == 0;
      Block sib = blocks.get(isLeft ? cur.start() + size : cur.start() - size);
      if (sib == null || sib.level() != cur.level()) {
        blocks.put(cur.start(), cur);
        return;
      }
      blocks.remove(sib.start());
      Block left = isLeft ? cur : sib;
      Block right = isLeft ? sib : cur;
      cur = new Block(left.start(), cur.level() + 1, add(left.sum(), right.sum()));
    }
  }

  private static double[] add(double[] left, double[] right) {
    if (left == null) {
      return right;
    }
    if (right == null) {
      return left;
    }
    double[] s = new double[left.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = left[i] + right[i];
    }
    return s;
  }

  /** Serialises the (sealed) partial in the format of the class comment. */
  public byte[] toBytes() {
    seal();
    int vec = weightCount + biasCount;
    long size = 28L;
    for (Block b : blocks.values()) {
      size += 13L + (b.sum() == null ? 0 : 8L * vec);
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("Cannot serialise gradient accumulator: " + size + " bytes");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(MAGIC).putInt(VERSION).putInt(weightCount).putInt(biasCount).putLong(records).putInt(blocks.size());
    for (Block b : blocks.values()) {
      buf.putLong(b.start()).putInt(b.level()).put((byte) (b.sum() == null ? 0 : 1));
      if (b.sum() != null) {
        for (double v : b.sum()) {
          buf.putDouble(v);
        }
      }
    }
    return buf.array();
  }

  /**
   * Reads a partial written by {@link #toBytes()}.
   *
   * @throws IllegalArgumentException when the bytes are not a valid partial
   */
  public static GradientAccumulator fromBytes(byte[] bytes) {
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      if (buf.getInt() != MAGIC) {
        throw new IllegalArgumentException("Cannot read gradient accumulator: bad magic (not a CVGA partial)");
      }
      int version = buf.getInt();
      if (version != VERSION) {
        throw new IllegalArgumentException("Cannot read gradient accumulator: unsupported version " + version);
      }
      GradientAccumulator acc = empty(buf.getInt(), buf.getInt());
      acc.records = buf.getLong();
      int n = buf.getInt();
      int vec = acc.weightCount + acc.biasCount;
      long prevEnd = Long.MIN_VALUE;
      for (int i = 0; i < n; i++) {
        long start = buf.getLong();
        int level = buf.getInt();
        byte kind = buf.get();
        if (level < 0 || level > 62 || start < 0 || (start & ((1L << level) - 1)) != 0 || start < prevEnd
            || (kind != 0 && kind != 1)) {
          throw new IllegalArgumentException("Cannot read gradient accumulator: bad block " + i + " (start=" + start
              + ", level=" + level + ", kind=" + kind + ")");
        }
        double[] sum = null;
        if (kind == 1) {
          sum = new double[vec];
          for (int j = 0; j < vec; j++) {
            sum[j] = buf.getDouble();
          }
        }
        Block b = new Block(start, level, sum);
        acc.blocks.put(start, b);
        prevEnd = b.end();
      }
      if (buf.hasRemaining()) {
        throw new IllegalArgumentException("Cannot read gradient accumulator: " + buf.remaining() + " trailing bytes");
      }
      return acc;
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("Cannot read gradient accumulator: truncated (" + bytes.length + " bytes)", e);
    }
  }
}

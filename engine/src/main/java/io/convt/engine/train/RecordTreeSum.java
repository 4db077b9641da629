package io.convt.engine.train;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A float sum over the records {@code [0, records)} of a dataset whose result is bit-identical however the records
 * are split into contiguous slices, whichever slice is computed where, and in whatever order partial sums arrive.
 *
 * <p>The sum is defined by one fixed binary tree over record indices: node {@code (level k, index j)} covers records
 * {@code [j·2^k, (j+1)·2^k)}; a leaf is one record's vector; an inner node is {@code left + right} (float, element
 * by element, left first), or just {@code left} when no record of the dataset falls under {@code right}. Every node
 * value is therefore a function of its records alone. A slice streams its records in order and keeps a stack of
 * the complete nodes it has (at most {@code log2(records) + 1} vectors), merging siblings as soon as both are there;
 * {@link #toBytes()} ships those nodes. {@link #merge} pools the nodes of many slices, and {@link #total()} evaluates
 * the tree from the root, using whichever nodes it holds: since they are canonical, any covering set gives the same
 * bits. Float addition never changes order, so the result equals the single-JVM tree sum exactly.
 *
 * <p>Not thread-safe: one instance per task.
 */
public final class RecordTreeSum {
  private static final int MAGIC = 0x43545253; // "CTRS"

  private final int length;
  private final long records;
  /** Complete nodes, keyed by (level, index); the streaming stack is the tail of insertion order. */
  private final Deque<Node> stack = new ArrayDeque<>();
  private final Map<Key, float[]> pooled = new TreeMap<>();
  private long nextRecord = -1;

  private record Key(int level, long index) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      return level != o.level ? Integer.compare(level, o.level) : Long.compare(index, o.index);
    }
  }

  private record Node(int level, long index, float[] value) {}

  /**
   * @param length floats per record vector
   * @param records records in the dataset (the tree's extent)
   * @throws IllegalArgumentException when {@code length} &lt; 0 or {@code records} ≤ 0
   */
  public RecordTreeSum(int length, long records) {
    if (length < 0 || records <= 0) {
      throw new IllegalArgumentException("Cannot create record sum: need length >= 0 and records > 0 (" + length
          + ", " + records + ")");
    }
    this.length = length;
    this.records = records;
  }

  /** Floats per vector. */
  public int length() {
    return length;
  }

  /** Records in the dataset. */
  public long records() {
    return records;
  }

  /**
   * Adds record {@code record}'s vector (copied). Records of one instance must come in increasing, contiguous order.
   *
   * @throws IllegalArgumentException on a wrong length, an out-of-range or out-of-order record, or a non-finite value
   */
  public void add(long record, float[] vector) {
    Objects.requireNonNull(vector, "vector");
    if (vector.length != length) {
      throw new IllegalArgumentException("Cannot add record " + record + ": vector has " + vector.length
          + " values, expected " + length);
    }
    if (record < 0 || record >= records || (nextRecord >= 0 && record != nextRecord)) {
      throw new IllegalArgumentException("Cannot add record " + record + ": expected "
          + (nextRecord >= 0 ? "record " + nextRecord : "a record in [0, " + records + ")"));
    }
    for (int i = 0; i < vector.length; i++) {
      if (!Float.isFinite(vector[i])) {
        throw new IllegalArgumentException("Cannot add record " + record + ": value " + i + " is not finite ("
            + vector[i] + ")");
      }
    }
    nextRecord = record + 1;
    Node n = promote(new Node(0, record, vector.clone()));
    while (!stack.isEmpty() && stack.peekLast().level == n.level && stack.peekLast().index == n.index - 1
        && (n.index & 1) == 1) {
      Node left = stack.pollLast();
      n = promote(new Node(n.level + 1, n.index >> 1, add(left.value, n.value)));
    }
    stack.addLast(n);
  }

  /** Lifts a node whose sibling on the right holds no record of the dataset: the parent's value is the node's. */
  private Node promote(Node n) {
    Node cur = n;
    while ((cur.index & 1) == 0 && ((cur.index + 1) << cur.level) >= records && !isRoot(cur)) {
      cur = new Node(cur.level + 1, cur.index >> 1, cur.value);
    }
    return cur;
  }

  private boolean isRoot(Node n) {
    return n.index == 0 && (1L << n.level) >= records;
  }

  private static float[] add(float[] a, float[] b) {
    float[] s = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      s[i] = a[i] + b[i];
    }
    return s;
  }

  /** Pools another partial's nodes into this one (slices must not overlap). */
  public RecordTreeSum merge(RecordTreeSum other) {
    if (other.length != length || other.records != records) {
      throw new IllegalArgumentException("Cannot merge record sums: shapes differ (" + length + "/" + records
          + " vs " + other.length + "/" + other.records + ")");
    }
    for (Node n : other.nodes()) {
      Key k = new Key(n.level, n.index);
      boolean onStack = stack.stream().anyMatch(m -> m.level == n.level && m.index == n.index);
      if (onStack || pooled.put(k, n.value) != null) {
        throw new IllegalArgumentException("Cannot merge record sums: node " + n.level + "/" + n.index
            + " arrived twice (overlapping slices)");
      }
    }
    return this;
  }

  private Iterable<Node> nodes() {
    List<Node> all = new java.util.ArrayList<>(stack);
    for (Map.Entry<Key, float[]> e : pooled.entrySet()) {
      all.add(new Node(e.getKey().level, e.getKey().index, e.getValue()));
    }
    return all;
  }

  /**
   * The sum over every record of the dataset.
   *
   * @throws IllegalArgumentException when some record was never added (a missing slice)
   */
  public float[] total() {
    Map<Key, float[]> all = new TreeMap<>(pooled);
    for (Node n : stack) {
      all.put(new Key(n.level, n.index), n.value);
    }
    int top = 0;
    while ((1L << top) < records) {
      top++;
    }
    return evaluate(all, top, 0).clone();
  }

  private float[] evaluate(Map<Key, float[]> all, int level, long index) {
    float[] v = all.get(new Key(level, index));
    if (v != null) {
      return v;
    }
    if (level == 0) {
      throw new IllegalArgumentException("Cannot total record sum: record " + index + " of " + records
          + " was never added");
    }
    float[] left = evaluate(all, level - 1, index << 1);
    long right = (index << 1) + 1;
    if ((right << (level - 1)) >= records) {
      return left;
    }
    return add(left, evaluate(all, level - 1, right));
  }

  /** The complete nodes held, as bytes: what a task ships to the driver. */
  public byte[] toBytes() {
    try {
      ByteArrayOutputStream bo = new ByteArrayOutputStream();
      DataOutputStream o = new DataOutputStream(bo);
      int count = 0;
      for (Iterator<Node> it = nodes().iterator(); it.hasNext(); it.next()) {
        count++;
      }
      o.writeInt(MAGIC);
      o.writeInt(length);
      o.writeLong(records);
      o.writeInt(count);
      ByteBuffer b = ByteBuffer.allocate(4 * length).order(ByteOrder.LITTLE_ENDIAN);
      for (Node n : nodes()) {
        o.writeInt(n.level);
        o.writeLong(n.index);
        b.clear();
        b.asFloatBuffer().put(n.value);
        o.write(b.array());
      }
      o.flush();
      return bo.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads {@link #toBytes()} output.
   *
   * @throws IllegalArgumentException when the bytes are not a record sum
   */
  public static RecordTreeSum fromBytes(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
      if (in.readInt() != MAGIC) {
        throw new IllegalArgumentException("Cannot read record sum: bad magic");
      }
      RecordTreeSum s = new RecordTreeSum(in.readInt(), in.readLong());
      int count = in.readInt();
      byte[] raw = new byte[4 * s.length];
      for (int i = 0; i < count; i++) {
        int level = in.readInt();
        long index = in.readLong();
        in.readFully(raw);
        float[] v = new float[s.length];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        s.pooled.put(new Key(level, index), v);
      }
      return s;
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read record sum: " + e.getMessage(), e);
    }
  }
}

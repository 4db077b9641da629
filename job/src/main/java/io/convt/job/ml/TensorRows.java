package io.convt.job.ml;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.layer.Layer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Executor side of {@link ConvTransposeTransformer}: streams a partition's rows through the kernel in Arrow batches
 * of up to {@code batchSize} records of one shape and hands each row on with its output tensor and shape appended,
 * in input order. Lazy and bounded: one batch of rows is held at a time. A row whose tensor is null gets null
 * outputs (as Spark's own stages do); a row the layer cannot take fails the task with the job's
 * {@code --fail-fast} message (a stage has no quarantine). The Arrow allocator belongs to the task and is closed
 * when the partition is done or the task ends.
 */
final class TensorRows implements Iterator<Row> {
  /** One input row with its tensor as a primitive array. */
  private record Pending(Row row, int[] shape, float[] data) {}

  private final Iterator<Row> in;
  private final Layer layer;
  private final TensorColumns columns;
  private final int batchSize;
  private final Deque<Row> ready = new ArrayDeque<>();
  private Pending lookahead;
  private long position;
  private BufferAllocator allocator;

  TensorRows(Iterator<Row> in, Layer layer, TensorColumns columns, int batchSize) {
    this.in = in;
    this.layer = layer;
    this.columns = columns;
    this.batchSize = batchSize;
  }

  @Override
  public boolean hasNext() {
    while (ready.isEmpty() && (lookahead != null || in.hasNext())) {
      fill();
    }
    if (ready.isEmpty()) {
      closeAllocator();
    }
    return !ready.isEmpty();
  }

  @Override
  public Row next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.poll();
  }

  private void fill() {
    List<Pending> batch = new ArrayList<>();
    while (batch.size() < batchSize && (lookahead != null || in.hasNext())) {
      Pending p = lookahead != null ? lookahead : read(in.next());
      lookahead = null;
      boolean fits = p.data() != null && (batch.isEmpty() || Arrays.equals(batch.get(0).shape(), p.shape()));
      if (!fits && !batch.isEmpty()) {
        lookahead = p; // a new shape (or a null tensor) starts after this batch, so rows keep their order
        break;
      }
      if (p.data() == null) {
        ready.add(append(p.row(), null, null));
        return;
      }
      batch.add(p);
    }
    if (!batch.isEmpty()) {
      run(batch);
    }
  }

  private Pending read(Row r) {
    long at = position++;
    if (r.isNullAt(columns.inputIndex())) {
      return new Pending(r, null, null);
    }
    int[] shape = columns.shapeIndex() >= 0 && !r.isNullAt(columns.shapeIndex())
        ? SparkArrays.ints(r.get(columns.shapeIndex())) : columns.fixedShape();
    float[] data = SparkArrays.floats(r.get(columns.inputIndex()), () -> name(r, at));
    if (shape == null || shape.length != 3 || (long) shape[0] * shape[1] * shape[2] != data.length) {
      throw bad(r, at, "shape", "shape " + Arrays.toString(shape) + " does not match " + data.length + " values");
    }
    if (shape[0] != layer.inputChannels()) {
      throw bad(r, at, "channels", "has " + shape[0] + " channels, the weights expect " + layer.inputChannels());
    }
    try {
      layer.outputShape(shape[1], shape[2]);
    } catch (IllegalArgumentException e) {
      throw bad(r, at, "shape", e.getMessage());
    }
    return new Pending(r, shape, data);
  }

  private void run(List<Pending> batch) {
    int[] s = batch.get(0).shape();
    BufferAllocator alloc = allocator();
    try (ImageBatch src = ImageBatch.allocate(alloc, batch.size(), s[1], s[2], s[0])) {
      for (int i = 0; i < batch.size(); i++) {
        src.writeCHW(i, batch.get(i).data());
      }
      try (ImageBatch dst = layer.apply(alloc, src)) {
        int[] outShape = {dst.channels(), dst.height(), dst.width()};
        for (int i = 0; i < batch.size(); i++) {
          float[] out = new float[dst.imageSize()];
          dst.readCHW(i, out);
          ready.add(append(batch.get(i).row(), out, outShape.clone()));
        }
      }
    }
  }

  /** The row with its output tensor and shape appended (Spark's row serializer takes primitive arrays). */
  private static Row append(Row r, float[] out, int[] shape) {
    Object[] values = new Object[r.length() + 2];
    for (int i = 0; i < r.length(); i++) {
      values[i] = r.get(i);
    }
    values[r.length()] = out;
    values[r.length() + 1] = shape;
    return RowFactory.create(values);
  }

  private String name(Row r, long at) {
    if (columns.idIndex() >= 0 && !r.isNullAt(columns.idIndex())) {
      return r.getString(columns.idIndex());
    }
    TaskContext ctx = TaskContext.get();
    return "row " + at + (ctx == null ? "" : " of partition " + ctx.partitionId());
  }

  private IllegalArgumentException bad(Row r, long at, String reason, String detail) {
    return new IllegalArgumentException("Bad record " + name(r, at) + " (" + reason + "): " + detail);
  }

  private BufferAllocator allocator() {
    if (allocator == null) {
      allocator = new RootAllocator();
      TaskContext ctx = TaskContext.get();
      if (ctx != null) {
        // also runs when the task fails or is killed
        ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> closeAllocator());
      }
    }
    return allocator;
  }

  private void closeAllocator() {
    if (allocator != null) {
      allocator.close();
      allocator = null;
    }
  }
}

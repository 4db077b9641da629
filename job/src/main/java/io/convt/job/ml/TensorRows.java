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
import scala.Tuple2;

/**
 * Executor side of {@link ConvTransposeTransformer}: streams a partition's rows (the other columns as a
 * {@link Row}, the tensor as a {@link TensorRecord}) through the kernel in Arrow batches of up to {@code batchSize}
 * records of one shape and hands each row on with its output tensor and shape set, in input order. Lazy and
 * bounded: one batch of rows is held at a time. A row whose tensor is null gets null outputs (as Spark's own stages
 * do); a row the layer cannot take fails the task with the job's {@code --fail-fast} message (a stage has no
 * quarantine). The Arrow allocator belongs to the task and is closed
 * when the partition is done or the task ends.
 */
final class TensorRows implements Iterator<Tuple2<Row, TensorRecord>> {
  /** One input row with its tensor's shape resolved. */
  private record Pending(Tuple2<Row, TensorRecord> row, int[] shape) {
    float[] data() {
      return row._2().getData();
    }
  }

  private final Iterator<Tuple2<Row, TensorRecord>> in;
  private final Layer layer;
  private final int[] fixedShape;
  private final int idIndex;
  private final int batchSize;
  private final Deque<Tuple2<Row, TensorRecord>> ready = new ArrayDeque<>();
  private Pending lookahead;
  private long position;
  private BufferAllocator allocator;

  /**
   * @param fixedShape the shape of rows without one, or null
   * @param idIndex position of a string {@code id} column in the rows, to name a bad record, or -1
   */
  TensorRows(Iterator<Tuple2<Row, TensorRecord>> in, Layer layer, int[] fixedShape, int idIndex, int batchSize) {
    this.in = in;
    this.layer = layer;
    this.fixedShape = fixedShape;
    this.idIndex = idIndex;
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
  public Tuple2<Row, TensorRecord> next() {
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
        ready.add(p.row()); // null in, null out
        return;
      }
      batch.add(p);
    }
    if (!batch.isEmpty()) {
      run(batch);
    }
  }

  private Pending read(Tuple2<Row, TensorRecord> row) {
    long at = position++;
    TensorRecord t = row._2();
    if (t.getData() == null) {
      return new Pending(row, null);
    }
    int[] shape = t.getShape() != null ? t.getShape() : fixedShape;
    int n = t.getData().length;
    if (shape == null || shape.length != 3 || (long) shape[0] * shape[1] * shape[2] != n) {
      throw bad(row, at, "shape", "shape " + Arrays.toString(shape) + " does not match " + n + " values");
    }
    if (shape[0] != layer.inputChannels()) {
      throw bad(row, at, "channels", "has " + shape[0] + " channels, the weights expect " + layer.inputChannels());
    }
    try {
      layer.outputShape(shape[1], shape[2]);
    } catch (IllegalArgumentException e) {
      throw bad(row, at, "shape", e.getMessage());
    }
    return new Pending(row, shape);
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
          TensorRecord t = batch.get(i).row()._2();
          t.setOutput(out);
          t.setOutputShape(outShape.clone());
          ready.add(batch.get(i).row());
        }
      }
    }
  }

  private String name(Row r, long at) {
    if (idIndex >= 0 && !r.isNullAt(idIndex)) {
      return r.getString(idIndex);
    }
    TaskContext ctx = TaskContext.get();
    return "row " + at + (ctx == null ? "" : " of partition " + ctx.partitionId());
  }

  private IllegalArgumentException bad(Tuple2<Row, TensorRecord> row, long at, String reason, String detail) {
    return new IllegalArgumentException("Bad record " + name(row._1(), at) + " (" + reason + "): " + detail);
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

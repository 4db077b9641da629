package io.convt.engine.io;

import io.convt.engine.arrow.FixedShapeTensorType;
import io.convt.engine.arrow.FixedShapeTensorVector;
import io.convt.engine.arrow.ImageBatch;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Streams same-shape tensors into one Arrow IPC file (the {@link TensorIpc} layout: {@code id} utf8, {@code index}
 * int64 (the record's position in its input), {@code data} {@code arrow.fixed_shape_tensor}) as record batches of
 * at most {@code batchRows} rows, so memory is bounded by one
 * batch however many tensors the file gets: one {@link VectorSchemaRoot} is allocated once and refilled for every
 * batch. Each tensor goes into the batch as one bulk copy of its floats (no per-float calls). {@link TensorIpc#read}
 * reads the file back (it reads every batch).
 *
 * <p>Usage: {@link #add} each tensor, then {@link #finish()} to write the last batch and the footer; always
 * {@link #close()} (try-with-resources), which frees the Arrow memory (taken from the borrowed {@code allocator}) and
 * closes {@code out}, as Arrow's writer does. Only a file {@code finish()}ed holds every tensor added.
 */
public final class TensorIpcWriter implements AutoCloseable {
  private final int[] shape;
  private final int batchRows;
  private final int tensorSize;
  private final VectorSchemaRoot root;
  private final ArrowFileWriter writer;
  private final VarCharVector ids;
  private final BigIntVector indexes;
  private final FixedSizeListVector list;
  private final Float4Vector values;
  private int rows;
  private long added;
  private boolean finished;

  /**
   * Opens a file of tensors of {@code shape} on {@code out}; nothing is written before the first {@link #add} or
   * {@link #finish()}.
   *
   * @throws IllegalArgumentException when a dimension or {@code batchRows} is not positive, or a batch would exceed
   *     2^31−1 floats
   */
  public TensorIpcWriter(WritableByteChannel out, int[] shape, int batchRows, BufferAllocator allocator) {
    long size = 1;
    for (int d : shape) {
      if (d <= 0) {
        throw new IllegalArgumentException("Cannot write tensors of shape " + Arrays.toString(shape)
            + ": every dimension must be > 0");
      }
      size *= d;
    }
    if (batchRows <= 0 || size * batchRows > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Cannot write tensors of shape " + Arrays.toString(shape)
          + " in batches of " + batchRows + " rows: need 1.." + (Integer.MAX_VALUE - 8) / size + " rows");
    }
    this.shape = shape.clone();
    this.batchRows = batchRows;
    this.tensorSize = (int) size;
    FixedShapeTensorType type = new FixedShapeTensorType(shape, shape.length == 3 ? List.of("C", "H", "W") : null);
    Schema schema = new Schema(List.of(Field.notNullable("id", new ArrowType.Utf8()),
        Field.notNullable("index", new ArrowType.Int(64, true)), type.field("data")));
    VectorSchemaRoot r = VectorSchemaRoot.create(schema, allocator);
    try {
      ids = (VarCharVector) r.getVector("id");
      list = ((FixedShapeTensorVector) r.getVector("data")).getUnderlyingVector();
      values = (Float4Vector) list.getDataVector();
      ids.allocateNew(batchRows);
      indexes = (BigIntVector) r.getVector("index");
      indexes.allocateNew(batchRows);
      list.setInitialCapacity(batchRows);
      list.allocateNew();
      int floats = batchRows * tensorSize;
      if (values.getValueCapacity() < floats) {
        values.setInitialCapacity(floats);
        values.allocateNew();
      }
      // the floats are never null: mark the whole capacity valid once; rows are overwritten batch after batch
      values.getValidityBuffer().setOne(0, (values.getValueCapacity() + 7) / 8);
      writer = new ArrowFileWriter(r, null, out);
      root = r;
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
  }

  /** The shape every tensor of this file has. */
  public int[] shape() {
    return shape.clone();
  }

  /** As {@link #add(String, long, float[])} with the tensor's position in this file as its index. */
  public void add(String id, float[] tensor) throws IOException {
    add(id, added, tensor);
  }

  /**
   * Appends one tensor (row-major, {@code shape}'s element count) with its {@code index}; writes a record batch
   * when it is full.
   *
   * @throws IllegalArgumentException when {@code tensor} has the wrong length
   */
  public void add(String id, long index, float[] tensor) throws IOException {
    checkOpen(id);
    if (tensor.length != tensorSize) {
      throw new IllegalArgumentException("Cannot write tensor " + id + ": " + tensor.length + " values, shape "
          + Arrays.toString(shape) + " holds " + tensorSize);
    }
    slot(id, index).put(tensor);
    endRow();
  }

  /** As {@link #add(String, long, ImageBatch, int)} with the tensor's position in this file as its index. */
  public void add(String id, ImageBatch images, int n) throws IOException {
    add(id, added, images, n);
  }

  /**
   * Appends image {@code n} of {@code images}, with its {@code index}, as a {@code [C][H][W]} tensor, copied (and
   * transposed) straight from
   * the batch's Arrow buffer into the file's batch; writes a record batch when it is full.
   *
   * @throws IllegalArgumentException when the image's {@code [C,H,W]} is not this file's shape
   */
  public void add(String id, long index, ImageBatch images, int n) throws IOException {
    checkOpen(id);
    int[] chw = {images.channels(), images.height(), images.width()};
    if (!Arrays.equals(chw, shape)) {
      throw new IllegalArgumentException("Cannot write tensor " + id + ": shape " + Arrays.toString(chw)
          + ", the file holds " + Arrays.toString(shape));
    }
    images.readCHW(n, slot(id, index));
    endRow();
  }

  private void checkOpen(String id) {
    if (finished) {
      throw new IllegalStateException("Cannot add tensor " + id + ": the file is finished");
    }
  }

  /** Sets the next row's id and index and returns its floats in the batch (little-endian, {@code tensorSize}). */
  private FloatBuffer slot(String id, long index) {
    if (rows == 0) {
      ids.reset(); // offsets and validity of the last batch; the floats are simply overwritten
    }
    ids.setSafe(rows, id.getBytes(StandardCharsets.UTF_8));
    indexes.set(rows, index);
    return values.getDataBuffer().nioBuffer((long) rows * tensorSize * Float.BYTES, tensorSize * Float.BYTES)
        .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
  }

  private void endRow() throws IOException {
    list.setNotNull(rows);
    rows++;
    added++;
    if (rows == batchRows) {
      flush();
    }
  }

  private void flush() throws IOException {
    root.setRowCount(rows);
    writer.writeBatch();
    rows = 0;
  }

  /** Writes the last (partial) batch and the file footer. */
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    if (rows > 0) {
      flush();
    }
    writer.end();
    finished = true;
  }

  /** Frees the Arrow memory and closes the channel. */
  @Override
  public void close() {
    try {
      writer.close();
    } finally {
      root.close();
    }
  }
}

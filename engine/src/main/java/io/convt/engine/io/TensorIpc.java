package io.convt.engine.io;

import io.convt.engine.arrow.FixedShapeTensorType;
import io.convt.engine.arrow.FixedShapeTensorVector;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;

/**
 * Arrow IPC files of tensors: column {@code id} (utf8) and column {@code data} of {@link FixedShapeTensorType}
 * (float32, one shape per file, dim names C, H, W for images). What the job writes with {@code output.format=arrow}
 * and reads back as an input, so layers chain.
 */
public final class TensorIpc {
  /**
   * One tensor read from a file.
   *
   * @param index the row's {@code index} column (an integer column, as the job writes), or null when the file has
   *     none
   */
  public record Tensor(String id, int[] shape, float[] data, Long index) {
    /** A tensor without an index. */
    public Tensor(String id, int[] shape, float[] data) {
      this(id, shape, data, null);
    }
  }

  private TensorIpc() {}

  /** Writes one file of same-shape tensors as a single record batch (closes {@code out}). */
  public static void write(WritableByteChannel out, int[] shape, List<String> ids, List<float[]> tensors,
      BufferAllocator allocator) throws IOException {
    try (TensorIpcWriter w = new TensorIpcWriter(out, shape, Math.max(1, ids.size()), allocator)) {
      for (int i = 0; i < ids.size(); i++) {
        w.add(ids.get(i), tensors.get(i));
      }
      w.finish();
    }
  }

  /**
   * The shape {@code [C, H, W]} every tensor of the file has (its {@code data} column's type), read from the schema
   * alone: no record batch is loaded.
   *
   * @throws TensorFormatException naming {@code name} when the file is not a tensor file
   */
  public static int[] shape(SeekableByteChannel in, String name, BufferAllocator allocator) {
    FixedShapeTensorType.register();
    try (ArrowFileReader reader = new ArrowFileReader(in, allocator)) {
      FieldVector dv = reader.getVectorSchemaRoot().getVector("data");
      if (!(dv instanceof FixedShapeTensorVector data)) {
        throw new TensorFormatException(name, "needs a data column of type arrow.fixed_shape_tensor, found "
            + reader.getVectorSchemaRoot().getSchema().getFields());
      }
      return ((FixedShapeTensorType) data.getField().getType()).shape().clone();
    } catch (IOException | RuntimeException e) {
      if (e instanceof TensorFormatException t) {
        throw t;
      }
      throw new TensorFormatException(name, "not a readable Arrow IPC tensor file: " + e.getMessage(), e);
    }
  }

  /** Reads every tensor of a file written by {@link #write} (or any file with such columns). */
  public static List<Tensor> read(SeekableByteChannel in, String name, BufferAllocator allocator) {
    FixedShapeTensorType.register();
    List<Tensor> out = new ArrayList<>();
    try (ArrowFileReader reader = new ArrowFileReader(in, allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      FieldVector idv = root.getVector("id");
      FieldVector dv = root.getVector("data");
      if (!(idv instanceof VarCharVector ids) || !(dv instanceof FixedShapeTensorVector data)) {
        throw new TensorFormatException(name, "needs columns id (utf8) and data (arrow.fixed_shape_tensor), found "
            + root.getSchema().getFields());
      }
      int[] shape = ((FixedShapeTensorType) data.getField().getType()).shape();
      FieldVector iv = root.getSchema().getFields().stream().anyMatch(f -> f.getName().equals("index"))
          ? root.getVector("index") : null;
      BaseIntVector indexes = iv instanceof BaseIntVector b ? b : null;
      while (reader.loadNextBatch()) {
        for (int i = 0; i < root.getRowCount(); i++) {
          Long index = indexes == null || indexes.isNull(i) ? null : indexes.getValueAsLong(i);
          out.add(new Tensor(new String(ids.get(i), StandardCharsets.UTF_8), shape, data.getObject(i), index));
        }
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof TensorFormatException t) {
        throw t;
      }
      throw new TensorFormatException(name, "not a readable Arrow IPC tensor file: " + e.getMessage(), e);
    }
    return out;
  }
}

package io.convt.job.gradients;

import io.convt.engine.io.Npy;
import io.convt.engine.io.TensorIpc;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Tensor datasets made at test time, in the formats {@code infer} writes: seeded records as a Parquet dataset
 * (id, shape, data) and as Arrow IPC files, each split over several files in an order that is not the id order,
 * and the same records as {@code .npy} stacks in index order.
 */
public final class TensorDatasetFiles {
  private TensorDatasetFiles() {}

  /** One record: its id, shape and values. */
  public record Tensor(String id, int[] shape, float[] data) {}

  /** {@code n} seeded records of {@code shape} with the given ids. */
  public static List<Tensor> records(List<String> ids, int[] shape, long seed) {
    Random r = new Random(seed);
    int per = shape[0] * shape[1] * shape[2];
    List<Tensor> out = new ArrayList<>();
    for (String id : ids) {
      float[] v = new float[per];
      for (int i = 0; i < per; i++) {
        v[i] = (float) r.nextGaussian() * 0.5f;
      }
      out.add(new Tensor(id, shape.clone(), v));
    }
    return out;
  }

  /** The records of an {@code [N, C, H, W]} stack, with ids {@code r000000, r000001, ...} (sorted = index order). */
  public static List<Tensor> fromStack(int[] shape, float[] values) {
    int per = shape[1] * shape[2] * shape[3];
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < shape[0]; i++) {
      out.add(new Tensor(String.format("r%06d", i), new int[] {shape[1], shape[2], shape[3]},
          java.util.Arrays.copyOfRange(values, i * per, (i + 1) * per)));
    }
    return out;
  }

  /** The records stacked in list order as an {@code [N, C, H, W]} .npy. */
  public static void npy(List<Tensor> records, Path file) {
    int[] s = records.get(0).shape();
    int per = s[0] * s[1] * s[2];
    float[] all = new float[records.size() * per];
    for (int i = 0; i < records.size(); i++) {
      System.arraycopy(records.get(i).data(), 0, all, i * per, per);
    }
    Npy.writeFloat32(file, new int[] {records.size(), s[0], s[1], s[2]}, all);
  }

  /** Which of {@code files} files record {@code i} goes to: interleaved, so no file holds an id range. */
  private static int fileOf(int i, int files) {
    return (i * 2 + 1) % files;
  }

  /** A Parquet dataset of {@code files} part files (written by Spark, as infer's output is read). */
  public static void parquet(SparkSession spark, List<Tensor> records, Path dir, int files) {
    StructType schema = new StructType().add("id", DataTypes.StringType)
        .add("shape", DataTypes.createArrayType(DataTypes.IntegerType))
        .add("data", DataTypes.createArrayType(DataTypes.FloatType));
    for (int f = 0; f < files; f++) {
      List<Row> rows = new ArrayList<>();
      for (int i = records.size() - 1; i >= 0; i--) { // reversed within each file
        if (fileOf(i, files) == f) {
          Tensor t = records.get(i);
          List<Integer> shape = new ArrayList<>();
          for (int d : t.shape()) {
            shape.add(d);
          }
          List<Float> data = new ArrayList<>();
          for (float v : t.data()) {
            data.add(v);
          }
          rows.add(RowFactory.create(t.id(), shape, data));
        }
      }
      if (!rows.isEmpty()) {
        spark.createDataFrame(rows, schema).coalesce(1).write().mode("append").parquet(dir.toString());
      }
    }
  }

  /** Arrow IPC tensor files {@code part-<f>.arrow} under {@code dir} (infer's Arrow format). */
  public static void arrow(List<Tensor> records, Path dir, int files) throws IOException {
    Files.createDirectories(dir);
    try (RootAllocator alloc = new RootAllocator()) {
      for (int f = 0; f < files; f++) {
        List<String> ids = new ArrayList<>();
        List<float[]> data = new ArrayList<>();
        int[] shape = null;
        for (int i = records.size() - 1; i >= 0; i--) {
          if (fileOf(i, files) == f) {
            ids.add(records.get(i).id());
            data.add(records.get(i).data());
            shape = records.get(i).shape();
          }
        }
        if (!ids.isEmpty()) {
          try (FileChannel out = FileChannel.open(dir.resolve("part-" + f + ".arrow"), StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE)) {
            TensorIpc.write(out, shape, ids, data, alloc);
          }
        }
      }
    }
  }
}

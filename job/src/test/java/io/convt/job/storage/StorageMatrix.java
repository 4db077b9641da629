package io.convt.job.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.io.TensorIpc;
import io.convt.engine.io.Npy;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import io.convt.job.JobConfig;
import io.convt.job.infer.InferJob;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The infer matrix on a distributed store, each result compared bit for bit with the same run on the local disk:
 * images to Parquet, {@code .npy} to Arrow, Parquet (the first run's output) to PNG, Arrow (the second's) to
 * Parquet. All inputs and outputs of the remote runs live on the store; the store's settings reach the executors
 * only through the session's {@code spark.hadoop.*} configuration.
 */
abstract class StorageMatrix {
  static final Path IMAGES = Path.of("../sample-data/images");

  /** The remote run's root URI ({@code hdfs://...}, {@code s3a://bucket}); inputs are copied under root/in. */
  abstract String root();

  /** The session's Hadoop configuration for the store (also what the comparisons read with). */
  abstract Configuration storeConf(SparkSession spark);

  /** Copies a local file or directory (its files) to {@code remote}. */
  abstract void upload(Path local, String remote) throws IOException;

  static LayerSpec upsample() {
    return LayerSpec.of(Path.of("../sample-data/upsample2x_pytorch.npy"), Path.of("../sample-data/upsample2x_bias.npy"),
        WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
  }

  static JobConfig conf(String... kv) {
    List<String> all = new ArrayList<>(List.of(kv));
    all.add("progress.interval-seconds=0");
    return JobConfig.load(null, all);
  }

  static Path stack(Path dir, int n) {
    Random r = new Random(11);
    float[] x = new float[n * 3 * 7 * 5];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat() * 2 - 1;
    }
    Path p = dir.resolve("x.npy");
    Npy.writeFloat32(p, new int[] {n, 3, 7, 5}, x);
    return p;
  }

  /** Runs the matrix; {@code local} is a scratch directory for the reference runs. */
  void runMatrix(SparkSession spark, Path local) throws IOException {
    Configuration c = storeConf(spark);
    String in = root() + "/in";
    String out = root() + "/out";
    Path npy = stack(local, 10);
    upload(IMAGES, in + "/images");
    upload(npy, in + "/x.npy");
    LayerSpec spec = upsample();
    String l = local.toString();

    InferJob.run(spark, spec, conf("output.format=parquet"), IMAGES.toString(), l + "/img-parquet");
    InferJob.run(spark, spec, conf("output.format=parquet"), in + "/images", out + "/img-parquet");
    assertEquals(parquetRows(spark, l + "/img-parquet/data"), parquetRows(spark, out + "/img-parquet/data"),
        "images -> Parquet");

    InferJob.run(spark, spec, conf("output.format=arrow", "partitions=3", "batch.size=2"), npy.toString(),
        l + "/npy-arrow");
    InferJob.run(spark, spec, conf("output.format=arrow", "partitions=3", "batch.size=2"), in + "/x.npy",
        out + "/npy-arrow");
    assertEquals(arrowRows(l + "/npy-arrow/data", c), arrowRows(out + "/npy-arrow/data", c), ".npy -> Arrow");

    InferJob.run(spark, spec, conf("output.format=png"), l + "/img-parquet/data", l + "/pq-png");
    InferJob.run(spark, spec, conf("output.format=png"), out + "/img-parquet/data", out + "/pq-png");
    List<String> png = digests(l + "/pq-png/images", c);
    assertEquals(6, png.size());
    assertEquals(png, digests(out + "/pq-png/images", c), "Parquet -> PNG");

    InferJob.run(spark, spec, conf("output.format=parquet"), l + "/npy-arrow/data", l + "/arrow-parquet");
    InferJob.run(spark, spec, conf("output.format=parquet"), out + "/npy-arrow/data", out + "/arrow-parquet");
    assertEquals(parquetRows(spark, l + "/arrow-parquet/data"), parquetRows(spark, out + "/arrow-parquet/data"),
        "Arrow -> Parquet");

    FileSystem fs = new org.apache.hadoop.fs.Path(out).getFileSystem(c);
    for (String run : List.of("img-parquet", "npy-arrow", "pq-png", "arrow-parquet")) {
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path(out + "/" + run + "/_SUCCESS")), run);
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path(out + "/" + run + "/manifest.json")), run);
      assertFalse(fs.exists(new org.apache.hadoop.fs.Path(out + "/" + run + "/images/" + CommitFiles.ATTEMPTS)), run);
    }
    for (FileStatus s : fs.listStatus(new org.apache.hadoop.fs.Path(out))) {
      assertFalse(s.getPath().getName().startsWith("."), "left behind: " + s.getPath());
    }
  }

  /** A record's key independent of where the input lived: the file name, or the index in the stack. */
  static String key(String id) {
    return id.substring(Math.max(id.lastIndexOf('/'), id.lastIndexOf('#')) + 1);
  }

  /** id key -> the data's float bits, as text (so assertEquals compares every bit and prints what differs). */
  static Map<String, String> parquetRows(SparkSession spark, String dir) {
    Map<String, String> m = new TreeMap<>();
    for (Row r : spark.read().parquet(dir).collectAsList()) {
      List<Float> d = r.getList(r.fieldIndex("data"));
      m.put(key(r.getString(r.fieldIndex("id"))), bits(d));
    }
    assertFalse(m.isEmpty(), dir);
    return m;
  }

  static Map<String, String> arrowRows(String dir, Configuration c) throws IOException {
    Map<String, String> m = new TreeMap<>();
    org.apache.hadoop.fs.Path d = new org.apache.hadoop.fs.Path(dir);
    FileSystem fs = d.getFileSystem(c);
    try (RootAllocator alloc = new RootAllocator()) {
      for (FileStatus s : fs.listStatus(d)) {
        if (!s.getPath().getName().endsWith(".arrow")) {
          continue;
        }
        try (SeekableByteChannel ch = HadoopFiles.open(s.getPath().toString(), c)) {
          for (TensorIpc.Tensor t : TensorIpc.read(ch, s.getPath().toString(), alloc)) {
            List<Float> values = new ArrayList<>();
            for (float f : t.data()) {
              values.add(f);
            }
            m.put(key(t.id()), java.util.Arrays.toString(t.shape()) + bits(values));
          }
        }
      }
    }
    assertFalse(m.isEmpty(), dir);
    return m;
  }

  static List<String> digests(String dir, Configuration c) throws IOException {
    List<String> out = new ArrayList<>();
    org.apache.hadoop.fs.Path d = new org.apache.hadoop.fs.Path(dir);
    FileSystem fs = d.getFileSystem(c);
    for (FileStatus s : fs.listStatus(d)) {
      if (s.isFile() && !s.getPath().getName().startsWith(".")) {
        try (InputStream in = fs.open(s.getPath())) {
          out.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes())));
        } catch (NoSuchAlgorithmException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    out.sort(null);
    return out;
  }

  private static String bits(List<Float> d) {
    StringBuilder b = new StringBuilder(d.size() * 9);
    for (Float f : d) {
      b.append(Integer.toHexString(Float.floatToRawIntBits(f))).append(' ');
    }
    return b.toString();
  }

  static void copyTree(FileSystem fs, Path local, org.apache.hadoop.fs.Path remote) throws IOException {
    if (Files.isDirectory(local)) {
      try (var s = Files.list(local)) {
        for (Path p : s.sorted().toList()) {
          fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(p.toUri()), new org.apache.hadoop.fs.Path(remote, p.getFileName().toString()));
        }
      }
    } else {
      fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toUri()), remote);
    }
  }
}

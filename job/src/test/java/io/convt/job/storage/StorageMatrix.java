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
import io.convt.job.gradients.GradientsJob;
import io.convt.job.gradients.GradientsRequest;
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

  /**
   * {@code train} with its input, target, output and checkpoint directories all on the store, split in two (the second
   * run resumes from the checkpoint there), ends with the bytes of one straight local run.
   */
  void trainWithEveryPathRemoteEqualsLocal(SparkSession spark, Path tmp) throws IOException {
    Path x = stack(tmp, 10);
    java.util.Random r = new java.util.Random(8);
    float[] t = new float[10 * 3 * 14 * 10];
    for (int i = 0; i < t.length; i++) {
      t[i] = r.nextFloat() - 0.5f;
    }
    Path target = tmp.resolve("target.npy");
    io.convt.engine.io.Npy.writeFloat32(target, new int[] {10, 3, 14, 10}, t);
    String dir = root() + "/train";
    upload(x, dir + "/x.npy");
    upload(target, dir + "/t.npy");
    io.convt.engine.train.TrainingOptimizer.Settings adam = io.convt.engine.train.TrainingOptimizer.Settings
        .defaults(io.convt.engine.train.TrainingOptimizer.Kind.ADAM);
    io.convt.engine.train.Loss mse = io.convt.engine.train.Loss.parse("mse", "mean");
    // 10 records in batches of 4, 2 epochs: 6 steps; the run on the store stops after 4 and resumes from its checkpoint
    io.convt.job.train.TrainRequest local = new io.convt.job.train.TrainRequest(x.toString(), target.toString(), mse,
        adam, 2, 4, 3, tmp.resolve("train-local").toString(), null, 2, false, 0, false, false);
    io.convt.job.train.TrainRequest onStoreRequest = new io.convt.job.train.TrainRequest(dir + "/x.npy", dir + "/t.npy", mse,
        adam, 2, 4, 3, dir + "/out", dir + "/ckpt", 2, false, 4, false, false);
    java.io.PrintStream quiet = new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true);
    new io.convt.job.train.Trainer(quiet).run(spark, upsample(), local);
    io.convt.job.train.Trainer onStore = new io.convt.job.train.Trainer(quiet);
    org.junit.jupiter.api.Assertions.assertEquals(4, onStore.run(spark, upsample(), onStoreRequest).stepsDone());
    org.junit.jupiter.api.Assertions.assertEquals(6,
        onStore.run(spark, upsample(), onStoreRequest.continuing(0, true)).stepsDone());
    FileSystem fs = new org.apache.hadoop.fs.Path(dir).getFileSystem(storeConf(spark));
    java.util.Map<String, String> same = java.util.Map.of("weights.npy", "out/weights.npy", "bias.npy",
        "out/bias.npy", "loss.csv", "out/loss.csv", "checkpoints/checkpoint.safetensors",
        "ckpt/checkpoint.safetensors");
    for (java.util.Map.Entry<String, String> e : same.entrySet()) {
      byte[] remote;
      try (java.io.InputStream in = fs.open(new org.apache.hadoop.fs.Path(dir + "/" + e.getValue()))) {
        remote = in.readAllBytes();
      }
      org.junit.jupiter.api.Assertions.assertArrayEquals(
          Files.readAllBytes(tmp.resolve("train-local").resolve(e.getKey())), remote, e.getValue());
    }
    org.junit.jupiter.api.Assertions.assertTrue(
        fs.exists(new org.apache.hadoop.fs.Path(dir + "/out/run-summary.json")));
    org.junit.jupiter.api.Assertions.assertEquals(0, fs.listStatus(new org.apache.hadoop.fs.Path(dir + "/out"),
        p -> p.getName().endsWith(".tmp")).length, "no temporary file left behind");
  }

  /** {@code gradients} with input, upstream gradients, output and dL/dX stacks all on the store: the local run's bytes. */
  void gradientsWriteEveryOutputRemotely(SparkSession spark, Path tmp) throws IOException {
    Path x = stack(tmp, 10);
    java.util.Random r = new java.util.Random(7);
    float[] dy = new float[10 * 3 * 14 * 10];
    for (int i = 0; i < dy.length; i++) {
      dy[i] = r.nextFloat() - 0.5f;
    }
    Path y = tmp.resolve("dy.npy");
    io.convt.engine.io.Npy.writeFloat32(y, new int[] {10, 3, 14, 10}, dy);
    String dir = root() + "/grad-out";
    upload(x, dir + "/x.npy");
    upload(y, dir + "/dy.npy");
    Path local = tmp.resolve("local");
    GradientsJob.run(spark, upsample(), new GradientsRequest(x.toString(), y.toString(), null, null, 3, null)
        .writingGradInput(tmp.resolve("local-dx")), local);
    GradientsRequest remote = new GradientsRequest(dir + "/x.npy", dir + "/dy.npy", null, null, 3, null)
        .withGradInputDir(dir + "/dx");
    GradientsJob.run(spark, upsample(), remote, dir + "/run");
    FileSystem fs = new org.apache.hadoop.fs.Path(dir).getFileSystem(storeConf(spark));
    for (String f : java.util.List.of("grad_weights.npy", "grad_bias.npy", "gradients.safetensors", "_SUCCESS",
        "manifest.json", "run-summary.json")) {
      org.junit.jupiter.api.Assertions.assertTrue(fs.exists(new org.apache.hadoop.fs.Path(dir + "/run/" + f)), f);
    }
    for (String f : java.util.List.of("grad_weights.npy", "grad_bias.npy", "gradients.safetensors")) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(local.resolve(f)),
          read(fs, dir + "/run/" + f), f);
    }
    // dL/dX: the same stacks under the same names, one attempt's copy each, committed with its own _SUCCESS
    java.util.List<String> localDx = new java.util.ArrayList<>();
    try (var files = Files.list(tmp.resolve("local-dx"))) {
      files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("grad_input-")).sorted()
          .forEach(localDx::add);
    }
    java.util.List<String> remoteDx = new java.util.ArrayList<>();
    for (org.apache.hadoop.fs.FileStatus st : fs.listStatus(new org.apache.hadoop.fs.Path(dir + "/dx"))) {
      remoteDx.add(st.getPath().getName());
    }
    java.util.Collections.sort(remoteDx);
    java.util.List<String> want = new java.util.ArrayList<>(localDx);
    want.addAll(java.util.List.of("_SUCCESS", "manifest.json"));
    java.util.Collections.sort(want);
    org.junit.jupiter.api.Assertions.assertEquals(want, remoteDx, "dL/dX directory");
    org.junit.jupiter.api.Assertions.assertEquals(3, localDx.size(), "one stack per partition");
    for (String f : localDx) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(tmp.resolve("local-dx").resolve(f)),
          read(fs, dir + "/dx/" + f), f);
    }
    // nothing staged is left beside the outputs
    for (org.apache.hadoop.fs.FileStatus st : fs.listStatus(new org.apache.hadoop.fs.Path(dir))) {
      org.junit.jupiter.api.Assertions.assertFalse(st.getPath().getName().startsWith("."), st.getPath().toString());
    }
    // an existing HDFS output is refused without --mode overwrite, replaced with it
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> GradientsJob.run(spark, upsample(), remote, dir + "/run"));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    GradientsJob.run(spark, GradientsJob.prepare(upsample(), remote.withGradInputDir(null), dir + "/run",
        io.convt.job.OutputMode.OVERWRITE, storeConf(spark), new java.io.PrintWriter(System.err, true)));
    org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(local.resolve("grad_weights.npy")),
        read(fs, dir + "/run/grad_weights.npy"), "overwritten grad_weights.npy");
  }

  private static byte[] read(FileSystem fs, String path) throws IOException {
    try (java.io.InputStream in = fs.open(new org.apache.hadoop.fs.Path(path))) {
      return in.readAllBytes();
    }
  }
}

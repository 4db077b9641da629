package io.convt.job.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.convt.job.gradients.GradientsJob;
import io.convt.job.gradients.GradientsRequest;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code infer} on a real HDFS: Hadoop's own in-process NameNode and DataNode ({@code hadoop-client-minicluster} of
 * Spark's Hadoop version), bound to 127.0.0.1 on free ports. Images, Parquet, Arrow and {@code .npy} inputs and
 * Parquet, Arrow and PNG outputs all in HDFS; every result equals the local run's bit for bit. {@code gradients}
 * reads its {@code .npy} stacks from HDFS and writes every output there (gradients, dL/dX stacks, summary,
 * committed) with the local run's bytes.
 */
class HdfsIT extends StorageMatrix {
  static MiniDFSCluster dfs;
  static Path base;
  static SparkSession spark;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws IOException {
    // the NameNode's audit log and the DataNode's block reports are an INFO line per call
    org.apache.logging.log4j.core.config.Configurator.setLevel("org.apache.hadoop",
        org.apache.logging.log4j.Level.WARN);
    base = Files.createTempDirectory("convt-hdfs-it");
    Configuration c = new Configuration();
    c.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
    dfs = new MiniDFSCluster.Builder(c, base.toFile()).numDataNodes(1).build();
    dfs.waitActive();
    spark = SparkSession.builder().master("local[2]").appName("convt-hdfs-it")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
  }

  @AfterAll
  static void stop() throws IOException {
    if (spark != null) {
      spark.stop();
    }
    if (dfs != null) {
      dfs.shutdown(true);
    }
    org.apache.commons.io.FileUtils.deleteQuietly(base.toFile());
  }

  @Override
  String root() {
    return "hdfs://127.0.0.1:" + dfs.getNameNodePort() + "/convt";
  }

  @Override
  Configuration storeConf(SparkSession s) {
    return HadoopConf.driverConf(s);
  }

  @Override
  void upload(Path local, String remote) throws IOException {
    org.apache.hadoop.fs.Path r = new org.apache.hadoop.fs.Path(remote);
    FileSystem fs = r.getFileSystem(storeConf(spark));
    if (Files.isDirectory(local)) {
      fs.mkdirs(r);
    }
    copyTree(fs, local, r);
  }

  @Test
  void inferMatrixOnHdfsEqualsLocal() throws IOException {
    runMatrix(spark, tmp);
  }

  @Test
  void gradientsReadParquetDatasetsFromHdfs() throws IOException {
    io.convt.engine.layer.LayerSpec layer = io.convt.job.gradients.ImageDatasets.upsampler(tmp);
    java.util.List<String> ids = java.util.List.of("c", "a", "e", "b", "d", "g", "f");
    var xs = io.convt.job.gradients.TensorDatasetFiles.records(ids, new int[] {3, 4, 5}, 21);
    var ts = io.convt.job.gradients.TensorDatasetFiles.records(ids, new int[] {3, 8, 10}, 22);
    io.convt.job.gradients.TensorDatasetFiles.parquet(spark, xs, tmp.resolve("xp"), 3);
    io.convt.job.gradients.TensorDatasetFiles.parquet(spark, ts, tmp.resolve("tp"), 2);
    upload(tmp.resolve("xp"), root() + "/grad-parquet/x");
    upload(tmp.resolve("tp"), root() + "/grad-parquet/t");
    io.convt.engine.train.Loss mse = io.convt.engine.train.Loss.parse("mse", "mean");
    GradientsJob.run(spark, layer, GradientsRequest.withTarget(tmp.resolve("xp").toString(),
        tmp.resolve("tp").toString(), mse, 3), tmp.resolve("local-parquet"));
    GradientsJob.run(spark, layer, GradientsRequest.withTarget(root() + "/grad-parquet/x",
        root() + "/grad-parquet/t", mse, 2), tmp.resolve("hdfs-parquet"));
    for (String f : java.util.List.of("grad_weights.npy", "grad_bias.npy")) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(tmp.resolve("local-parquet").resolve(f)),
          Files.readAllBytes(tmp.resolve("hdfs-parquet").resolve(f)), f);
    }
  }

  @Test
  void gradientsReadStacksFromHdfs() throws IOException {
    Path x = stack(tmp, 10);
    java.util.Random r = new java.util.Random(5);
    float[] dy = new float[10 * 3 * 14 * 10];
    for (int i = 0; i < dy.length; i++) {
      dy[i] = r.nextFloat() - 0.5f;
    }
    Path y = tmp.resolve("dy.npy");
    io.convt.engine.io.Npy.writeFloat32(y, new int[] {10, 3, 14, 10}, dy);
    upload(x, root() + "/grad/x.npy");
    upload(y, root() + "/grad/dy.npy");
    GradientsJob.run(spark, upsample(), new GradientsRequest(x.toString(), y.toString(), null, null, 3, null),
        tmp.resolve("local"));
    GradientsJob.run(spark, upsample(), new GradientsRequest(root() + "/grad/x.npy", root() + "/grad/dy.npy", null,
        null, 3, null), tmp.resolve("hdfs"));
    for (String f : java.util.List.of("grad_weights.npy", "grad_bias.npy")) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(tmp.resolve("local").resolve(f)),
          Files.readAllBytes(tmp.resolve("hdfs").resolve(f)), f);
    }
  }

  /**
   * {@code train} with its input, target, output and checkpoint directories all in HDFS, split in two (the second
   * run resumes from the checkpoint in HDFS), ends with the bytes of one straight local run.
   */
  @Test
  void trainWithEveryPathInHdfsEqualsLocal() throws IOException {
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
    // 10 records in batches of 4, 2 epochs: 6 steps; the HDFS run stops after 4 and resumes from its checkpoint
    io.convt.job.train.TrainRequest local = new io.convt.job.train.TrainRequest(x.toString(), target.toString(), mse,
        adam, 2, 4, 3, tmp.resolve("train-local").toString(), null, 2, false, 0, false, false);
    io.convt.job.train.TrainRequest inHdfs = new io.convt.job.train.TrainRequest(dir + "/x.npy", dir + "/t.npy", mse,
        adam, 2, 4, 3, dir + "/out", dir + "/ckpt", 2, false, 4, false, false);
    java.io.PrintStream quiet = new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true);
    new io.convt.job.train.Trainer(quiet).run(spark, upsample(), local);
    io.convt.job.train.Trainer hdfs = new io.convt.job.train.Trainer(quiet);
    org.junit.jupiter.api.Assertions.assertEquals(4, hdfs.run(spark, upsample(), inHdfs).stepsDone());
    org.junit.jupiter.api.Assertions.assertEquals(6,
        hdfs.run(spark, upsample(), inHdfs.continuing(0, true)).stepsDone());
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

  @Test
  void gradientsWriteEveryOutputToHdfs() throws IOException {
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

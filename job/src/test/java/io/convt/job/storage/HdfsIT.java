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

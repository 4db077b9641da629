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

  @Test
  void trainWithEveryPathInHdfsEqualsLocal() throws IOException {
    trainWithEveryPathRemoteEqualsLocal(spark, tmp);
  }

  @Test
  void gradientsWriteEveryOutputToHdfs() throws IOException {
    gradientsWriteEveryOutputRemotely(spark, tmp);
  }
}

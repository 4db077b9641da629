package io.convt.job.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.io.Npy;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import io.convt.job.JobConfig;
import io.convt.job.gradients.GradientsJob;
import io.convt.job.gradients.GradientsRequest;
import io.convt.job.infer.InferJob;
import io.convt.job.infer.InferJobTest;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a real cluster (two executor JVMs): results equal a local run bit for bit, each executor builds
 * exactly one kernel, and a killed executor changes nothing but the wall time.
 */
class LocalClusterIT {
  @TempDir static Path tmp;
  static Path input;
  static Path weights;
  static LayerSpec layer;
  static float[] reference;
  static Path gradOutput;
  static String referenceGradientSha;

  @BeforeAll
  static void data() {
    Random r = new Random(42);
    int n = 160, c = 32, h = 24, w = 24;
    float[] x = new float[n * c * h * w];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    input = tmp.resolve("x.npy");
    Npy.writeFloat32(input, new int[] {n, c, h, w}, x);
    float[] wt = new float[c * 16 * 4 * 4];
    for (int i = 0; i < wt.length; i++) {
      wt[i] = (float) r.nextGaussian() * 0.1f;
    }
    weights = tmp.resolve("w.npy");
    Npy.writeFloat32(weights, new int[] {c, 16, 4, 4}, wt);
    layer = LayerSpec.of(weights, null, WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
    float[] gy = new float[n * 16 * 48 * 48];
    for (int i = 0; i < gy.length; i++) {
      gy[i] = (float) r.nextGaussian();
    }
    gradOutput = tmp.resolve("gy.npy");
    Npy.writeFloat32(gradOutput, new int[] {n, 16, 48, 48}, gy);
    SparkSession local = SparkSession.builder().master("local[2]").appName("reference")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    try {
      InferJob.run(local, layer, conf(), input.toString(), tmp.resolve("local").toString());
      reference = read(local, tmp.resolve("local").toString());
      referenceGradientSha = gradients(local, 3, "local-gradients");
    } finally {
      local.stop();
    }
  }

  static JobConfig conf() {
    return JobConfig.load(null, List.of("partitions=8", "batch.size=4", "progress.interval-seconds=0"));
  }

  static String gradients(SparkSession spark, int partitions, String out) {
    return GradientsJob.run(spark, layer, GradientsRequest.withGradOutput(input, gradOutput, partitions),
        tmp.resolve(out)).sha256();
  }

  static void killOneExecutorOnceTasksRun(SparkSession spark, CompletableFuture<?> job) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (spark.sparkContext().statusTracker().getActiveStageIds().length == 0 && !job.isDone()) {
      assertTrue(System.nanoTime() < deadline, "job never started");
      Thread.sleep(50);
    }
    List<ProcessHandle> executors = LocalClusterSupport.executors();
    while (executors.size() < 2 && System.nanoTime() < deadline) { // a relaunched executor may still be starting
      Thread.sleep(100);
      executors = LocalClusterSupport.executors();
    }
    assertEquals(2, executors.size(), "expected two executor JVMs");
    assertTrue(executors.get(0).destroyForcibly());
  }

  static float[] read(SparkSession spark, String out) {
    return InferJobTest.readRows(spark, out + "/data");
  }

  @Test
  void twoExecutorsGiveTheLocalResultBitForBitWithOneKernelEach() throws Exception {
    SparkSession spark = LocalClusterSupport.start("convt-cluster-it");
    try {
      String out = tmp.resolve("cluster").toString();
      Map<String, Object> s = InferJob.run(spark, layer, conf(), input.toString(), out).summary();
      assertEquals(160L, s.get("records_out"));
      assertArrayEquals(reference, read(spark, out));
      @SuppressWarnings("unchecked")
      List<String> built = (List<String>) s.get("kernels_built");
      Set<String> jvms = new HashSet<>(built);
      assertEquals(built.size(), jvms.size(), "an executor built more than one kernel: " + built);
      assertEquals(2, built.size(), "both executors ran tasks, one kernel each: " + built);
      // gradients: the reduction is bit-identical to local[2], whatever the partitioning
      assertEquals(referenceGradientSha, gradients(spark, 8, "cluster-gradients-8"));
      assertEquals(referenceGradientSha, gradients(spark, 5, "cluster-gradients-5"));
    } finally {
      spark.stop();
    }
  }

  @Test
  void killingAnExecutorMidJobStillGivesTheSameOutput() throws Exception {
    SparkSession spark = LocalClusterSupport.start("convt-fault-it");
    try {
      String out = tmp.resolve("fault").toString();
      CompletableFuture<Map<String, Object>> job =
          CompletableFuture.supplyAsync(() -> InferJob.run(spark, layer, conf(), input.toString(), out).summary());
      killOneExecutorOnceTasksRun(spark, job); // SIGKILL while tasks run
      Map<String, Object> s = job.get(5, TimeUnit.MINUTES);
      assertEquals(160L, s.get("records_out"));
      assertEquals(0L, s.get("records_quarantined"));
      assertArrayEquals(reference, read(spark, out), "output after an executor loss equals the undisturbed run");
      LocalClusterSupport.awaitExecutors(spark, 2); // the worker relaunches the lost executor
      CompletableFuture<String> grads = CompletableFuture.supplyAsync(() -> gradients(spark, 8, "fault-gradients"));
      killOneExecutorOnceTasksRun(spark, grads);
      assertEquals(referenceGradientSha, grads.get(5, TimeUnit.MINUTES), "gradients after an executor loss");
    } finally {
      spark.stop();
    }
  }
}

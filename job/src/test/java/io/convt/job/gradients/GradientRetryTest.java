package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.train.Loss;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retried tasks change no bit of the gradients. The retries are made from the test side: a listener kills the
 * first attempt of every task of the pass (gradient and reduction stages) as it starts, and Spark reschedules
 * killed attempts; the test checks that some attempt really ran again.
 */
class GradientRetryTest {
  static SparkSession spark;

  @TempDir Path tmp;

  /** Kills every first attempt while armed and counts the attempts that ran after a kill. */
  static final class KillFirstAttempts extends SparkListener {
    volatile boolean armed;
    final AtomicInteger killed = new AtomicInteger();
    final AtomicInteger retriedAndSucceeded = new AtomicInteger();

    @Override
    public void onTaskStart(SparkListenerTaskStart e) {
      if (armed && e.taskInfo().attemptNumber() == 0) {
        killed.incrementAndGet();
        spark.sparkContext().killTaskAttempt(e.taskInfo().taskId(), false, "test: retry every task once");
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
      if (armed && e.taskInfo().attemptNumber() > 0 && e.taskInfo().successful()) {
        retriedAndSucceeded.incrementAndGet();
      }
    }
  }

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2,3]").appName("convt-retry-test")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static GradientOutputs.Result retried(GradientsRequest r, Path out) {
    KillFirstAttempts killer = new KillFirstAttempts();
    spark.sparkContext().addSparkListener(killer);
    try {
      killer.armed = true;
      GradientOutputs.Result res = GradientsJob.run(spark, GradientsJobTest.fixtureLayer(), r, out);
      assertTrue(res.summary().get("driver_received_bytes") != null, "the pass's events arrived");
      assertTrue(killer.retriedAndSucceeded.get() > 0, "no task was retried (" + killer.killed.get() + " kills)");
      return res;
    } finally {
      killer.armed = false;
      spark.sparkContext().removeSparkListener(killer);
    }
  }

  @Test
  void retriedTasksGiveTheSameBits() {
    Path fix = GradientsJobTest.FIX;
    GradientsRequest r = GradientsRequest.withTarget(fix.resolve("x.npy"), fix.resolve("t.npy"),
        Loss.parse("l1", "mean"), 3);
    GradientOutputs.Result clean = GradientsJob.run(spark, GradientsJobTest.fixtureLayer(), r, tmp.resolve("a"));
    GradientOutputs.Result again = retried(r, tmp.resolve("b"));
    assertEquals(clean.sha256(), again.sha256());
    assertEquals(clean.summary().get("loss"), again.summary().get("loss"));
    // Two reduction rounds (40 slices of 100 records: levels 3 and 7), every task retried: still the same bits.
    GradientsRequest g = GradientReductionTest.generated(tmp, 100, 40);
    assertEquals(GradientReductionTest.GENERATED_100_SHA, retried(g, tmp.resolve("c")).sha256());
  }

  @Test
  void retriedTasksOverAParquetPairGiveTheNpyBits() {
    // every first attempt killed, the dataset reads and the shuffle to the slices included
    Path fix = GradientsJobTest.FIX;
    io.convt.engine.io.NpyArray x = io.convt.engine.io.Npy.read(fix.resolve("x.npy"));
    io.convt.engine.io.NpyArray t = io.convt.engine.io.Npy.read(fix.resolve("t.npy"));
    TensorDatasetFiles.parquet(spark, TensorDatasetFiles.fromStack(x.shape(), x.floats()), tmp.resolve("xp"), 2);
    TensorDatasetFiles.parquet(spark, TensorDatasetFiles.fromStack(t.shape(), t.floats()), tmp.resolve("tp"), 3);
    Loss l1 = Loss.parse("l1", "mean");
    GradientOutputs.Result npy = GradientsJob.run(spark, GradientsJobTest.fixtureLayer(),
        GradientsRequest.withTarget(fix.resolve("x.npy"), fix.resolve("t.npy"), l1, 3), tmp.resolve("npy"));
    GradientOutputs.Result again = retried(GradientsRequest.withTarget(tmp.resolve("xp"), tmp.resolve("tp"), l1, 3),
        tmp.resolve("parquet"));
    assertEquals(npy.sha256(), again.sha256());
    assertEquals(npy.summary().get("loss"), again.summary().get("loss"));
  }
}

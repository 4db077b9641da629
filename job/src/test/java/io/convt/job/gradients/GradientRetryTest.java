package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.train.Loss;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A task that fails and is retried (local[2,3]: up to 3 attempts) changes no bit of the gradients. */
class GradientRetryTest {
  static SparkSession spark;

  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2,3]").appName("convt-retry-test")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
  }

  @AfterAll
  static void stop() {
    GradientPass.failFirstAttemptOfSlice = -1;
    spark.stop();
  }

  @Test
  void aRetriedTaskGivesTheSameBits() {
    Path fix = GradientsJobTest.FIX;
    GradientsRequest r = GradientsRequest.withTarget(fix.resolve("x.npy"), fix.resolve("t.npy"),
        Loss.parse("l1", "mean"), 3);
    GradientOutputs.Result clean = GradientsJob.run(spark, GradientsJobTest.fixtureLayer(), r, tmp.resolve("a"));
    long sliceStart = GradientPass.slices(0, 7, 3).get(1)[0];
    GradientPass.failFirstAttemptOfSlice = sliceStart;
    try {
      GradientOutputs.Result retried = GradientsJob.run(spark, GradientsJobTest.fixtureLayer(), r, tmp.resolve("b"));
      assertEquals(clean.sha256(), retried.sha256());
      assertEquals(clean.summary().get("loss"), retried.summary().get("loss"));
    } finally {
      GradientPass.failFirstAttemptOfSlice = -1;
    }
  }
}

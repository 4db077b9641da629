package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.layer.Layer;
import io.convt.engine.train.Loss;
import io.convt.job.LayerWeights;
import java.nio.file.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A task that fails and is retried (local[2,3]: up to 3 attempts) changes no bit of the gradients. */
class GradientRetryTest {
  static SparkSession spark;

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

  /** The first attempt of the task whose slice starts at {@code sliceStart} fails; every other computes. */
  private static GradientPass.SliceTask failingFirstAttemptAt(long sliceStart) {
    return (request, weights, first, count) -> {
      TaskContext task = TaskContext.get();
      if (first == sliceStart && task != null && task.attemptNumber() == 0) {
        throw new IllegalStateException("injected failure of the first attempt of the slice at record " + first);
      }
      return PartitionGradients.compute(request, weights, first, count);
    };
  }

  @Test
  void aRetriedTaskGivesTheSameBits() {
    Path fix = GradientsJobTest.FIX;
    GradientsRequest r = GradientsRequest.withTarget(fix.resolve("x.npy"), fix.resolve("t.npy"),
        Loss.parse("l1", "mean"), 3);
    LayerWeights w = LayerWeights.of(Layer.open(GradientsJobTest.fixtureLayer()));
    GradientTotals clean = GradientPass.run(spark, r, w, 0, 7);
    long sliceStart = GradientPass.slices(0, 7, 3).get(1)[0];
    GradientTotals retried = GradientPass.run(spark, r, w, 0, 7, failingFirstAttemptAt(sliceStart));
    assertArrayEquals(clean.weightGradient(), retried.weightGradient(), 0f);
    assertArrayEquals(clean.biasGradient(), retried.biasGradient(), 0f);
    assertEquals(clean.loss().value(), retried.loss().value());
  }
}

package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.layer.LayerSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;

/**
 * Where the driver's bytes beyond the root's gradients come from: Spark's status of each task, which a job that
 * does nothing pays as much as a gradient pass. A tiny layer (16 → 8, kernel 4: 2056 weights + biases) at up to
 * 1024 partitions, where the total exceeds {@code 4·8·W + 1 MiB} while the gradient data stays one vector.
 */
class TaskStatusFloorTest {
  static SparkSession spark;

  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** Task results of the jobs {@code job} runs on this thread, by task kind. */
  record Received(long tasks, long bytes, long mapTasks, long mapBytes) {
    long resultTasks() {
      return tasks - mapTasks;
    }

    long resultBytes() {
      return bytes - mapBytes;
    }
  }

  static Received measure(Runnable job) throws InterruptedException {
    PassMetrics m = new PassMetrics(spark.sparkContext(), UUID.randomUUID().toString(), -1);
    try {
      job.run();
      assertTrue(m.awaitJobs(), "job end event");
    } finally {
      m.close();
    }
    return new Received(m.tasks(), m.driverReceivedBytes(), m.mapTasks(), m.mapTaskBytes());
  }

  static List<Integer> range(int n) {
    List<Integer> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(i);
    }
    return out;
  }

  @Test
  void beyondTheRootTheDriverReceivesWhatAnEmptyJobOfAsManyTasksReceives() throws Exception {
    LayerSpec spec = GradientReductionTest.randomLayer(tmp, 16, 8, 1024, 5);
    long weightsAndBiases = 16 * 8 * 16 + 8;
    long bound = 4 * 8 * weightsAndBiases + (1 << 20);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String sha = null;
    long gradientBytes = -1;
    for (int p : new int[] {64, 1024}) {
      Received noop = measure(() -> jsc.parallelize(range(p), p).foreachPartition(it -> { }));
      Received emptyShuffle = measure(() -> jsc.parallelize(range(p), p).mapToPair(i -> new Tuple2<>(i, i))
          .filter(t -> false).partitionBy(new HashPartitioner(Math.max(1, p / 16))).foreachPartition(it -> { }));
      GradientOutputs.Result r = GradientsJob.run(spark, spec,
          GradientsRequest.withGradOutput(tmp.resolve("x.npy"), tmp.resolve("gy.npy"), p), tmp.resolve("p" + p));
      long received = ((Number) r.summary().get("driver_received_bytes")).longValue();
      long gradient = ((Number) r.summary().get("driver_gradient_bytes")).longValue();
      long status = ((Number) r.summary().get("driver_task_status_bytes")).longValue();
      long tasks = ((Number) r.summary().get("driver_task_results")).longValue();
      System.out.printf("P=%d noop: %d tasks %d B (%.0f B/task); empty shuffle: %d map tasks %.0f B/task, %d result "
          + "tasks %.0f B/task; gradients: %d tasks, received %d = gradient %d + status %d (%.0f B/task), "
          + "bound %d%n", p, noop.tasks(), noop.bytes(), (double) noop.bytes() / noop.tasks(),
          emptyShuffle.mapTasks(), (double) emptyShuffle.mapBytes() / emptyShuffle.mapTasks(),
          emptyShuffle.resultTasks(), (double) emptyShuffle.resultBytes() / emptyShuffle.resultTasks(), tasks,
          received, gradient, status, (double) status / tasks, bound);
      assertEquals(received, gradient + status);
      assertTrue(gradient <= bound, p + " partitions: gradient data " + gradient + " bytes > bound " + bound);
      assertTrue(gradient >= 4 * weightsAndBiases, "the root's floats are gradient data: " + gradient);
      if (gradientBytes < 0) {
        gradientBytes = gradient;
      }
      assertEquals(gradientBytes, gradient, "one root vector whatever the partition count");
      // per task, the pass's status costs about what an empty job's does (measured 1.2-1.3x: a gradient task's
      // shuffle-write metrics are non-zero): nothing of ours rides along with each task
      double floor = Math.max((double) noop.bytes() / noop.tasks(),
          (double) emptyShuffle.mapBytes() / emptyShuffle.mapTasks());
      assertTrue(status <= 1.6 * floor * tasks, p + " partitions: " + status + " bytes of task status for " + tasks
          + " tasks, over 1.6x the empty job's " + floor + " bytes per task");
      if (sha == null) {
        sha = r.sha256();
      }
      assertEquals(sha, r.sha256(), p + " partitions");
    }
  }
}

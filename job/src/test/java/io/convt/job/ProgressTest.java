package io.convt.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.io.Npy;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import io.convt.job.infer.InferJob;
import io.convt.engine.cli.ConsoleProgress;
import io.convt.engine.cli.ProgressLine;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Progress counts records while tasks run (not when they end) and prints them as they come. */
public class ProgressTest {
  static SparkSession spark;
  /** Holds the test's task mid-partition until the driver has printed its count (local mode: one JVM). */
  static final CountDownLatch RELEASE = new CountDownLatch(1);
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    // heartbeats carry running tasks' accumulator values; the default 10 s would only make the tests slower
    spark = SparkSession.builder().master("local[2]").appName("convt-progress-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executor.heartbeatInterval", "500ms")
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void lineSaysDoneOfTotalPercentRateAndEta() {
    ProgressLine l = new ProgressLine("convt infer", 1234, 3000, 61.7);
    assertEquals("convt infer: 1234/3000 records (41%), 61.7 records/s, ETA 29 s", l.text());
    assertEquals("convt infer [=========>              ] 1234/3000 records (41%), 61.7 records/s, ETA 29 s",
        l.bar());
    assertEquals("convt infer: 0/3000 records (0%), 0.0 records/s, ETA --",
        new ProgressLine("convt infer", 0, 3000, 0).text());
    assertEquals("convt infer: 3000/3000 records (100%), 150.0 records/s, ETA 0 s",
        new ProgressLine("convt infer", 3000, 3000, 150).text());
    assertEquals("convt infer: 50 records, 10.0 records/s", new ProgressLine("convt infer", 50, -1, 10).text());
    assertEquals("convt infer: 10/4000 records (0%), 0.1 records/s, ETA 11 h 05 min",
        new ProgressLine("convt infer", 10, 4000, 0.1).text());
    assertEquals("convt infer: 100/4000 records (3%), 20.0 records/s, ETA 3 min 15 s",
        new ProgressLine("convt infer", 100, 4000, 20).text());
  }

  static final Pattern COUNT = Pattern.compile("convt test: (\\d+)/10 records");

  /** A one-task job stopped half-way: its count must reach the output while the task is still running. */
  @Test
  void countsARunningTaskBeforeItEnds() throws Exception {
    LongAccumulator done = spark.sparkContext().longAccumulator("convt test records");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String seen = null;
    try (ConsoleProgress p = Progress.start(spark.sparkContext(), "convt test", done, 10, 100, ConsoleProgress.Style.LINES, out)) {
      CompletableFuture<Void> job = CompletableFuture.runAsync(() ->
          jsc.parallelize(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 1).foreach(i -> {
            done.add(1);
            if (i == 4) {
              RELEASE.await(60, TimeUnit.SECONDS);
            }
          }));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (seen == null && System.nanoTime() < deadline) {
        Matcher m = COUNT.matcher(bytes.toString(StandardCharsets.UTF_8));
        while (m.find()) {
          int n = Integer.parseInt(m.group(1));
          if (n > 0 && n < 10) {
            seen = m.group();
          }
        }
        Thread.sleep(50);
      }
      assertFalse(job.isDone(), "the task is still held");
      RELEASE.countDown();
      job.get(60, TimeUnit.SECONDS);
    }
    assertEquals("convt test: 5/10 records", seen, bytes.toString(StandardCharsets.UTF_8));
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertTrue(lines[lines.length - 1].startsWith("convt test: 10/10 records (100%)"), lines[lines.length - 1]);
  }
}

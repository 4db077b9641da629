package io.convt.job.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * A {@code local-cluster[2,1,1024]} session: a standalone master and worker inside this JVM and two executor
 * JVMs launched from {@code $SPARK_HOME/jars} (the Maven-copied Spark jars), running the application jar exactly
 * as {@code spark-submit} would ship it.
 */
final class LocalClusterSupport {
  private LocalClusterSupport() {}

  static SparkSession start(String name) throws Exception {
    Path jar;
    try (Stream<Path> s = Files.list(Path.of("target"))) {
      List<Path> jars = s.filter(p -> p.getFileName().toString().matches("convt-job-.*-all\\.jar"))
          .collect(Collectors.toList());
      if (jars.size() != 1) {
        throw new IllegalStateException("Expected one application jar in job/target, found " + jars
            + " (integration tests run after package)");
      }
      jar = jars.get(0).toAbsolutePath();
    }
    SparkSession spark = SparkSession.builder().master("local-cluster[2,1,1024]").appName(name)
        .config("spark.jars", jar.toString())
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executor.extraJavaOptions", "-Dconvt.engine.impl=auto")
        .getOrCreate();
    try {
      awaitExecutors(spark, 2);
    } catch (RuntimeException e) {
      spark.stop();
      throw e;
    }
    return spark;
  }

  /** Waits until {@code n} executors are registered (besides the driver). */
  static void awaitExecutors(SparkSession spark, int n) throws InterruptedException {
    long deadline = System.nanoTime() + 90_000_000_000L;
    while (spark.sparkContext().statusTracker().getExecutorInfos().length < n + 1) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("local-cluster executors did not register within 90 s");
      }
      Thread.sleep(200);
    }
  }

  /** Executor JVMs this JVM launched (local-cluster's in-process worker forks them). */
  static List<ProcessHandle> executors() {
    return ProcessHandle.current().descendants()
        .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
        .collect(Collectors.toList());
  }
}

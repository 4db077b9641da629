package io.convt.job.gradients;

import org.apache.spark.sql.SparkSession;

/** One small local[2] session for a test class: no UI, few shuffle partitions, loopback only. */
public final class TestSpark {
  private TestSpark() {}

  /** A new or existing local[2] session. */
  public static SparkSession session() {
    return SparkSession.builder().master("local[2]").appName("convt-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
  }
}

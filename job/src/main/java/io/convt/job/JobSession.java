package io.convt.job;

import org.apache.spark.sql.SparkSession;
import scala.Option;

/**
 * The Spark session a command runs in: the one already running in this JVM (a test's, a notebook's), else a new
 * one with the master from {@code --master} or spark-submit ({@code local[*]} by default; on a local master the
 * driver binds to 127.0.0.1 or {@code SPARK_LOCAL_IP}). Closing stops only a session this object started.
 */
public final class JobSession implements AutoCloseable {
  private final SparkSession spark;
  private final boolean owned;

  private JobSession(SparkSession spark, boolean owned) {
    this.spark = spark;
    this.owned = owned;
  }

  /** Joins the running session or starts one named {@code appName}. */
  public static JobSession open(String appName) {
    return open(appName, java.util.Map.of());
  }

  /**
   * As {@link #open(String)}, with Spark settings for a new session ({@code --conf spark.*}, including
   * {@code spark.hadoop.*} for the Hadoop configuration every executor-side reader and writer gets);
   * {@code spark.master} among them is the master unless {@code --master} gave one.
   */
  public static JobSession open(String appName, java.util.Map<String, String> sparkSettings) {
    Option<SparkSession> running = SparkSession.getDefaultSession();
    if (running.isDefined()) {
      return new JobSession(running.get(), false);
    }
    String master = System.getProperty("spark.master", sparkSettings.getOrDefault("spark.master", "local[*]"));
    SparkSession.Builder b = SparkSession.builder().appName(appName).master(master);
    sparkSettings.forEach((k, v) -> {
      if (!k.equals("spark.master")) {
        b.config(k, v);
      }
    });
    if (master.startsWith("local") && System.getProperty("spark.driver.host") == null
        && !sparkSettings.containsKey("spark.driver.host")) {
      String ip = System.getenv().getOrDefault("SPARK_LOCAL_IP", "127.0.0.1");
      b.config("spark.driver.host", ip).config("spark.driver.bindAddress", ip);
    }
    // the job's classes through Java serialization when the user picks Kryo (see JobKryoRegistrator); kept
    // alongside any registrator of the user's
    String registrators = System.getProperty("spark.kryo.registrator",
        sparkSettings.getOrDefault("spark.kryo.registrator", ""));
    b.config("spark.kryo.registrator", registrators.isBlank() ? JobKryoRegistrator.class.getName()
        : registrators.contains(JobKryoRegistrator.class.getName()) ? registrators
        : registrators + "," + JobKryoRegistrator.class.getName());
    if (System.getProperty("spark.executor.heartbeatInterval") == null) {
      b.config("spark.executor.heartbeatInterval", "2s"); // how often running tasks' counts reach our progress line
    }
    if (master.startsWith("local") && System.getProperty("spark.ui.showConsoleProgress") == null) {
      b.config("spark.ui.showConsoleProgress", "false"); // our own progress line is quieter
    }
    return new JobSession(b.getOrCreate(), true);
  }

  public SparkSession spark() {
    return spark;
  }

  @Override
  public void close() {
    if (owned) {
      spark.stop();
    }
  }
}

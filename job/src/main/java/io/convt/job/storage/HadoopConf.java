package io.convt.job.storage;

import java.io.Serializable;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The driver's Hadoop configuration, broadcast once per run so that every executor-side reader and writer opens
 * files with the cluster's settings (S3A endpoints and credentials, HDFS HA names, Kerberos, custom file systems)
 * instead of a bare {@code new Configuration()}, which only sees the executor's own {@code *-site.xml} files. Spark's
 * own file sources ship their configuration the same way ({@link SerializableConfiguration} in a broadcast).
 *
 * <p>Serializable: closures capture this object (a broadcast handle), never the configuration itself.
 */
public final class HadoopConf implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final String SPARK_HADOOP = "spark.hadoop.";
  private final Broadcast<SerializableConfiguration> conf;

  private HadoopConf(Broadcast<SerializableConfiguration> conf) {
    this.conf = conf;
  }

  /** Broadcasts the session's Hadoop configuration ({@link #driverConf}). */
  public static HadoopConf broadcast(SparkSession spark) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    return new HadoopConf(jsc.broadcast(new SerializableConfiguration(driverConf(spark))));
  }

  /**
   * The context's Hadoop configuration plus every {@code spark.hadoop.KEY} of the session's runtime
   * configuration as {@code KEY}. A fresh session already has them (Spark copies {@code spark.hadoop.*} into the
   * context's configuration at start-up); a session reused from an earlier run only has them in its runtime
   * configuration, which Spark does not copy into the context.
   */
  public static Configuration driverConf(SparkSession spark) {
    Configuration c = new Configuration(spark.sparkContext().hadoopConfiguration());
    Map<String, String> all = CollectionConverters.asJava(spark.conf().getAll());
    all.forEach((k, v) -> {
      if (k.startsWith(SPARK_HADOOP) && v != null) {
        c.set(k.substring(SPARK_HADOOP.length()), v);
      }
    });
    return c;
  }

  /**
   * Hadoop's defaults plus every {@code spark.hadoop.KEY} of {@code sparkSettings} (the command's {@code --conf}) as
   * {@code KEY}: what the driver's checks use before the session starts, so they see the same file systems.
   */
  public static Configuration fromSettings(Map<String, String> sparkSettings) {
    Configuration c = new Configuration();
    sparkSettings.forEach((k, v) -> {
      if (k.startsWith(SPARK_HADOOP) && v != null) {
        c.set(k.substring(SPARK_HADOOP.length()), v);
      }
    });
    return c;
  }

  /** {@link #driverConf} of the active (or default) session; Hadoop's defaults when there is none. */
  public static Configuration activeDriverConf() {
    scala.Option<SparkSession> s = SparkSession.getActiveSession();
    if (s.isEmpty()) {
      s = SparkSession.getDefaultSession();
    }
    return s.isDefined() ? driverConf(s.get()) : new Configuration();
  }

  /**
   * A copy of the broadcast configuration for one task: the broadcast value is shared by every task of the
   * executor, and Hadoop and Parquet code may set keys on the configuration it is given.
   */
  public Configuration get() {
    return new Configuration(conf.value().value());
  }
}

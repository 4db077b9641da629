package io.convt.job.infer;

import io.convt.engine.layer.Layer;
import io.convt.job.LayerWeights;
import java.lang.management.ManagementFactory;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.spark.util.CollectionAccumulator;

/**
 * One kernel per executor JVM and broadcast: built lazily by the first task that needs it (MPS's data source
 * {@code load} once), shared by every later task of that JVM. Tasks of one JVM run concurrently on it; the
 * kernel's sized encodes are thread-safe.
 */
public final class KernelHolder {
  /**
   * Broadcasts whose kernels a JVM keeps at once: a pipeline of several layers in one Spark stage uses all of its
   * kernels in every task, so dropping the others on each new broadcast would rebuild them per task.
   */
  private static final int MAX_LAYERS = 16;
  /**
   * Keyed by application and broadcast: broadcast ids restart at 0 in every SparkContext, and one JVM can host
   * several contexts one after another (local mode, tests, notebooks), so a broadcast id alone could hand a task
   * another application's layer.
   */
  private static final ConcurrentMap<String, Layer> LAYERS = new ConcurrentHashMap<>();

  private KernelHolder() {}

  /**
   * @param builds receives "host:pid" once per kernel built, so the driver can report (and tests can check)
   *     how many kernels each executor built; may be null
   */
  public static Layer layer(long broadcastId, LayerWeights weights, CollectionAccumulator<String> builds) {
    org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
    String key = (env == null ? "" : env.conf().get("spark.app.id", "")) + "/" + broadcastId;
    Layer l = LAYERS.get(key);
    if (l != null) {
      return l;
    }
    synchronized (KernelHolder.class) {
      l = LAYERS.get(key);
      if (l == null) {
        if (LAYERS.size() >= MAX_LAYERS) {
          LAYERS.clear(); // old broadcasts' kernels: nobody will use most of them again
        }
        l = weights.open();
        if (builds != null) {
          builds.add(ManagementFactory.getRuntimeMXBean().getName() + " " + l.kernel().implementation());
        }
        LAYERS.put(key, l);
      }
      return l;
    }
  }
}

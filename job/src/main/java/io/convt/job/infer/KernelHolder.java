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
  private static final ConcurrentMap<Long, Layer> LAYERS = new ConcurrentHashMap<>();

  private KernelHolder() {}

  /**
   * @param builds receives "host:pid" once per kernel built, so the driver can report (and tests can check)
   *     how many kernels each executor built; may be null
   */
  public static Layer layer(long broadcastId, LayerWeights weights, CollectionAccumulator<String> builds) {
    Layer l = LAYERS.get(broadcastId);
    if (l != null) {
      return l;
    }
    synchronized (KernelHolder.class) {
      l = LAYERS.get(broadcastId);
      if (l == null) {
        if (LAYERS.size() >= MAX_LAYERS) {
          LAYERS.clear(); // old broadcasts' kernels: nobody will use most of them again
        }
        l = weights.open();
        if (builds != null) {
          builds.add(ManagementFactory.getRuntimeMXBean().getName() + " " + l.kernel().implementation());
        }
        LAYERS.put(broadcastId, l);
      }
      return l;
    }
  }
}

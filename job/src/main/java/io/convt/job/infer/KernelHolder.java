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
final class KernelHolder {
  private static final ConcurrentMap<Long, Layer> LAYERS = new ConcurrentHashMap<>();

  private KernelHolder() {}

  /**
   * @param builds receives "host:pid" once per kernel built, so the driver can report (and tests can check)
   *     how many kernels each executor built
   */
  static Layer layer(long broadcastId, LayerWeights weights, CollectionAccumulator<String> builds) {
    Layer l = LAYERS.get(broadcastId);
    if (l != null) {
      return l;
    }
    synchronized (KernelHolder.class) {
      l = LAYERS.get(broadcastId);
      if (l == null) {
        LAYERS.clear(); // a new broadcast replaces the old weights: drop kernels nobody will use again
        l = weights.open();
        builds.add(ManagementFactory.getRuntimeMXBean().getName() + " " + l.kernel().implementation());
        LAYERS.put(broadcastId, l);
      }
      return l;
    }
  }
}

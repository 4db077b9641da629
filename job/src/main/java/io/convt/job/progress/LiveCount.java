package io.convt.job.progress;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The live value of a {@link LongAccumulator} that tasks add to as they go, seen from the driver while the tasks
 * still run. The accumulator itself only changes on the driver when a task ends; but every executor heartbeat
 * ({@code spark.executor.heartbeatInterval}) carries the current values of its running tasks' accumulators, which
 * Spark posts to listeners as {@link SparkListenerExecutorMetricsUpdate}. So: the value of finished tasks (from each
 * successful task's end event) plus the latest heartbeat value of each running task. Works the same under
 * {@code local[*]} (the local executor heartbeats too) and on a cluster.
 */
public final class LiveCount extends SparkListener implements AutoCloseable {
  private final SparkContext sc;
  private final long accumulatorId;
  private final AtomicLong finished = new AtomicLong();
  private final Map<Long, Long> running = new ConcurrentHashMap<>();
  /** A heartbeat sent just before a task ended can arrive after its end event: it must not count it again. */
  private final Set<Long> ended = ConcurrentHashMap.newKeySet();

  private LiveCount(SparkContext sc, LongAccumulator counter) {
    this.sc = sc;
    this.accumulatorId = counter.id();
  }

  /** Starts following {@code counter} (a named accumulator, so Spark reports it per task); close to stop. */
  public static LiveCount follow(SparkContext sc, LongAccumulator counter) {
    LiveCount c = new LiveCount(sc, counter);
    sc.addSparkListener(c);
    return c;
  }

  /** Records counted so far: finished tasks plus the running ones as of their last heartbeat. */
  public long value() {
    long n = finished.get();
    for (long v : running.values()) {
      n += v;
    }
    return n;
  }

  @Override
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
    for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task
        : CollectionConverters.asJava(update.accumUpdates())) {
      Long value = valueOf(task._4());
      Long taskId = (Long) task._1();
      if (value != null && !ended.contains(taskId)) {
        running.put(taskId, value);
      }
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    ended.add(end.taskInfo().taskId());
    running.remove(end.taskInfo().taskId());
    if (end.taskInfo().successful()) {
      // the task's own final count, as Spark merged it into the accumulator (absent if the task added nothing)
      Long value = valueOf(end.taskInfo().accumulables());
      if (value != null) {
        finished.addAndGet(value);
      }
    }
  }

  private Long valueOf(scala.collection.Seq<AccumulableInfo> infos) {
    for (AccumulableInfo info : CollectionConverters.asJava(infos)) {
      if (info.id() == accumulatorId && info.update().isDefined() && info.update().get() instanceof Long v) {
        return v;
      }
    }
    return null;
  }

  @Override
  public void close() {
    sc.removeSparkListener(this);
  }
}

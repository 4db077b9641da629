package io.convt.engine.internal.simd;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Splits {@code count} independent tasks into at most {@code threads} contiguous ranges. Every task writes its own
 * outputs and sums in a fixed order, so results never depend on the thread count (the SPI's promise).
 */
final class Parallel {
  /** One pool per requested parallelism, created lazily; its threads are daemons (ForkJoinPool default). */
  private static final ConcurrentHashMap<Integer, ForkJoinPool> POOLS = new ConcurrentHashMap<>();

  private Parallel() {}

  /** A worker over a range of task indices; it owns its scratch for the whole range. */
  interface RangeWorker {
    void run(int from, int to);
  }

  static void forRange(int count, int threads, RangeWorker worker) {
    int parts = Math.max(1, Math.min(threads, count));
    if (parts == 1) {
      worker.run(0, count);
      return;
    }
    ForkJoinPool pool = POOLS.computeIfAbsent(parts, ForkJoinPool::new);
    ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[parts - 1];
    for (int i = 1; i < parts; i++) {
      int from = (int) ((long) count * i / parts);
      int to = (int) ((long) count * (i + 1) / parts);
      tasks[i - 1] = pool.submit(() -> worker.run(from, to));
    }
    // the caller works on the first range instead of idling
    worker.run(0, (int) ((long) count / parts));
    for (ForkJoinTask<?> t : tasks) {
      t.join();
    }
  }
}

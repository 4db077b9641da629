package io.convt.engine.internal.simd;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

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

  /**
   * Runs tasks {@code 0..count-1} on at most {@code threads} workers that claim one task at a time. For tasks of
   * unequal cost, or a core shared with other processes: a worker that falls behind delays the end by at most one
   * task instead of half the work. Each task must own its outputs (which worker runs it never changes a result).
   */
  static void forClaimed(int count, int threads, IntConsumer task) {
    int parts = Math.max(1, Math.min(threads, count));
    if (parts == 1) {
      for (int i = 0; i < count; i++) {
        task.accept(i);
      }
      return;
    }
    ForkJoinPool pool = POOLS.computeIfAbsent(parts, ForkJoinPool::new);
    AtomicInteger next = new AtomicInteger();
    Runnable drain = () -> {
      for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
        task.accept(i);
      }
    };
    ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[parts - 1];
    for (int i = 1; i < parts; i++) {
      tasks[i - 1] = pool.submit(drain);
    }
    drain.run();
    for (ForkJoinTask<?> t : tasks) {
      t.join();
    }
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

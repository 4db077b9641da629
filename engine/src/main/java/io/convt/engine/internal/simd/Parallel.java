package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Splits {@code count} independent tasks into at most {@code threads} contiguous ranges. Every task writes its own
 * outputs and sums in a fixed order, so results never depend on the thread count (the SPI's promise).
 */
final class Parallel {
  /**
   * Multiply-accumulates of a call below which it runs on the calling thread whatever the thread count
   * ({@code convt.simd.parallelMinMacs}): handing work to a pool worker and joining it costs tens of microseconds
   * of wake-up (more in a VM), as much as a whole small call (dcgan_proj N = 1, 0.8 M MACs, ~15 µs on one core), so
   * two threads made such calls slower and cost 3–4× the CPU. Measured in docs/benchmark-log.md ("Weight gradient on
   * two threads"); documented in docs/engine.md, Threads.
   */
  static final long DEFAULT_MIN_PARALLEL_MACS = 2L << 20;
  static final String MIN_MACS_KEY = "convt.simd.parallelMinMacs";
  static final String MIN_MACS_UNIT = "multiply-adds";
  /**
   * The threshold in force: {@link #DEFAULT_MIN_PARALLEL_MACS} unless the property sets another (a bad value has
   * already stopped {@link SimdBackend} from loading, with the property's name).
   */
  static final long MIN_PARALLEL_MACS =
      SimdBackend.nonNegative(MIN_MACS_KEY, DEFAULT_MIN_PARALLEL_MACS, MIN_MACS_UNIT);

  private Parallel() {}

  /** The workers a call of {@code p} gets: one below {@link #MIN_PARALLEL_MACS}, else {@code threads}. */
  static int threadsFor(ConvProblem p, int threads) {
    return threadsFor(p.macs(), threads, MIN_PARALLEL_MACS);
  }

  static int threadsFor(long macs, int threads, long minMacs) {
    return macs < minMacs ? 1 : threads;
  }

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
    AtomicInteger next = new AtomicInteger();
    Runnable drain = () -> {
      for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
        task.accept(i);
      }
    };
    Helpers helpers = new Helpers();
    for (int i = 1; i < parts; i++) {
      helpers.start(drain); // a part no worker takes is drained by the caller below
    }
    helpers.runOnCaller(drain);
    helpers.join();
  }

  static void forRange(int count, int threads, RangeWorker worker) {
    int parts = Math.max(1, Math.min(threads, count));
    if (parts == 1) {
      worker.run(0, count);
      return;
    }
    Helpers helpers = new Helpers();
    int left = parts; // ranges [left, parts) went to workers; the caller runs ranges [0, left)
    while (left > 1) {
      int from = (int) ((long) count * (left - 1) / parts);
      int to = (int) ((long) count * left / parts);
      if (!helpers.start(() -> worker.run(from, to))) {
        break;
      }
      left--;
    }
    // the caller works on the first range instead of idling, and on every range no worker took
    int end = (int) ((long) count * left / parts);
    helpers.runOnCaller(() -> worker.run(0, end));
    helpers.join();
  }

  /** An item of {@link #forOrdered}: it may wait ({@link Ordered#await}) only for items of lower index. */
  interface OrderedItem {
    void run(int item, Ordered run);
  }

  /**
   * Runs items {@code 0..count-1}, claimed one at a time in index order by at most {@code threads} workers, with a
   * single hand-off to the pool for the whole call. An item that needs the results of earlier items waits for them
   * ({@link Ordered#await}) instead of a join per phase: every join wakes a parked worker (in this VM a hypervisor
   * interrupt, 6–7 % of a 2-thread weight gradient's CPU time with three joins per image). Waiting only on lower
   * indices, which some worker has already claimed, cannot deadlock. The caller returns once every item has
   * finished; a worker that starts late finds nothing left to claim.
   */
  static void forOrdered(int count, int threads, OrderedItem item) {
    Ordered run = new Ordered();
    int parts = Math.max(1, Math.min(threads, count));
    if (parts == 1) {
      for (int i = 0; i < count; i++) {
        item.run(i, run);
      }
      return;
    }
    Runnable drain = () -> {
      try {
        for (int i = run.next.getAndIncrement(); i < count; i = run.next.getAndIncrement()) {
          item.run(i, run);
          run.done.incrementAndGet();
        }
      } catch (RuntimeException | Error t) {
        // recorded, not thrown here: the caller rethrows the first real failure
        if (run.failure == null) {
          run.failure = t;
        }
      }
    };
    for (int i = 1; i < parts; i++) {
      HotWorkers.tryStart(drain); // a part no worker takes is drained by the caller below
    }
    drain.run();
    run.await(() -> run.done.get() == count);
  }

  /**
   * The parts of one {@link #forClaimed} or {@link #forRange} call that went to {@link HotWorkers}: the caller waits
   * for them as {@link Ordered#await} does (spin, yield, short sleeps: no unpark to wait for) and rethrows the first
   * failure once every part has stopped.
   */
  private static final class Helpers {
    private final AtomicInteger running = new AtomicInteger();
    private volatile Throwable failure;

    boolean start(Runnable part) {
      running.incrementAndGet();
      boolean started = HotWorkers.tryStart(() -> {
        try {
          part.run();
        } catch (Throwable t) {
          fail(t);
        } finally {
          running.decrementAndGet();
        }
      });
      if (!started) {
        running.decrementAndGet();
      }
      return started;
    }

    void runOnCaller(Runnable part) {
      try {
        part.run();
      } catch (Throwable t) {
        fail(t);
      }
    }

    private void fail(Throwable t) {
      synchronized (this) {
        if (failure == null) {
          failure = t;
        }
      }
    }

    void join() {
      new Ordered().await(() -> running.get() == 0);
      Throwable t = failure;
      if (t instanceof RuntimeException r) {
        throw r;
      }
      if (t instanceof Error e) {
        throw e;
      }
      if (t != null) {
        throw new IllegalStateException(t);
      }
    }
  }

  /** The shared state of one {@link #forOrdered} call. */
  static final class Ordered {
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();
    private volatile Throwable failure;
    /** Spin-waits first (~20 µs): an item waited for is one task or one packed row long, on a running worker. */
    private static final int SPINS = 1024;
    private static final int YIELDS = 64;
    private static final long PARK_NANOS = 20_000;

    /**
     * Waits until {@code ready} holds: spinning first (the item waited for is one task long at most), then yielding
     * the core, and only then sleeping in short polls (a park that another worker must unpark is the hand-off this
     * avoids). Throws the first failure of any item
     * (a waiting worker then gives up; the caller rethrows it).
     */
    void await(BooleanSupplier ready) {
      for (int spins = 0; !ready.getAsBoolean(); spins++) {
        Throwable t = failure;
        if (t instanceof RuntimeException r) {
          throw r;
        }
        if (t instanceof Error e) {
          throw e;
        }
        if (spins < SPINS) {
          Thread.onSpinWait();
        } else if (spins < SPINS + YIELDS) {
          Thread.yield();
        } else {
          // the item's worker lost its core (a loaded machine): sleep instead of burning this core's share
          LockSupport.parkNanos(PARK_NANOS);
        }
      }
    }
  }
}

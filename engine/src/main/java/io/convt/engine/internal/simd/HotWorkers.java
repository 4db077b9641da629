package io.convt.engine.internal.simd;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that run the helper parts of {@link Parallel}'s calls. A worker that finishes a part stays awake for
 * {@code convt.simd.spinMicros} (default {@value #DEFAULT_SPIN_MICROS} µs), polling for the next part and yielding
 * its core between polls, before it parks. Why: a parked thread is woken by the caller's unpark, and in a VM a halted vCPU takes 30–140 µs to run it
 * (a hypervisor interrupt), as long as a third of a two-thread call of 0.5 ms; back-to-back calls (a training step's
 * layers, a partition's batches, a benchmark) find the worker still running. OpenMP runtimes, which oneDNN and
 * PyTorch use, keep their threads spinning the same way (libgomp's spin count, Intel's {@code KMP_BLOCKTIME}).
 *
 * <p>A part goes to an idle worker or to nobody: {@link #tryStart} returns false when every worker is busy and
 * {@link #MAX_WORKERS} exist, and the caller then runs that part itself. So no call ever waits for a worker that
 * another call holds, and concurrent callers (a Spark executor's task threads) cannot deadlock the pool.
 */
final class HotWorkers {
  static final String SPIN_KEY = "convt.simd.spinMicros";
  static final long DEFAULT_SPIN_MICROS = 100;
  static final String SPIN_UNIT = "microseconds";
  /** How long an idle worker polls before it parks; 0 parks at once. */
  static final long SPIN_NANOS =
      TimeUnit.MICROSECONDS.toNanos(SimdBackend.nonNegative(SPIN_KEY, DEFAULT_SPIN_MICROS, SPIN_UNIT));
  /** More helpers than this run their parts on the callers' threads instead of new workers. */
  static final int MAX_WORKERS = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());

  /** Idle workers, the most recently idle first: it is the one most likely still spinning. */
  private static final ConcurrentLinkedDeque<Worker> IDLE = new ConcurrentLinkedDeque<>();
  private static final AtomicInteger CREATED = new AtomicInteger();

  private HotWorkers() {}

  /**
   * Runs {@code part} on an idle worker (or a new one, up to {@link #MAX_WORKERS}); false when there is none, and
   * then the caller must run the part itself. The part must not throw (a {@link Parallel} part records its failure
   * for the caller).
   */
  static boolean tryStart(Runnable part) {
    Worker w = IDLE.pollFirst();
    if (w == null) {
      w = newWorker();
      if (w == null) {
        return false;
      }
    }
    w.give(part);
    return true;
  }

  /** How many worker threads exist (for tests). */
  static int created() {
    return CREATED.get();
  }

  private static Worker newWorker() {
    int n;
    do {
      n = CREATED.get();
      if (n >= MAX_WORKERS) {
        return null;
      }
    } while (!CREATED.compareAndSet(n, n + 1));
    Worker w = new Worker();
    // no inherited thread locals: the first caller may be a Spark task thread, and a worker outlives every task
    Thread t = new Thread(null, w::loop, "convt-simd-" + n, 0, false);
    t.setDaemon(true);
    w.thread = t;
    t.start();
    return w;
  }

  /** One thread and the part handed to it; a worker is given a part only while it is out of {@link #IDLE}. */
  private static final class Worker {
    private Thread thread;
    private volatile Runnable part;
    private volatile boolean parked;

    void give(Runnable r) {
      part = r;
      // the worker sets parked before its last look at part, so one of the two sees the other's write
      if (parked) {
        LockSupport.unpark(thread);
      }
    }

    void loop() {
      while (true) {
        Runnable r = awaitPart();
        part = null;
        r.run(); // never throws: Parallel's parts record their failures for their caller
        IDLE.offerFirst(this);
      }
    }

    private Runnable awaitPart() {
      Runnable r = part;
      if (r != null) {
        return r;
      }
      long deadline = System.nanoTime() + SPIN_NANOS;
      for (int spins = 1; SPIN_NANOS > 0; spins++) {
        r = part;
        if (r != null) {
          return r;
        }
        // a yield, not a pause: on a core it shares (an oversubscribed executor) the worker gives way to the caller
        // whose part it would otherwise delay; on an idle core it returns at once and the worker stays running
        Thread.yield();
        if ((spins & 15) == 0 && System.nanoTime() - deadline > 0) {
          break;
        }
      }
      parked = true;
      try {
        while ((r = part) == null) {
          LockSupport.park(this);
        }
      } finally {
        parked = false;
      }
      return r;
    }
  }
}

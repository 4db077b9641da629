package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link HotWorkers} under {@link Parallel#forRange} and {@link Parallel#forClaimed}: work, failures, contention. */
class HotWorkersTest {
  /** Every task index runs exactly once, whatever the thread count, and helpers really run on other threads. */
  @Test
  @Timeout(20)
  void everyTaskRunsOnceOnSeveralThreads() {
    for (int threads : new int[] {1, 2, 3, 5, 8}) {
      for (int count : new int[] {1, 2, 7, 64, 1000}) {
        AtomicIntegerArray ranRange = new AtomicIntegerArray(count);
        AtomicIntegerArray ranClaimed = new AtomicIntegerArray(count);
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        Parallel.forRange(count, threads, (from, to) -> {
          seen.add(Thread.currentThread());
          for (int i = from; i < to; i++) {
            ranRange.incrementAndGet(i);
          }
        });
        Parallel.forClaimed(count, threads, i -> ranClaimed.incrementAndGet(i));
        for (int i = 0; i < count; i++) {
          assertEquals(1, ranRange.get(i), "forRange threads=" + threads + " count=" + count + " task " + i);
          assertEquals(1, ranClaimed.get(i), "forClaimed threads=" + threads + " count=" + count + " task " + i);
        }
        assertTrue(seen.size() <= Math.min(threads, count), "more threads than asked: " + seen.size());
      }
    }
  }

  /** A helper's failure reaches the caller after every part has stopped, and the workers stay usable. */
  @Test
  @Timeout(20)
  void aHelpersFailureIsRethrownToTheCaller() {
    IllegalStateException boom = new IllegalStateException("range 3 failed");
    for (int round = 0; round < 3; round++) {
      AtomicLong finished = new AtomicLong();
      IllegalStateException thrown = assertThrows(IllegalStateException.class,
          () -> Parallel.forRange(4, 4, (from, to) -> {
            if (from == 3) {
              throw boom;
            }
            finished.incrementAndGet();
          }));
      assertSame(boom, thrown);
      assertEquals(3, finished.get(), "the other ranges ran to their end before the caller returned");
      AtomicLong sum = new AtomicLong();
      Parallel.forClaimed(100, 4, i -> sum.addAndGet(i));
      assertEquals(4950, sum.get(), "workers usable after a failure");
    }
  }

  /**
   * Many callers at once, each asking for more helpers than the cap: every call completes with every task done
   * once (a part no worker takes runs on its caller), and the pool never grows past its cap.
   */
  @Test
  @Timeout(60)
  void concurrentCallersBeyondTheCapAllFinish() throws Exception {
    int callers = 2 * HotWorkers.MAX_WORKERS;
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      CountDownLatch go = new CountDownLatch(1);
      Future<?>[] calls = new Future<?>[callers];
      for (int c = 0; c < callers; c++) {
        calls[c] = pool.submit(() -> {
          go.await();
          for (int rep = 0; rep < 20; rep++) {
            AtomicIntegerArray ran = new AtomicIntegerArray(257);
            Parallel.forRange(257, 6, (from, to) -> {
              for (int i = from; i < to; i++) {
                ran.incrementAndGet(i);
              }
            });
            Parallel.forOrdered(257, 6, (i, run) -> ran.incrementAndGet(i));
            for (int i = 0; i < 257; i++) {
              if (ran.get(i) != 2) {
                throw new AssertionError("task " + i + " ran " + ran.get(i) + " times");
              }
            }
          }
          return null;
        });
      }
      go.countDown();
      for (Future<?> f : calls) {
        f.get(50, TimeUnit.SECONDS);
      }
      assertTrue(HotWorkers.created() <= HotWorkers.MAX_WORKERS, "workers: " + HotWorkers.created());
    } finally {
      pool.shutdownNow();
    }
  }

  /** A worker that parked (spin time over) is woken by the next part. */
  @Test
  @Timeout(20)
  void parkedWorkersWakeForTheNextCall() throws InterruptedException {
    for (int round = 0; round < 5; round++) {
      TimeUnit.MILLISECONDS.sleep(2 + HotWorkers.SPIN_NANOS / 1_000_000);
      AtomicLong sum = new AtomicLong();
      Parallel.forClaimed(64, 2, i -> sum.addAndGet(i));
      assertEquals(2016, sum.get());
    }
  }
}

package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Parallel#forOrdered}: items that wait for earlier ones, failures, and the small-call threshold. */
class ParallelTest {
  /** A chain where each item needs the previous one's result gives the sequential answer at any thread count. */
  @Test
  @Timeout(20)
  void orderedItemsSeeTheResultsTheyWaitFor() {
    int n = 2000;
    long[] want = new long[n];
    for (int i = 0; i < n; i++) {
      want[i] = (i == 0 ? 1 : want[i - 1] * 31 + i) % 1_000_003;
    }
    for (int threads : new int[] {1, 2, 3, 5}) {
      long[] got = new long[n];
      AtomicIntegerArray done = new AtomicIntegerArray(n);
      Parallel.forOrdered(n, threads, (i, run) -> {
        if (i > 0) {
          run.await(() -> done.get(i - 1) == 1);
        }
        got[i] = (i == 0 ? 1 : got[i - 1] * 31 + i) % 1_000_003;
        done.set(i, 1);
      });
      assertArrayEquals(want, got, "threads=" + threads);
    }
  }

  /** An item's failure reaches the caller, and items waiting for the failed one give up instead of hanging. */
  @Test
  @Timeout(20)
  void aFailedItemIsRethrownAndWaitersDoNotHang() {
    for (int threads : new int[] {1, 2, 4}) {
      IllegalStateException boom = new IllegalStateException("item 7 failed");
      AtomicIntegerArray done = new AtomicIntegerArray(64);
      IllegalStateException thrown = assertThrows(IllegalStateException.class,
          () -> Parallel.forOrdered(64, threads, (i, run) -> {
            if (i == 7) {
              throw boom;
            }
            if (i > 7) {
              run.await(() -> done.get(7) == 1); // never true
            }
            done.set(i, 1);
          }));
      assertSame(boom, thrown, "threads=" + threads);
    }
  }

  @Test
  void callsBelowTheThresholdRunOnTheCallingThread() {
    long min = Parallel.DEFAULT_MIN_PARALLEL_MACS;
    assertEquals(1, Parallel.threadsFor(min - 1, 2, min));
    assertEquals(2, Parallel.threadsFor(min, 2, min));
    assertEquals(8, Parallel.threadsFor(1L << 40, 8, min));
    // dcgan_proj at N = 1 (100 → 512, 4×4 kernel, one input pixel) stays on one thread; at N = 32 it does not
    long dcganProj = 100L * 512 * 16;
    assertEquals(1, Parallel.threadsFor(dcganProj, 2, min));
    assertEquals(2, Parallel.threadsFor(32 * dcganProj, 2, min));
  }
}

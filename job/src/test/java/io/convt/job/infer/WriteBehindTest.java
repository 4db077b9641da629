package io.convt.job.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WriteBehindTest {
  private final ExecutorService tasks = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    tasks.shutdownNow();
  }

  /** Counts the rows pulled; throws {@code failure} instead of row {@code failAt} (never when negative). */
  private static final class Rows implements Iterator<Integer> {
    final AtomicInteger pulled = new AtomicInteger();
    final int count;
    final int failAt;
    final RuntimeException failure;

    Rows(int count, int failAt, RuntimeException failure) {
      this.count = count;
      this.failAt = failAt;
      this.failure = failure;
    }

    @Override
    public boolean hasNext() {
      return pulled.get() < count;
    }

    @Override
    public Integer next() {
      if (pulled.get() == failAt) {
        throw failure;
      }
      return pulled.getAndIncrement();
    }
  }

  @Test
  void writesEveryRowInOrderOnItsOwnThreadAndPassesThePartition() throws Exception {
    List<Integer> written = new ArrayList<>();
    AtomicReference<String> thread = new AtomicReference<>();
    AtomicInteger partition = new AtomicInteger(-1);
    WriteBehind.run(new Rows(10_000, -1, null), 4, 7, "writer-7", (rows, part) -> {
      thread.set(Thread.currentThread().getName());
      partition.set(part);
      rows.forEachRemaining(written::add);
    });
    assertEquals(10_000, written.size());
    for (int i = 0; i < written.size(); i++) {
      assertEquals(i, written.get(i));
    }
    assertEquals("writer-7", thread.get());
    assertNotEquals(Thread.currentThread().getName(), thread.get());
    assertEquals(7, partition.get());
  }

  @Test
  void theTaskRunsAtMostCapacityRowsAheadOfTheWriter() throws Exception {
    int capacity = 3;
    Rows rows = new Rows(1000, -1, null);
    CountDownLatch release = new CountDownLatch(1);
    Future<?> run = tasks.submit(() -> {
      WriteBehind.run(rows, capacity, 0, "slow-writer", (it, part) -> {
        it.next(); // takes one row, then stalls as a slow disk would
        release.await();
        it.forEachRemaining(r -> { });
      });
      return null;
    });
    // one row with the writer, `capacity` in the queue, one in the task's hand waiting for room
    int bound = capacity + 2;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (rows.pulled.get() < bound && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(bound, rows.pulled.get());
    Thread.sleep(200);
    assertEquals(bound, rows.pulled.get(), "the task ran ahead of a stalled writer");
    release.countDown();
    run.get(30, TimeUnit.SECONDS);
    assertEquals(1000, rows.pulled.get());
  }

  @Test
  void aWriterFailureStopsTheTaskAndIsRethrownAsItWasThrown() {
    Rows rows = new Rows(Integer.MAX_VALUE, -1, null);
    IOException disk = new IOException("disk full writing part-00003.parquet");
    IOException thrown = assertThrows(IOException.class, () -> WriteBehind.run(rows, 2, 3, "w", (it, part) -> {
      for (int i = 0; i < 5; i++) {
        it.next();
      }
      throw disk;
    }));
    assertSame(disk, thrown);
    assertTrue(rows.pulled.get() <= 5 + 2 + 1, "pulled " + rows.pulled.get() + " rows after the writer failed");
  }

  @Test
  void aTaskFailureAbortsTheWriterWhichClosesItsFilesBeforeTheFailureIsRethrown() {
    IllegalArgumentException bad = new IllegalArgumentException("Bad record x.png (channels)");
    AtomicReference<Throwable> writerSaw = new AtomicReference<>();
    AtomicInteger closed = new AtomicInteger();
    List<Integer> written = new ArrayList<>();
    IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class,
        () -> WriteBehind.run(new Rows(100, 7, bad), 2, 0, "w", (it, part) -> {
          try {
            it.forEachRemaining(written::add);
          } catch (RuntimeException e) {
            writerSaw.set(e);
            throw e;
          } finally {
            closed.incrementAndGet();
          }
        }));
    assertSame(bad, thrown);
    assertEquals(1, closed.get(), "the writer had not closed when the failure was rethrown");
    assertInstanceOf(CancellationException.class, writerSaw.get());
    // the writer may be cancelled before it took every row handed over; what it wrote is a prefix, in order
    assertTrue(written.size() <= 7, written.toString());
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6).subList(0, written.size()), written);
    assertEquals(0, thrown.getSuppressed().length, "the writer's cancellation is not a second failure");
  }

  @Test
  void aKilledTaskInterruptsTheWriterAndKeepsItsInterruptedException() throws Exception {
    CountDownLatch writing = new CountDownLatch(1);
    AtomicInteger closed = new AtomicInteger();
    Thread[] task = new Thread[1];
    Future<?> run = tasks.submit(() -> {
      task[0] = Thread.currentThread();
      WriteBehind.run(new Rows(Integer.MAX_VALUE, -1, null), 2, 0, "w", (it, part) -> {
        try {
          it.next();
          writing.countDown();
          Thread.sleep(60_000); // a write that would take long
        } finally {
          closed.incrementAndGet();
        }
      });
      return null;
    });
    assertTrue(writing.await(30, TimeUnit.SECONDS));
    task[0].interrupt(); // what Spark does to kill a task
    java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> run.get(30, TimeUnit.SECONDS));
    assertInstanceOf(InterruptedException.class, e.getCause());
    assertEquals(1, closed.get());
  }

  @Test
  void aWriterThatStopsEarlyIsAnError() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> WriteBehind.run(new Rows(100, -1, null), 2, 0, "lazy-writer", (it, part) -> it.next()));
    assertTrue(e.getMessage().contains("lazy-writer stopped before its last row"), e.getMessage());
  }

  @Test
  void anEmptyPartitionStillRunsTheWriterOnce() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    WriteBehind.run(new Rows(0, -1, null), 2, 0, "w", (it, part) -> {
      calls.incrementAndGet();
      assertFalse(it.hasNext());
    });
    assertEquals(1, calls.get());
  }
}

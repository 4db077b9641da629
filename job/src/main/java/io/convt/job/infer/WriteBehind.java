package io.convt.job.infer;

import java.io.Serializable;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a task's output writer on a thread of its own, fed through a bounded queue, so the task computes the next
 * batch while the previous one is written (the overlap {@code scripts/convt forward} has; before, a task read,
 * computed and wrote in turn, and sat idle while its writes waited for the disk).
 *
 * <p>The caller's thread (the Spark task thread) keeps pulling {@code rows}: Spark's input iterators, the kernel,
 * the accumulators and the task's interruption stay on the thread Spark gave them. The writer thread only writes
 * files. Memory: at most {@code capacity} rows wait in the queue, plus the one being written.
 *
 * <p>Failures: a writer failure stops the task at its next row and is rethrown as it was thrown; a failure of the
 * rows (a bad record in fail-fast mode, a kernel error, the task being killed) aborts the writer (its iterator
 * throws {@link CancellationException}, so it closes its files in its own {@code finally} blocks), waits for it, and
 * is rethrown. Either way nothing is committed: the output stays in staging, as with a failure on one thread.
 */
final class WriteBehind {
  /** Writes a partition's rows; runs on the writer thread. */
  interface PartWriter<T> extends Serializable {
    /**
     * @param rows the rows, in the task's order
     * @param partition the task's partition (Spark's {@code TaskContext} is not visible on the writer thread)
     */
    void write(Iterator<T> rows, int partition) throws Exception;
  }

  private static final Object END = new Object();
  private static final long POLL_MILLIS = 50;

  private WriteBehind() {}

  /**
   * Drains {@code rows} on the calling thread into {@code writer}, which runs on a new thread, and returns when the
   * writer has finished.
   *
   * @param capacity rows that may wait between the two threads (&gt; 0)
   * @param name the writer thread's name
   */
  static <T> void run(Iterator<T> rows, int capacity, int partition, String name, PartWriter<T> writer)
      throws Exception {
    BlockingQueue<Object> queue = new ArrayBlockingQueue<>(capacity);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread thread = new Thread(() -> {
      try {
        writer.write(new Taking<>(queue), partition);
      } catch (Throwable e) {
        failure.set(e);
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
    try {
      while (rows.hasNext()) {
        put(queue, rows.next(), thread, failure);
      }
      put(queue, END, thread, failure);
      thread.join();
    } catch (Throwable e) {
      thread.interrupt(); // the writer's iterator throws CancellationException; its finally blocks close its files
      joinUninterruptibly(thread);
      Throwable w = failure.get();
      if (w != null && w != e && !(w instanceof CancellationException)) {
        e.addSuppressed(w);
      }
      throw e;
    }
    rethrow(failure.get());
  }

  /** Hands {@code item} to the writer, waiting for room; stops as soon as the writer has stopped. */
  private static void put(BlockingQueue<Object> queue, Object item, Thread writer, AtomicReference<Throwable> failure)
      throws Exception {
    while (true) {
      rethrow(failure.get());
      if (!writer.isAlive()) {
        rethrow(failure.get()); // it may have failed between the two checks
        throw new IllegalStateException("The output writer " + writer.getName() + " stopped before its last row");
      }
      if (queue.offer(item, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
        return;
      }
    }
  }

  private static void rethrow(Throwable t) throws Exception {
    if (t instanceof Exception e) {
      throw e;
    }
    if (t instanceof Error e) {
      throw e;
    }
    if (t != null) {
      throw new IllegalStateException(t);
    }
  }

  private static void joinUninterruptibly(Thread thread) {
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The writer's view of the queue: blocks for the next row; throws once the task has given up on it. */
  private static final class Taking<T> implements Iterator<T> {
    private final BlockingQueue<Object> queue;
    private Object next;
    private boolean ended;

    Taking(BlockingQueue<Object> queue) {
      this.queue = queue;
    }

    @Override
    public boolean hasNext() {
      if (next == null && !ended) {
        try {
          next = queue.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CancellationException("The task stopped before its output was complete");
        }
        if (next == END) {
          next = null;
          ended = true;
        }
      }
      return next != null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      T row = (T) next;
      next = null;
      return row;
    }
  }
}

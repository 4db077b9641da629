package io.convt.job;

import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.util.LongAccumulator;

/**
 * Prints "records done / total, records per second" to stderr every few seconds while a job runs. The count comes
 * from an accumulator the tasks add to as they finish.
 */
public final class Progress implements AutoCloseable {
  private final Thread thread;
  private volatile boolean running = true;

  private Progress(String what, LongAccumulator done, long total, int intervalSeconds, PrintStream out) {
    long start = System.nanoTime();
    thread = new Thread(() -> {
      while (running) {
        try {
          Thread.sleep(intervalSeconds * 1000L);
        } catch (InterruptedException e) {
          return;
        }
        if (!running) {
          return;
        }
        long n = done.value();
        double secs = (System.nanoTime() - start) / 1e9;
        String of = total > 0 ? String.format(Locale.ROOT, "/%d (%.0f%%)", total, 100.0 * n / total) : "";
        out.printf(Locale.ROOT, "%s: %d%s records, %.1f records/s, %.0f s%n", what, n, of, n / Math.max(secs, 1e-9), secs);
      }
    }, "convt-progress");
    thread.setDaemon(true);
  }

  /** Starts reporting; {@code intervalSeconds = 0} reports nothing. */
  public static Progress start(String what, LongAccumulator done, long total, int intervalSeconds) {
    Progress p = new Progress(what, done, total, Math.max(intervalSeconds, 1), System.err);
    if (intervalSeconds > 0) {
      p.thread.start();
    }
    return p;
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}

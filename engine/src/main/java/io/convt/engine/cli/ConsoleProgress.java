package io.convt.engine.cli;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Live progress of a long command on stderr: records done / total, %, rate and ETA ({@link ProgressLine}). On a
 * terminal, one bar line redrawn in place every second; otherwise (a pipe, a file, a CI log) a plain line every
 * interval, only when the count moved. Every report is flushed at once, so it reaches a pipe as it happens.
 * {@code CONVT_PROGRESS=bar|lines|off} overrides the choice. A daemon thread polls the count, so the command's own
 * threads never wait for the console. Used by the local commands and, over a Spark count, by the job.
 */
public final class ConsoleProgress implements AutoCloseable {
  /** How progress is shown. */
  public enum Style {
    /** One line redrawn in place, for a terminal. */
    BAR,
    /** A plain line per report, for pipes and logs. */
    LINES,
    /** Nothing. */
    OFF;

    /** {@code CONVT_PROGRESS} if set, else a bar when the JVM has a console, else lines. */
    public static Style detect() {
      String env = System.getenv("CONVT_PROGRESS");
      if (env != null && !env.isBlank()) {
        try {
          return valueOf(env.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("Invalid value for CONVT_PROGRESS: '" + env
              + "' (expected bar, lines or off)");
        }
      }
      return System.console() != null ? BAR : LINES;
    }
  }

  private static final String CURSOR_UP_ERASE = "\u001b[1A\r\u001b[2K";
  /** Keeps the rate (and so the ETA) about the recent work, not the start-up. */
  private static final long RATE_WINDOW_NANOS = 20_000_000_000L;

  private final String what;
  private final LongSupplier done;
  private final long total;
  private final Style style;
  private final PrintStream out;
  private final long start = System.nanoTime();
  private final Thread thread;
  private final AutoCloseable source;
  private final Deque<long[]> samples = new ArrayDeque<>();
  private volatile boolean running = true;
  /** The count last printed, -1 before the first report. */
  private long printed = -1;

  private ConsoleProgress(String what, LongSupplier done, long total, long intervalMillis, Style style,
      PrintStream out, AutoCloseable source) {
    this.what = what;
    this.done = done;
    this.total = total;
    this.style = style;
    this.out = out;
    this.source = source;
    thread = new Thread(() -> {
      while (running) {
        try {
          Thread.sleep(intervalMillis);
        } catch (InterruptedException e) {
          return;
        }
        if (running) {
          report();
        }
      }
    }, "convt-progress");
    thread.setDaemon(true);
  }

  /**
   * Starts reporting {@code done} out of {@code total} (-1 if unknown).
   *
   * @param intervalMillis between plain lines (a bar is redrawn at least every second)
   * @param source closed with the progress (e.g. the listener that feeds {@code done}); may be null
   */
  public static ConsoleProgress start(String what, LongSupplier done, long total, long intervalMillis, Style style,
      PrintStream out, AutoCloseable source) {
    long every = style == Style.BAR ? Math.min(intervalMillis, 1000) : intervalMillis;
    ConsoleProgress p = new ConsoleProgress(what, done, total, Math.max(every, 50), style, out, source);
    if (style != Style.OFF) {
      p.thread.start();
    }
    return p;
  }

  private synchronized void report() {
    long now = System.nanoTime();
    long n = done.getAsLong();
    n = total >= 0 ? Math.min(n, total) : n;
    if (style == Style.LINES && n == printed) {
      return; // a plain line only when the count moved: a log of identical lines says nothing
    }
    samples.addLast(new long[] {now, n});
    while (now - samples.peekFirst()[0] > RATE_WINDOW_NANOS) {
      samples.removeFirst();
    }
    ProgressLine line = new ProgressLine(what, n, total, rate(now, n));
    if (style == Style.BAR) {
      // Redrawn with "cursor up, erase line" and a newline rather than a bare \r: every redraw is a whole line,
      // so it also passes line filters between the JVM and the terminal (scripts/lib/common.sh's grep).
      out.print((printed >= 0 ? CURSOR_UP_ERASE : "") + line.bar() + "\n");
    } else {
      out.println(line.text());
    }
    printed = n;
    out.flush();
  }

  /**
   * Records per second over the last {@link #RATE_WINDOW_NANOS} (the first ones include start-up: JIT, Spark's
   * executors and broadcasts), or since the start while that window is shorter than a second.
   */
  private double rate(long now, long n) {
    long[] oldest = samples.peekFirst();
    double windowSeconds = (now - oldest[0]) / 1e9;
    if (windowSeconds >= 1) {
      return (n - oldest[1]) / windowSeconds;
    }
    return n / Math.max((now - start) / 1e9, 1e-9);
  }

  /**
   * Stops reporting. If anything was reported, a last report gives the final count, so a bar does not stay at its
   * last poll's count.
   */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      if (printed >= 0 && style != Style.OFF) {
        report(); // the final count, unless a plain line already said it
      }
    }
    if (source != null) {
      try {
        source.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}

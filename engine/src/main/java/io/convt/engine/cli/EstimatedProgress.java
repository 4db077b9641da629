package io.convt.engine.cli;

import java.io.PrintStream;

/**
 * Live progress of one indivisible pass (no record count to follow): the time so far and the time left as
 * estimated beforehand, e.g. {@code convt backward (weight gradient): 3 s elapsed, ~8 s left (estimated)}. Same
 * styles as {@link ConsoleProgress}: redrawn in place on a terminal, a plain line every interval otherwise, nothing
 * when off; every report flushed at once. Used for the whole-stack weight gradient of {@code convt backward}.
 */
final class EstimatedProgress implements AutoCloseable {
  private static final String CURSOR_UP_ERASE = "\u001b[1A\r\u001b[2K";

  private final String what;
  private final double estimateSeconds;
  private final ConsoleProgress.Style style;
  private final PrintStream out;
  private final long start = System.nanoTime();
  private final Thread thread;
  private volatile boolean running = true;
  private boolean printed;

  private EstimatedProgress(String what, double estimateSeconds, long intervalMillis, ConsoleProgress.Style style,
      PrintStream out) {
    this.what = what;
    this.estimateSeconds = estimateSeconds;
    this.style = style;
    this.out = out;
    thread = new Thread(() -> {
      while (running) {
        try {
          Thread.sleep(intervalMillis);
        } catch (InterruptedException e) {
          return;
        }
        if (running) {
          report(false);
        }
      }
    }, "convt-progress");
    thread.setDaemon(true);
  }

  /**
   * Starts reporting a pass expected to take {@code estimateSeconds}.
   *
   * @param intervalMillis between plain lines (a terminal line is redrawn at least every second)
   */
  static EstimatedProgress start(String what, double estimateSeconds, long intervalMillis,
      ConsoleProgress.Style style, PrintStream out) {
    long every = style == ConsoleProgress.Style.BAR ? Math.min(intervalMillis, 1000) : intervalMillis;
    EstimatedProgress p = new EstimatedProgress(what, estimateSeconds, Math.max(every, 50), style, out);
    if (style != ConsoleProgress.Style.OFF) {
      p.thread.start();
    }
    return p;
  }

  /** The report's text after {@code elapsed} seconds (or the closing one when {@code done}). */
  String text(double elapsed, boolean done) {
    if (done) {
      return what + ": done in " + ProgressLine.duration(elapsed);
    }
    double left = estimateSeconds - elapsed;
    return what + ": " + ProgressLine.duration(elapsed) + " elapsed, "
        + (left >= 0.5 ? "~" + ProgressLine.duration(left) + " left (estimated)" : "taking longer than estimated");
  }

  private synchronized void report(boolean done) {
    String line = text((System.nanoTime() - start) / 1e9, done);
    if (style == ConsoleProgress.Style.BAR) {
      out.print((printed ? CURSOR_UP_ERASE : "") + line + "\n");
    } else {
      out.println(line);
    }
    printed = true;
    out.flush();
  }

  /** Stops reporting; if anything was reported, a last line says how long the pass took. */
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
      if (printed && style != ConsoleProgress.Style.OFF) {
        report(true);
      }
    }
  }

}

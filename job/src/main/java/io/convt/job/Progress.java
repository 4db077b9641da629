package io.convt.job;

import io.convt.engine.cli.ConsoleProgress;
import io.convt.job.progress.LiveCount;
import java.io.PrintStream;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * Live progress of a job on stderr ({@link ConsoleProgress}: records done / total, %, rate, ETA), counted while the
 * tasks run: the accumulator holds every ended task's count and {@link LiveCount} adds the running tasks' counts
 * from executor heartbeats. An interval of 0 (or {@code --quiet}) turns progress off.
 */
public final class Progress {
  private Progress() {}

  /**
   * Starts reporting the records {@code done} counts (a named accumulator the tasks add to as they go) out of
   * {@code total} (-1 if unknown) on stderr, in the {@link ConsoleProgress.Style#detect() detected} style.
   *
   * @param intervalSeconds seconds between plain lines; 0 reports nothing
   */
  public static ConsoleProgress start(SparkContext sc, String what, LongAccumulator done, long total,
      int intervalSeconds) {
    ConsoleProgress.Style style = intervalSeconds > 0 ? ConsoleProgress.Style.detect() : ConsoleProgress.Style.OFF;
    return start(sc, what, done, total, intervalSeconds * 1000L, style, System.err);
  }

  /** As {@link #start(SparkContext, String, LongAccumulator, long, int)}, with the interval, style and stream. */
  public static ConsoleProgress start(SparkContext sc, String what, LongAccumulator done, long total,
      long intervalMillis, ConsoleProgress.Style style, PrintStream out) {
    if (style == ConsoleProgress.Style.OFF) {
      return ConsoleProgress.start(what, () -> 0, total, intervalMillis, style, out, null);
    }
    LiveCount live = LiveCount.follow(sc, done);
    // the live count may lag the accumulator once a task has ended: the larger of the two is never stale
    return ConsoleProgress.start(what, () -> Math.max(live.value(), done.value()), total, intervalMillis, style, out,
        live);
  }
}

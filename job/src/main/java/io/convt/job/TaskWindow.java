package io.convt.job;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.function.VoidFunction;
import org.apache.spark.util.CollectionAccumulator;

/**
 * When a job's tasks did their work: each successful task adds the wall-clock start and end (epoch milliseconds) of
 * its partition's work to an accumulator, and the driver turns them into the run summary's {@code startup_seconds}
 * (from the job's start to the first task's start: executor launch, session and broadcast set-up) and
 * {@code processing_seconds} (first task start to last task end). Why: on a cluster a short job's wall time is
 * mostly executor start-up, which a long job amortises; users sizing a job need the two apart.
 *
 * <p>Only successful task attempts count (Spark applies their accumulator updates once). Clocks are the executors'
 * own: on one host exact, across hosts as good as their time synchronisation.
 */
public final class TaskWindow implements Serializable {
  private static final long serialVersionUID = 1L;
  private final CollectionAccumulator<long[]> spans;

  private TaskWindow(CollectionAccumulator<long[]> spans) {
    this.spans = spans;
  }

  /** Registers the accumulator with {@code sc} (the UI lists it under {@code name}). */
  public static TaskWindow register(SparkContext sc, String name) {
    return new TaskWindow(sc.collectionAccumulator(name));
  }

  /** {@code work}, timed: the span of each call is recorded when it returns normally. */
  public <T> VoidFunction<Iterator<T>> around(VoidFunction<Iterator<T>> work) {
    return rows -> {
      long start = System.currentTimeMillis();
      work.call(rows);
      spans.add(new long[] {start, System.currentTimeMillis()});
    };
  }

  /**
   * Adds {@code startup_seconds}, {@code processing_seconds}, {@code processing_records_per_second}, and the
   * number of successful tasks with their shortest and longest durations ({@code tasks}, {@code task_seconds_min},
   * {@code task_seconds_max}) to {@code summary}; nothing when no task recorded a span.
   *
   * @param jobStartMillis the driver's wall clock when the job started
   * @param records records the tasks processed
   */
  public void putInto(Map<String, Object> summary, long jobStartMillis, long records) {
    List<long[]> all = spans.value();
    if (all.isEmpty()) {
      return;
    }
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    long shortest = Long.MAX_VALUE;
    long longest = 0;
    for (long[] s : all) {
      first = Math.min(first, s[0]);
      last = Math.max(last, s[1]);
      shortest = Math.min(shortest, s[1] - s[0]);
      longest = Math.max(longest, s[1] - s[0]);
    }
    double processing = Math.max(last - first, 1) / 1000.0;
    summary.put("startup_seconds", Math.max(first - jobStartMillis, 0) / 1000.0);
    summary.put("processing_seconds", processing);
    summary.put("processing_records_per_second", Math.round(records / processing * 10) / 10.0);
    // a straggler shows as a longest task much longer than the shortest: cores sit idle while it finishes
    summary.put("tasks", all.size());
    summary.put("task_seconds_min", shortest / 1000.0);
    summary.put("task_seconds_max", longest / 1000.0);
  }
}

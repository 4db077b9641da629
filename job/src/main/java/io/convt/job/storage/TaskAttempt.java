package io.convt.job.storage;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.VoidFunction;

/**
 * One task attempt that wrote output: its partition and Spark's task attempt id (unique within the application,
 * so a retry, a speculative copy and a rerun stage each get their own). Every file a task writes is named
 * {@code part-PPPPP-aT...} after it ({@link #fileStem()}), so concurrent attempts of one partition never write the
 * same object, and the driver can keep exactly the attempt whose result it collected ({@link
 * io.convt.job.OutputCommit#commit(java.util.List)}).
 *
 * @param partition the partition index
 * @param attempt Spark's {@code TaskContext.taskAttemptId()} (-1 outside a task)
 */
public record TaskAttempt(int partition, long attempt) implements Serializable {
  /** {@code part-PPPPP-aT}, then a suffix: {@code .parquet}, {@code -KKK.arrow}, {@code .json}. */
  private static final Pattern STEM = Pattern.compile("^part-(\\d{5,})-a(\\d+)(?:[.-].*)?$");

  /** The attempt running on this thread; outside a Spark task (writers called directly) partition 0, attempt -1. */
  public static TaskAttempt current() {
    TaskContext ctx = TaskContext.get();
    return ctx == null ? new TaskAttempt(0, -1) : new TaskAttempt(ctx.partitionId(), ctx.taskAttemptId());
  }

  /** The stem of this attempt's file names: {@code part-PPPPP-aT} ({@code part-PPPPP} outside a task). */
  public String fileStem() {
    return attempt < 0 ? String.format("part-%05d", partition) : String.format("part-%05d-a%d", partition, attempt);
  }

  /** The attempt a file name belongs to ({@link #fileStem()} followed by a suffix), or null for other names. */
  public static TaskAttempt ofFileName(String name) {
    Matcher m = STEM.matcher(name);
    return m.matches() ? new TaskAttempt(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2))) : null;
  }

  /**
   * A partition function that runs {@code work} over the partition and then returns the attempt that did it: the
   * write action collects these, one per partition, from the attempts Spark counted as successful.
   */
  public static <T> FlatMapFunction<Iterator<T>, TaskAttempt> after(VoidFunction<Iterator<T>> work) {
    return rows -> {
      work.call(rows);
      return List.of(current()).iterator();
    };
  }
}

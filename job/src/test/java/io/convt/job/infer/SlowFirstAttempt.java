package io.convt.job.infer;

import io.convt.job.storage.TaskAttempt;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.VoidFunction;

/**
 * Installed as {@link InferJob}'s after-write step: the first attempt of one partition writes its files and then
 * stalls, so that Spark launches a speculative copy, which wins, and kills this one (an interrupt ends the sleep).
 * Executors load this class from a jar the test builds ({@code SpeculationIT}).
 */
public final class SlowFirstAttempt implements VoidFunction<TaskAttempt> {
  private static final long serialVersionUID = 1L;
  private final int partition;

  private SlowFirstAttempt(int partition) {
    this.partition = partition;
  }

  /** From now on, jobs this JVM starts stall the first attempt of {@code partition}. */
  public static void install(int partition) {
    InferJob.afterWrite = new SlowFirstAttempt(partition);
  }

  /** Back to the job as shipped. */
  public static void uninstall() {
    InferJob.afterWrite = null;
  }

  @Override
  public void call(TaskAttempt attempt) throws InterruptedException {
    TaskContext ctx = TaskContext.get();
    if (ctx != null && attempt.partition() == partition && ctx.attemptNumber() == 0) {
      Thread.sleep(180_000);
    }
  }
}

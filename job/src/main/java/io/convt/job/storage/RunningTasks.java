package io.convt.job.storage;

import java.util.HashSet;
import java.util.Set;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * The task attempts of a write action that have started and not yet ended, so the driver can wait, before it
 * deletes the losing attempts' files, until none is still writing: when a partition succeeds Spark kills its other
 * attempts (speculative copies), but the kill is asynchronous, and a killed attempt could otherwise create a file
 * after the commit has listed the output. Spark's listener bus delivers events late, so the wait also covers the
 * action's own job end (after which its stage launches no further attempt).
 */
public final class RunningTasks extends SparkListener implements AutoCloseable {
  private final SparkContext sc;
  private final Set<Long> running = new HashSet<>();
  private boolean jobEnded;

  private RunningTasks(SparkContext sc) {
    this.sc = sc;
  }

  /** Starts watching; register just before the write action (the next job to end must be the action's). */
  public static RunningTasks track(SparkContext sc) {
    RunningTasks t = new RunningTasks(sc);
    sc.addSparkListener(t);
    return t;
  }

  @Override
  public synchronized void onTaskStart(SparkListenerTaskStart start) {
    running.add(start.taskInfo().taskId());
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
    running.remove(end.taskInfo().taskId());
    notifyAll();
  }

  @Override
  public synchronized void onJobEnd(SparkListenerJobEnd end) {
    jobEnded = true;
    notifyAll();
  }

  /**
   * Waits until the action's job has ended and every attempt it started has ended too (killed ones included), at
   * most {@code timeoutMillis}.
   *
   * @return whether that happened in time
   */
  public synchronized boolean awaitNone(long timeoutMillis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (!jobEnded || !running.isEmpty()) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  @Override
  public void close() {
    sc.removeSparkListener(this);
  }
}

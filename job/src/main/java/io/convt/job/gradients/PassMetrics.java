package io.convt.job.gradients;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.storage.RDDInfo;

/**
 * What one gradient pass cost the driver, read from Spark's own task metrics: the serialized task-result bytes the
 * driver received ({@code resultSize} of every task of the pass's stages, retried and speculative attempts
 * included), the shuffle bytes the gradient tasks wrote into the reduction, and when the gradient stage ended.
 *
 * <p>The pass's jobs are recognised by a local property set on the driver thread for the pass, so other jobs
 * running in the same application are not counted. Listener events arrive asynchronously; {@link #awaitJobs()}
 * waits for the pass's job-end events, which Spark posts after the task-end events of those jobs.
 */
final class PassMetrics extends SparkListener implements AutoCloseable {
  /** Local property naming the pass a job belongs to. */
  static final String PROPERTY = "convt.gradient.pass";

  private final SparkContext sc;
  private final String passId;
  private final String previous;
  private final int gradientRddId;
  private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
  private final Set<Integer> gradientStages = ConcurrentHashMap.newKeySet();
  private final Set<Integer> jobs = ConcurrentHashMap.newKeySet();
  private final AtomicLong resultBytes = new AtomicLong();
  private final AtomicLong tasks = new AtomicLong();
  private final AtomicLong mapTaskBytes = new AtomicLong();
  private final AtomicLong mapTasks = new AtomicLong();
  private final AtomicLong succeededResultTasks = new AtomicLong();
  private final AtomicLong partialBytes = new AtomicLong();
  private final AtomicLong gradientStageEnd = new AtomicLong();
  private final CountDownLatch jobEnded = new CountDownLatch(1);

  /** Starts listening for the jobs the calling thread submits until {@link #close()}. */
  PassMetrics(SparkContext sc, String passId, int gradientRddId) {
    this.sc = sc;
    this.passId = passId;
    this.gradientRddId = gradientRddId;
    this.previous = sc.getLocalProperty(PROPERTY);
    sc.setLocalProperty(PROPERTY, passId);
    sc.addSparkListener(this);
  }

  @Override
  public void onJobStart(SparkListenerJobStart e) {
    if (passId.equals(e.properties() == null ? null : e.properties().getProperty(PROPERTY))) {
      jobs.add(e.jobId());
    }
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted e) {
    if (passId.equals(e.properties() == null ? null : e.properties().getProperty(PROPERTY))) {
      int id = e.stageInfo().stageId();
      stages.add(id);
      scala.collection.Iterator<RDDInfo> rdds = e.stageInfo().rddInfos().iterator();
      while (rdds.hasNext()) {
        if (rdds.next().id() == gradientRddId) {
          gradientStages.add(id);
        }
      }
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd e) {
    if (stages.contains(e.stageId()) && e.taskMetrics() != null) {
      long size = e.taskMetrics().resultSize();
      resultBytes.addAndGet(size);
      tasks.incrementAndGet();
      if ("ResultTask".equals(e.taskType())) {
        if (e.reason() instanceof org.apache.spark.Success$) {
          succeededResultTasks.incrementAndGet();
        }
      } else {
        mapTaskBytes.addAndGet(size);
        mapTasks.incrementAndGet();
      }
      if (gradientStages.contains(e.stageId())) {
        partialBytes.addAndGet(e.taskMetrics().shuffleWriteMetrics().bytesWritten());
      }
    }
  }

  @Override
  public void onStageCompleted(SparkListenerStageCompleted e) {
    if (gradientStages.contains(e.stageInfo().stageId()) && e.stageInfo().completionTime().isDefined()) {
      gradientStageEnd.accumulateAndGet((Long) e.stageInfo().completionTime().get(), Math::max);
    }
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd e) {
    if (jobs.contains(e.jobId())) {
      jobEnded.countDown();
    }
  }

  /**
   * Waits (at most 30 s) until the pass's job has ended on the listener bus, so every task-end event of it has been
   * counted.
   *
   * @return false if the events did not arrive in time (the counts may then be low)
   */
  boolean awaitJobs() throws InterruptedException {
    return jobEnded.await(30, TimeUnit.SECONDS);
  }

  /** Serialized task-result bytes the driver received for the pass's tasks. */
  long driverReceivedBytes() {
    return resultBytes.get();
  }

  /** Task ends counted (every attempt of every stage of the pass). */
  long tasks() {
    return tasks.get();
  }

  /** Result bytes of the shuffle-map tasks (whose value is Spark's {@code MapStatus}). */
  long mapTaskBytes() {
    return mapTaskBytes.get();
  }

  /** Shuffle-map task ends counted. */
  long mapTasks() {
    return mapTasks.get();
  }

  /** Result-stage tasks that succeeded: each sent its value to the driver. */
  long succeededResultTasks() {
    return succeededResultTasks.get();
  }

  /** Shuffle bytes the gradient tasks wrote: the partial sums handed to the reduction. */
  long partialBytes() {
    return partialBytes.get();
  }

  /** Epoch milliseconds when the gradient stage completed, or 0 if unknown. */
  long gradientStageEndMillis() {
    return gradientStageEnd.get();
  }

  @Override
  public void close() {
    sc.removeSparkListener(this);
    sc.setLocalProperty(PROPERTY, previous);
  }
}

package io.convt.job.gradients;

import io.convt.job.storage.HadoopConf;
import io.convt.job.LayerWeights;
import io.convt.job.SparkErrors;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * One distributed gradient pass in plain Spark stages (no barrier mode): the driver splits the record range into
 * contiguous slices, one per partition, broadcasts the weights, each task returns the {@link PartialGradients} of
 * its slice, and the driver merges the collected partials in slice order.
 *
 * <p>Why the result is bit-identical whatever the cluster does: a partial is a pure function of (weights, slice),
 * so retried and speculative attempts produce the same bytes and Spark keeps exactly one result per partition;
 * {@code collect} returns them in partition order, never task-completion order (unlike {@code reduce} or
 * {@code treeAggregate}); and the partials themselves are sums keyed by global record index, whose merge does not
 * depend on where slice boundaries fall, so 1, 3 or 7 partitions, one executor or many, give the same bits.
 */
public final class GradientPass {
  /**
   * Test hook (local mode only, where tasks run in the driver's JVM): the first attempt of the task whose slice
   * starts at this record fails, so tests can prove a retried task changes no bit. -1 (the default) disables it.
   */
  static volatile long failFirstAttemptOfSlice = -1;

  private GradientPass() {}

  /**
   * The gradient totals of records {@code [first, first + count)}.
   *
   * @throws IllegalArgumentException when {@code count} ≤ 0, or (unwrapped from the failed Spark job) when a
   *     record is bad
   */
  public static GradientTotals run(SparkSession spark, GradientsRequest request, LayerWeights weights, long first,
      long count) {
    if (count <= 0) {
      throw new IllegalArgumentException("Cannot compute gradients: no records in range " + first + "+" + count);
    }
    long started = System.nanoTime();
    List<long[]> slices = slices(first, count, request.partitions());
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<LayerWeights> bw = jsc.broadcast(weights);
    Broadcast<GradientsRequest> br = jsc.broadcast(request);
    HadoopConf hadoop = HadoopConf.broadcast(spark); // the stacks may be on HDFS, S3, ...
    List<PartialGradients> partials;
    try {
      partials = jsc.parallelize(slices, slices.size())
          .map(s -> {
            failForTest(s[0]);
            return PartitionGradients.compute(br.value(), bw.value(), s[0], (int) s[1], hadoop.get());
          })
          .collect();
    } catch (Exception e) { // SparkException is checked in Java's eyes but thrown undeclared by Scala
      throw SparkErrors.unwrap(e);
    } finally {
      bw.destroy();
      br.destroy();
    }
    long merging = System.nanoTime();
    PartialGradients total = PartialGradients.mergeInOrder(partials);
    long merged = System.nanoTime();
    if (total.records() != count) {
      throw new IllegalStateException("Cannot complete gradient pass: " + total.records() + " of " + count
          + " records arrived (a slice is missing)");
    }
    return new GradientTotals(total.weightGradient(), total.biasGradient(), total.loss(), total.records(),
        (merged - started) / 1e9, (merged - merging) / 1e9, partialBytes(partials));
  }

  private static long partialBytes(List<PartialGradients> partials) {
    long n = 0;
    for (PartialGradients p : partials) {
      n += p.serializedSize();
    }
    return n;
  }

  private static void failForTest(long sliceStart) {
    TaskContext task = TaskContext.get();
    if (sliceStart == failFirstAttemptOfSlice && task != null && task.attemptNumber() == 0) {
      throw new IllegalStateException("injected failure of the first attempt of the slice at record " + sliceStart);
    }
  }

  /**
   * Splits {@code [first, first + count)} into at most {@code partitions} contiguous non-empty slices
   * {@code {start, length}} of near-equal size whose inner boundaries fall on multiples of the largest power of two
   * {@code B ≤ count / partitions} (in global record index). The result does not depend on the boundaries (the
   * accumulator's tree is canonical), but aligned boundaries let each slice collapse into a few complete tree
   * blocks, so a task ships a handful of gradient vectors instead of up to {@code 2·log2(slice)}.
   */
  public static List<long[]> slices(long first, long count, int partitions) {
    int p = (int) Math.min(partitions, count);
    long block = Long.highestOneBit(Math.max(1, count / p));
    List<long[]> out = new ArrayList<>(p);
    long start = first;
    for (int i = 1; i <= p; i++) {
      long end = i == p ? first + count : Math.floorDiv(first + count * i / p, block) * block;
      if (end > start) {
        if (end - start > Integer.MAX_VALUE) {
          throw new IllegalArgumentException("Cannot split " + count + " records into " + partitions
              + " partitions: a slice would exceed " + Integer.MAX_VALUE + " records; raise --partitions");
        }
        out.add(new long[] {start, end - start});
        start = end;
      }
    }
    return out;
  }
}

package io.convt.job.gradients;

import io.convt.job.storage.HadoopConf;
import io.convt.job.LayerWeights;
import io.convt.job.SparkErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * One distributed gradient pass in plain Spark stages (no barrier mode): the driver splits the record range into
 * contiguous slices, one per partition, and broadcasts the weights; each task computes the {@link PartialGradients}
 * of its slice; the executors merge the partials up a fixed tree over the record index ({@link ReductionTree}, one
 * shuffle round per materialised level), and only the root's finished sums come back to the driver.
 *
 * <p>Why the result is bit-identical whatever the cluster does: a partial is a pure function of (weights, slice),
 * so retried and speculative attempts produce the same bytes and Spark keeps exactly one output per partition; the
 * partials are sums keyed by global record index whose every tree node is a function of its records alone, so
 * where slice boundaries fall, which task merges which node and in which order blocks arrive change no bit; 1, 3
 * or 64 partitions, one executor or many, give the same bits as the single-JVM sum over the same records.
 */
public final class GradientPass {
  private GradientPass() {}

  /**
   * The gradient totals of records {@code [first, first + count)}.
   *
   * @throws IllegalArgumentException when {@code count} ≤ 0, or (unwrapped from the failed Spark job) when a
   *     record is bad
   */
  public static GradientTotals run(SparkSession spark, GradientsRequest request, LayerWeights weights, long first,
      long count) {
    return run(spark, request, weights, first, count, null);
  }

  /**
   * As {@link #run(SparkSession, GradientsRequest, LayerWeights, long, long)}, taking a tensor dataset's records
   * from {@code cache} (one training run's {@link TensorCache}; null to read the datasets).
   */
  public static GradientTotals run(SparkSession spark, GradientsRequest request, LayerWeights weights, long first,
      long count, TensorCache cache) {
    if (count <= 0) {
      throw new IllegalArgumentException("Cannot compute gradients: no records in range " + first + "+" + count);
    }
    long started = System.nanoTime();
    List<long[]> slices = slices(first, count, request.partitions());
    long smallest = Long.MAX_VALUE;
    for (long[] s : slices) {
      smallest = Math.min(smallest, s[1]);
    }
    ReductionTree tree = ReductionTree.of(first, count, smallest);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<LayerWeights> bw = jsc.broadcast(weights);
    Broadcast<GradientsRequest> br = jsc.broadcast(request);
    HadoopConf hadoop = HadoopConf.broadcast(spark); // the stacks may be on HDFS, S3, ...
    // defined before the pass's metrics start: reading a Parquet dataset's schema may run a Spark job of its own
    JavaRDD<PartialGradients> partials = request.paired() != null && request.paired().tensors() != null
        ? TensorPass.partials(spark, request, br, bw, hadoop, slices, first, count, cache)
        : jsc.parallelize(slices, slices.size())
            .map(s -> PartitionGradients.compute(br.value(), bw.value(), s[0], (int) s[1], hadoop.get()));
    List<RootGradients> roots;
    long endMillis;
    PassMetrics metrics = new PassMetrics(spark.sparkContext(), UUID.randomUUID().toString(), partials.id());
    boolean counted;
    try {
      int firstLevel = tree.level(0);
      JavaPairRDD<Long, PartialGradients> nodes = partials.flatMapToPair(p -> p.splitByNode(firstLevel).stream()
          .map(e -> new Tuple2<>(e.getKey(), e.getValue())).iterator());
      for (int r = 0; r < tree.rounds(); r++) {
        if (r > 0) {
          int level = tree.level(r);
          nodes = nodes.mapToPair(t -> new Tuple2<>(ReductionTree.key(t._1(), level), t._2()));
        }
        // A task's parts have distinct keys, and so has a round's output: nothing to combine on the map side.
        nodes = nodes.combineByKey(v -> v, PartialGradients::merge, PartialGradients::merge, tree.partitioner(r),
            false, null);
      }
      roots = nodes.values().map(PartialGradients::finish).collect();
      endMillis = System.currentTimeMillis();
      counted = metrics.awaitJobs();
    } catch (Exception e) { // SparkException is checked in Java's eyes but thrown undeclared by Scala
      throw SparkErrors.unwrap(e);
    } finally {
      metrics.close();
      bw.destroy();
      br.destroy();
    }
    long finished = System.nanoTime();
    if (roots.size() != 1 || roots.get(0).records() != count) {
      throw new IllegalStateException("Cannot complete gradient pass: " + (roots.isEmpty() ? 0 : roots.get(0).records())
          + " of " + count + " records in " + roots.size() + " root(s) (a slice is missing)");
    }
    RootGradients root = roots.get(0);
    // collect()'s task value is the root partition's elements as an Object[]: the same array, the same bytes
    DriverBytes driver = counted ? new DriverBytes(metrics.driverReceivedBytes(),
        metrics.succeededResultTasks() * DriverBytes.serializedSize(roots.toArray()), metrics.tasks()) : null;
    long stageEnd = metrics.gradientStageEndMillis();
    double reduceSeconds = stageEnd > 0 ? Math.max(0, endMillis - stageEnd) / 1e3 : Double.NaN;
    return new GradientTotals(root.weightGradient(), root.biasGradient(), root.loss(), root.records(),
        (finished - started) / 1e9, reduceSeconds, metrics.partialBytes(),
        driver, tree.rounds());
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

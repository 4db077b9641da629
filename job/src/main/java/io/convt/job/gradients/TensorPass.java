package io.convt.job.gradients;

import io.convt.job.LayerWeights;
import io.convt.job.infer.InputRecord;
import io.convt.job.infer.TensorDatasets;
import io.convt.job.storage.HadoopConf;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * The first stage of a gradient pass over a paired tensor dataset: Spark reads both datasets with {@code infer}'s
 * readers ({@link TensorDatasets#read}), each record is keyed by its global index (its id's position in the
 * driver's sorted pairing), and one shuffle brings every slice's records to its task sorted by key, input before
 * target ({@link IndexedTensor}). The task then computes its slice exactly as for {@code .npy} stacks
 * ({@link PartitionGradients#computeTensors}).
 *
 * <p>Which file, row group or task a record was read from changes nothing: a slice's tensors arrive in key order
 * whatever the read order, so a retried or speculative task recomputes the same bytes and the sum's tree is the
 * one over the sorted ids. Records outside the pass's range (other training steps) are dropped before the shuffle.
 */
final class TensorPass {
  private TensorPass() {}

  /**
   * The partial gradients of every slice, one per partition, in slice order; lazily defined (no Spark job runs
   * until an action). The records come from {@code cache} when given (a training run), else from both datasets.
   */
  static JavaRDD<PartialGradients> partials(SparkSession spark, GradientsRequest request,
      Broadcast<GradientsRequest> br, Broadcast<LayerWeights> bw, HadoopConf hadoop, List<long[]> slices,
      long first, long count, TensorCache cache) {
    JavaPairRDD<Long, IndexedTensor> keyed;
    if (cache != null) {
      keyed = cache.range(first, count);
    } else {
      PairedDataset p = request.paired();
      JavaPairRDD<Long, IndexedTensor> xs = keyed(TensorDatasets.read(spark, request.input(), p.tensors().input(),
          hadoop, request.partitions()), IndexedTensor.INPUT, br, first, count);
      JavaPairRDD<Long, IndexedTensor> ys = keyed(TensorDatasets.read(spark, request.outputSideFile(),
          p.tensors().target(), hadoop, request.partitions()), IndexedTensor.TARGET, br, first, count);
      keyed = xs.union(ys);
    }
    long[][] bounds = slices.toArray(new long[0][]);
    long[] starts = new long[bounds.length];
    for (int i = 0; i < bounds.length; i++) {
      starts[i] = bounds[i][0];
    }
    return keyed.repartitionAndSortWithinPartitions(new SlicePartitioner(starts))
        .mapPartitionsWithIndex((part, records) -> {
          Iterator<IndexedTensor> sorted = new Iterator<>() {
            @Override
            public boolean hasNext() {
              return records.hasNext();
            }

            @Override
            public IndexedTensor next() {
              return records.next()._2();
            }
          };
          long[] s = bounds[part];
          return List.of(PartitionGradients.computeTensors(br.value(), bw.value(), s[0], (int) s[1], sorted,
              hadoop.get()))
              .iterator();
        }, true);
  }

  static JavaPairRDD<Long, IndexedTensor> keyed(JavaRDD<InputRecord> records, int side,
      Broadcast<GradientsRequest> br, long first, long count) {
    return records.flatMapToPair(r -> {
      IndexedTensor t = TensorRecords.keyed(r, side, br.value(), first, count);
      return t == null ? Collections.emptyIterator() : List.of(new Tuple2<>(t.key(), t)).iterator();
    });
  }

  /** Partition of a tensor key: the slice holding its record. Depends on the slice bounds only. */
  static final class SlicePartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final long[] starts;

    SlicePartitioner(long[] starts) {
      this.starts = starts;
    }

    @Override
    public int numPartitions() {
      return starts.length;
    }

    @Override
    public int getPartition(Object key) {
      int i = Arrays.binarySearch(starts, (Long) key >> 1);
      return i >= 0 ? i : -i - 2;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SlicePartitioner s && Arrays.equals(s.starts, starts);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(starts);
    }
  }
}

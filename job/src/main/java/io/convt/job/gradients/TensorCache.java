package io.convt.job.gradients;

import io.convt.job.infer.TensorDatasets;
import io.convt.job.storage.HadoopConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * A paired tensor dataset read once for a whole training run: every paired record of both sides, keyed by its
 * global index ({@link TensorRecords#keyed}), persisted on the executors, so that each step's pass takes its index
 * range from the cache instead of reading, decoding and re-keying both datasets again.
 *
 * <p>Why the bits cannot change: a cached partition holds the same keyed tensors a fresh read gives (they are a
 * pure function of the files), whichever storage level holds them, and a step still sorts its range by key before
 * computing; a partition Spark evicts or loses is recomputed from the files by the same lineage. The checks of a
 * record (shape, listed exactly once) are the same ones, made when the record is first read and again when its
 * step takes it. {@code MEMORY_AND_DISK}: the dataset stays as float arrays in executor memory, and what does not
 * fit spills to local disk rather than being read from the dataset again.
 */
public final class TensorCache implements AutoCloseable {
  private final Broadcast<GradientsRequest> request;
  private final JavaPairRDD<Long, IndexedTensor> records;

  private TensorCache(Broadcast<GradientsRequest> request, JavaPairRDD<Long, IndexedTensor> records) {
    this.request = request;
    this.records = records;
  }

  /**
   * Defines and persists the keyed records of {@code request}'s paired tensor datasets (lazily: the first pass
   * fills the cache), or returns null when {@code request} is not over tensor datasets.
   */
  public static TensorCache of(SparkSession spark, GradientsRequest request) {
    if (request.paired() == null || request.paired().tensors() == null) {
      return null;
    }
    PairedDataset p = request.paired();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<GradientsRequest> br = jsc.broadcast(request);
    HadoopConf hadoop = HadoopConf.broadcast(spark);
    long all = p.size();
    JavaPairRDD<Long, IndexedTensor> xs = TensorPass.keyed(TensorDatasets.read(spark, request.input(),
        p.tensors().input(), hadoop, request.partitions()), IndexedTensor.INPUT, br, 0, all);
    JavaPairRDD<Long, IndexedTensor> ys = TensorPass.keyed(TensorDatasets.read(spark, request.outputSideFile(),
        p.tensors().target(), hadoop, request.partitions()), IndexedTensor.TARGET, br, 0, all);
    JavaPairRDD<Long, IndexedTensor> keyed = xs.union(ys);
    keyed.persist(StorageLevel.MEMORY_AND_DISK());
    return new TensorCache(br, keyed);
  }

  /** The cached records of indexes {@code [first, first + count)}, both sides. */
  JavaPairRDD<Long, IndexedTensor> range(long first, long count) {
    long from = IndexedTensor.key(first, IndexedTensor.INPUT);
    long to = IndexedTensor.key(first + count, IndexedTensor.INPUT);
    return records.filter(t -> t._1() >= from && t._1() < to);
  }

  /** Drops the cached blocks and the broadcast request. */
  @Override
  public void close() {
    records.unpersist(false);
    request.destroy();
  }
}

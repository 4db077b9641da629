package io.convt.job.infer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * The {@code index} output column: each record's position in the job's input, so {@code ORDER BY index} gives the
 * input order (ids are strings: {@code ORDER BY id} sorts {@code #10} before {@code #2}). {@code .npy} stacks give
 * the record's position in the stack and image directories the file's position in the sorted listing (both set by
 * the reader). A Parquet input that has an {@code index} column keeps it, so chained layers keep the first input's
 * numbering; so does an Arrow input whose every file has an integer {@code index} column ({@link #forArrow}: a
 * previous convt Arrow output). Other Parquet and Arrow inputs are numbered in Spark's read order by
 * {@link #inReadOrder}. A kept index is carried as it is (not checked for uniqueness), as the input's own numbering.
 */
final class RecordIndexes {
  private RecordIndexes() {}

  /** Numbers records 0.. in the RDD's order (Spark's {@code zipWithIndex}: one extra pass to count partitions). */
  static JavaRDD<InputRecord> inReadOrder(JavaRDD<InputRecord> records) {
    return records.zipWithIndex().map(t -> t._1().withIndex(t._2()));
  }

  /**
   * An Arrow input's records: with their own {@code index} when every file of {@code items} has an integer
   * {@code index} column ({@link ArrowInputs#indexed}), else numbered in read order (with a note when only some
   * files have one, so the mix is not silently renumbered).
   */
  static JavaRDD<InputRecord> forArrow(JavaRDD<InputRecord> records, List<InputItem> items, Configuration hadoop,
      List<String> notes) {
    int indexed = 0;
    for (InputItem item : items) {
      if (ArrowInputs.indexed(item.path(), hadoop)) {
        indexed++;
      }
    }
    if (indexed == items.size() && indexed > 0) {
      return records;
    }
    if (indexed > 0) {
      notes.add(indexed + " of " + items.size() + " Arrow input files have an index column, the others not: "
          + "records were renumbered in read order");
    }
    return inReadOrder(records);
  }

  /**
   * Numbers records by their id's position in {@code items} (the driver's sorted listing of the files), for
   * readers that do not keep the listing's order (Spark's image source).
   */
  static JavaRDD<InputRecord> byListing(JavaSparkContext jsc, JavaRDD<InputRecord> records, List<InputItem> items) {
    Map<String, Long> positions = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      positions.put(RecordIds.canonical(items.get(i).path()), (long) i);
    }
    Broadcast<Map<String, Long>> byId = jsc.broadcast(positions);
    return records.map(r -> {
      r.setIndex(byId.value().get(r.getId()));
      return r;
    });
  }
}

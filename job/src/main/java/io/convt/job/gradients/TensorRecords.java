package io.convt.job.gradients;

import io.convt.job.infer.InputRecord;
import java.util.Arrays;
import java.util.Iterator;

/**
 * Executor side of a tensor dataset pass, with no Spark in it: keys each record read by Spark with its global index
 * ({@link PairedDataset#indexOf}), and hands a task its slice's tensors in key order, checking that every record
 * listed by the driver arrives exactly once with the shape it was listed with (a dataset changed during the run
 * fails naming the record, it does not silently change the sum).
 */
final class TensorRecords {
  private TensorRecords() {}

  /**
   * The keyed tensor of a record read from one side of the pair, or null when the record is not one of the paired
   * records of {@code [first, first + count)} (unpaired or quarantined ids, records of other steps).
   *
   * @throws IllegalArgumentException naming the dataset and record when it could not be read or is misshapen
   */
  static IndexedTensor keyed(InputRecord r, int side, GradientsRequest request, long first, long count) {
    PairedDataset p = request.paired();
    String dataset = dataset(side, request);
    if (r.getError() != null) {
      throw new IllegalArgumentException("Cannot read " + dataset + ": " + r.getId() + ": " + r.getError());
    }
    if (r.getId() == null) {
      throw new IllegalArgumentException("Cannot read " + dataset + ": a record has a null id");
    }
    int index = p.indexOf(r.getId());
    if (index < first || index >= first + count) {
      return null; // also index -1: not a paired record
    }
    int[] want = side == IndexedTensor.INPUT ? p.inputShape() : p.outputShape();
    long elements = (long) want[0] * want[1] * want[2];
    if (!Arrays.equals(r.getShape(), want) || r.getData() == null || r.getData().length != elements) {
      throw new IllegalArgumentException("Cannot compute gradients: record " + r.getId() + " of " + dataset
          + " has shape " + Arrays.toString(r.getShape()) + " and " + (r.getData() == null ? "no" : r.getData().length)
          + " values; it was listed with shape " + Arrays.toString(want) + " (" + elements + " values)"
          + " (was the dataset changed during the run?)");
    }
    return new IndexedTensor(IndexedTensor.key(index, side), r.getId(), r.getData());
  }

  /**
   * The next tensor of {@code sorted}, which must be record {@code index}'s {@code side}.
   *
   * @throws IllegalArgumentException naming the record when it is missing or repeated
   */
  static float[] take(Iterator<IndexedTensor> sorted, long index, int side, PairedDataset paired,
      GradientsRequest request, int elements) {
    long want = IndexedTensor.key(index, side);
    String id = paired.pairs().get((int) index).id();
    if (!sorted.hasNext()) {
      throw missing(id, side, request);
    }
    IndexedTensor t = sorted.next();
    if (t.key() > want) {
      throw missing(id, side, request);
    }
    if (t.key() < want) {
      throw new IllegalArgumentException("Cannot compute gradients: " + dataset(t.side(), request) + " has more "
          + "than one record with id " + t.id() + " (was the dataset changed during the run?)");
    }
    if (t.data().length != elements) {
      throw new IllegalArgumentException("Cannot compute gradients: record " + id + " of " + dataset(side, request)
          + " has " + t.data().length + " values, expected " + elements);
    }
    return t.data();
  }

  /** Fails when a tensor is left after the slice's last record: a record arrived twice. */
  static void requireEnd(Iterator<IndexedTensor> sorted, GradientsRequest request) {
    if (sorted.hasNext()) {
      IndexedTensor t = sorted.next();
      throw new IllegalArgumentException("Cannot compute gradients: " + dataset(t.side(), request) + " has more "
          + "than one record with id " + t.id() + " (was the dataset changed during the run?)");
    }
  }

  private static IllegalArgumentException missing(String id, int side, GradientsRequest request) {
    return new IllegalArgumentException("Cannot compute gradients: record " + id + " of " + dataset(side, request)
        + " was listed before the run but not read by it (was the dataset changed during the run?)");
  }

  private static String dataset(int side, GradientsRequest request) {
    return side == IndexedTensor.INPUT ? "--input " + request.input()
        : request.outputSideFlag() + " " + request.outputSideFile();
  }
}

package io.convt.job.infer;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.ImageCodec;
import io.convt.engine.layer.Layer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.TaskContext;
import org.apache.spark.util.LongAccumulator;

/**
 * Executor side of {@code infer}: streams a partition's records through the kernel in bounded Arrow batches of
 * one shape ({@code batch.size} images), quarantining bad records with their reason. Lazy: it pulls the next batch
 * only when the previous outputs are consumed, so a task's memory does not grow with the partition. The Arrow
 * allocator belongs to the task and is closed when the task ends, whether it succeeded or failed.
 *
 * <p>Good records are views of the kernel's output batch ({@link OutputImages}), not arrays: the batch stays open
 * while its records are handed out and is closed when the consumer asks for more after its last one, so a consumer
 * must write (copy) each record before calling {@link #hasNext()} again, as the job's writers do.
 */
final class InferPartition implements Iterator<OutputRecord> {
  private final Iterator<InputRecord> in;
  private final Layer layer;
  private final InferSettings settings;
  private final LongAccumulator done;
  private final QuarantineSink quarantine;
  private final java.util.Map<String, LongAccumulator> counters;
  private final Deque<OutputRecord> ready = new ArrayDeque<>();
  private InputRecord lookahead;
  /** Records checked so far in this partition (names a record without an id). */
  private long seen;
  private BufferAllocator allocator;
  /** The output batch the records in {@link #ready} read from; closed once they are all consumed. */
  private OutputImages outputs;

  /**
   * @param quarantine where bad records go (they are not emitted downstream)
   * @param counters one accumulator per outcome ({@code ok} and each quarantine reason); updated in the action's
   *     result tasks, so Spark applies each successful task's counts exactly once
   */
  InferPartition(Iterator<InputRecord> in, Layer layer, InferSettings settings, LongAccumulator done,
      QuarantineSink quarantine, java.util.Map<String, LongAccumulator> counters) {
    this.in = in;
    this.layer = layer;
    this.settings = settings;
    this.done = done;
    this.quarantine = quarantine;
    this.counters = counters;
  }

  @Override
  public boolean hasNext() {
    while (ready.isEmpty() && (lookahead != null || in.hasNext())) {
      releaseOutputs(); // the consumer is past the last record of the batch
      fill();
    }
    if (ready.isEmpty()) {
      releaseOutputs();
      closeAllocator();
      quarantine.close();
    }
    return !ready.isEmpty();
  }

  @Override
  public OutputRecord next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.poll();
  }

  /** Collects up to batch.size good records of one shape (quarantining bad ones on the way) and runs them. */
  private void fill() {
    List<InputRecord> batch = new ArrayList<>();
    while (batch.size() < settings.batchSize() && (lookahead != null || in.hasNext())) {
      InputRecord r = lookahead != null ? lookahead : in.next();
      lookahead = null;
      OutputRecord bad = check(r);
      if (bad != null) {
        bad.withRecordIndex(r.getIndex());
        quarantine(bad);
        continue;
      }
      if (!batch.isEmpty() && !Arrays.equals(batch.get(0).getShape(), r.getShape())) {
        lookahead = r; // a new shape starts the next batch
        break;
      }
      batch.add(r);
    }
    if (!batch.isEmpty()) {
      run(batch);
    }
  }

  private OutputRecord check(InputRecord r) {
    seen++;
    if (r.getId() == null) { // a tensor dataset row without an id: never written out under a null id
      TaskContext task = TaskContext.get();
      return OutputRecord.quarantined("(null id: partition " + (task == null ? 0 : task.partitionId()) + ", row "
          + (seen - 1) + ")", "shape", "the record's id is null");
    }
    if (r.getError() != null) {
      return OutputRecord.quarantined(r.getId(), r.getReason() == null ? "unreadable" : r.getReason(), r.getError());
    }
    int[] s = r.getShape();
    if (s == null || s.length != 3 || r.getData() == null || (long) s[0] * s[1] * s[2] != r.getData().length) {
      return OutputRecord.quarantined(r.getId(), "shape", "shape " + Arrays.toString(s) + " does not match "
          + (r.getData() == null ? 0 : r.getData().length) + " values");
    }
    if (s[0] != layer.inputChannels()) {
      return OutputRecord.quarantined(r.getId(), "channels", "has " + s[0] + " channels, the weights expect "
          + layer.inputChannels());
    }
    try {
      layer.outputShape(s[1], s[2]);
    } catch (IllegalArgumentException e) {
      return OutputRecord.quarantined(r.getId(), "shape", e.getMessage());
    }
    if (!settings.nanPolicy().equals("pass")) {
      int bad = ImageCodec.firstNonFinite(r.getData());
      if (bad >= 0) {
        return OutputRecord.quarantined(r.getId(), "non_finite", "value " + bad + " is " + r.getData()[bad]);
      }
    }
    return null;
  }

  private void quarantine(OutputRecord bad) {
    if (settings.failFast() || (bad.getReason().equals("non_finite") && settings.nanPolicy().equals("fail"))) {
      throw new IllegalArgumentException("Bad record " + bad.getId() + " (" + bad.getReason() + "): " + bad.getDetail());
    }
    quarantine.write(bad);
    counters.get(bad.getReason()).add(1);
    done.add(1);
  }

  private void run(List<InputRecord> batch) {
    int[] s = batch.get(0).getShape();
    BufferAllocator alloc = allocator();
    try (ImageBatch src = ImageBatch.allocate(alloc, batch.size(), s[1], s[2], s[0])) {
      for (int i = 0; i < batch.size(); i++) {
        src.writeCHW(i, batch.get(i).getData());
      }
      outputs = new OutputImages(layer.apply(alloc, src));
      for (int i = 0; i < batch.size(); i++) {
        ready.add(OutputRecord.ok(batch.get(i).getId(), outputs, i).withRecordIndex(batch.get(i).getIndex()));
      }
    }
    counters.get(OutputRecord.OK).add(batch.size());
    done.add(batch.size());
  }

  private BufferAllocator allocator() {
    if (allocator == null) {
      allocator = new RootAllocator();
      TaskContext ctx = TaskContext.get();
      if (ctx != null) {
        // also runs when the task fails or is killed
        ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> {
          releaseOutputs();
          closeAllocator();
        });
      }
    }
    return allocator;
  }

  private void releaseOutputs() {
    if (outputs != null) {
      outputs.close();
      outputs = null;
    }
  }

  private void closeAllocator() {
    if (allocator != null) {
      allocator.close();
      allocator = null;
    }
  }
}

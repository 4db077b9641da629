package io.convt.engine.train;

/**
 * Which records each optimizer step covers: epochs over {@code records} records in mini-batches of {@code batch}
 * consecutive records (the last one of an epoch may be shorter), one step per batch. A step's records depend only
 * on its index, so a resumed run takes exactly the steps an uninterrupted one would.
 *
 * @param records records in the dataset
 * @param batch records per step (at most {@code records})
 * @param epochs passes over the data
 */
public record TrainingSchedule(int records, int batch, int epochs) {
  public TrainingSchedule {
    if (records < 1 || batch < 1 || batch > records || epochs < 1) {
      throw new IllegalArgumentException("Cannot schedule training: need records >= 1, 1 <= batch <= records and "
          + "epochs >= 1 (" + records + ", " + batch + ", " + epochs + ")");
    }
  }

  /** One step: its 0-based index, 0-based epoch and records {@code [first, first + count)}. */
  public record Step(long index, int epoch, long first, int count) {}

  /** Steps in one epoch. */
  public long stepsPerEpoch() {
    return (records + batch - 1) / batch;
  }

  /** Steps in the whole run. */
  public long totalSteps() {
    return stepsPerEpoch() * epochs;
  }

  /** Step {@code index} (0-based). */
  public Step step(long index) {
    if (index < 0 || index >= totalSteps()) {
      throw new IllegalArgumentException("Cannot take step " + index + ": the run has steps 0.." + (totalSteps() - 1));
    }
    long perEpoch = stepsPerEpoch();
    long first = (index % perEpoch) * batch;
    return new Step(index, (int) (index / perEpoch), first, (int) Math.min(batch, records - first));
  }
}

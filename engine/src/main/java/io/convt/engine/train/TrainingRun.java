package io.convt.engine.train;

import io.convt.engine.ConvTransposeDescriptor;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Everything that defines a training run's bits: the layer (descriptor, initial weights), the loss, the optimizer,
 * the schedule, and how often it checkpoints and where it stops. Plus what the run summary says about where it
 * ran ({@code summaryExtras}, e.g. the job's partitions and dataset counts) and the layer's settings.
 *
 * @param descriptor the layer's descriptor (its data source carries the weights through training)
 * @param label the data source's label
 * @param initialWeightsMps starting weights, MPS layout
 * @param initialBias starting bias, or null for a layer without one
 * @param weights shape of the weights and layout of the written file
 * @param loss loss and reduction
 * @param optimizer update rule and hyper-parameters
 * @param schedule which records each step covers
 * @param elementsPerRecord output elements of one record (a mean divides by this times the step's records)
 * @param checkpointEvery write a checkpoint every this many steps (and after the last)
 * @param maxSteps stop after this many steps in total (0 = no limit), e.g. to split a run
 * @param summaryExtras entries the run summary lists after the run parameters (may be empty)
 * @param layerSettings the summary's {@code layer} entry (e.g. {@code LayerSpec.describe()}; may be empty)
 */
public record TrainingRun(ConvTransposeDescriptor descriptor, String label, float[] initialWeightsMps,
    float[] initialBias, TrainedWeights weights, Loss loss, TrainingOptimizer.Settings optimizer,
    TrainingSchedule schedule, long elementsPerRecord, int checkpointEvery, long maxSteps,
    Map<String, Object> summaryExtras, Map<String, Object> layerSettings) {
  public TrainingRun {
    Objects.requireNonNull(descriptor, "descriptor");
    Objects.requireNonNull(initialWeightsMps, "initialWeightsMps");
    Objects.requireNonNull(weights, "weights");
    Objects.requireNonNull(loss, "loss");
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(schedule, "schedule");
    summaryExtras = summaryExtras == null ? Map.of() : new LinkedHashMap<>(summaryExtras);
    layerSettings = layerSettings == null ? Map.of() : new LinkedHashMap<>(layerSettings);
    if (initialWeightsMps.length != weights.count()) {
      throw new IllegalArgumentException("Cannot train: " + initialWeightsMps.length + " weights given for a layer of "
          + weights.count());
    }
    if (initialBias != null && initialBias.length != weights.outputChannels()) {
      throw new IllegalArgumentException("Cannot train: " + initialBias.length + " bias values for "
          + weights.outputChannels() + " output channels");
    }
    if (elementsPerRecord < 1 || checkpointEvery < 1 || maxSteps < 0) {
      throw new IllegalArgumentException("Cannot train: elements per record >= 1, --checkpoint-every >= 1 and "
          + "--max-steps >= 0 are required (" + elementsPerRecord + ", " + checkpointEvery + ", " + maxSteps + ")");
    }
  }

  /**
   * The run parameters a checkpoint records and a resume must match: {@code optimizer}, {@code records},
   * {@code batch_size} and {@code loss}.
   */
  public Map<String, String> metadata() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("optimizer", optimizer.kind().name().toLowerCase(Locale.ROOT));
    m.put("records", Integer.toString(schedule.records()));
    m.put("batch_size", Integer.toString(schedule.batch()));
    m.put("loss", loss.toString());
    return m;
  }

  /** The step this run stops after: the schedule's last, or {@code maxSteps} when it is smaller. */
  public long stopAfter() {
    long total = schedule.totalSteps();
    return maxSteps == 0 ? total : Math.min(total, maxSteps);
  }

  /** Bias values (0 for a layer without bias). */
  public int biasLength() {
    return initialBias == null ? 0 : initialBias.length;
  }
}

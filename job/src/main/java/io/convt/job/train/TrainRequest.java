package io.convt.job.train;

import io.convt.engine.train.Loss;
import io.convt.engine.train.TrainingOptimizer;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A validated training run: data-parallel epochs over {@code (input, target)} records in mini-batches of
 * {@code batchSize} consecutive records (the last one of an epoch may be shorter), one optimizer step per batch.
 *
 * @param input {@code [N, Cin, H, W]} float32 .npy, or an image directory, file or glob (a Hadoop path string)
 * @param target {@code [N, Cout, H', W']} float32 .npy, or an image dataset paired with {@code input} by id
 * @param loss loss and reduction (mean is over the mini-batch's output elements)
 * @param optimizer update rule and hyper-parameters
 * @param epochs passes over the data
 * @param batchSize records per step (0 = all records, one step per epoch)
 * @param partitions Spark partitions per step
 * @param outputDir final weights, loss curve and run summary: a directory path or URI on any Hadoop file system
 * @param checkpointDir where {@code checkpoint.safetensors} lives (any Hadoop file system; default
 *     {@code OUTPUT/checkpoints})
 * @param checkpointEvery write a checkpoint every this many steps (and after the last)
 * @param resume continue from the checkpoint when there is one
 * @param maxSteps stop after this many steps in total (0 = no limit), e.g. to split a run
 * @param recursive image datasets: read subdirectories too
 * @param quarantineUnpaired image datasets: leave unpaired and duplicate records out instead of failing
 */
public record TrainRequest(String input, String target, Loss loss, TrainingOptimizer.Settings optimizer, int epochs,
    int batchSize, int partitions, String outputDir, String checkpointDir, int checkpointEvery, boolean resume,
    long maxSteps, boolean recursive, boolean quarantineUnpaired) {
  public TrainRequest {
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(loss, "loss");
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(outputDir, "outputDir");
    checkpointDir = checkpointDir == null ? new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(outputDir),
        "checkpoints").toString() : checkpointDir;
    if (epochs < 1) {
      throw new IllegalArgumentException("Cannot train: --epochs must be >= 1 (" + epochs + ")");
    }
    if (batchSize < 0 || partitions < 1 || checkpointEvery < 1 || maxSteps < 0) {
      throw new IllegalArgumentException("Cannot train: --batch-size >= 0, --partitions >= 1, --checkpoint-every >= 1"
          + " and --max-steps >= 0 are required (" + batchSize + ", " + partitions + ", " + checkpointEvery + ", "
          + maxSteps + ")");
    }
  }

  /** A request over local files, without dataset options. */
  public TrainRequest(Path input, Path target, Loss loss, TrainingOptimizer.Settings optimizer, int epochs,
      int batchSize, int partitions, Path outputDir, Path checkpointDir, int checkpointEvery, boolean resume,
      long maxSteps) {
    this(Objects.requireNonNull(input, "input").toString(), Objects.requireNonNull(target, "target").toString(),
        loss, optimizer, epochs, batchSize, partitions, Objects.requireNonNull(outputDir, "outputDir").toString(),
        checkpointDir == null ? null : checkpointDir.toString(), checkpointEvery, resume, maxSteps, false, false);
  }

  /** A request with local output paths. */
  public TrainRequest(String input, String target, Loss loss, TrainingOptimizer.Settings optimizer, int epochs,
      int batchSize, int partitions, Path outputDir, Path checkpointDir, int checkpointEvery, boolean resume,
      long maxSteps, boolean recursive, boolean quarantineUnpaired) {
    this(input, target, loss, optimizer, epochs, batchSize, partitions,
        Objects.requireNonNull(outputDir, "outputDir").toString(), checkpointDir == null ? null
            : checkpointDir.toString(), checkpointEvery, resume, maxSteps, recursive, quarantineUnpaired);
  }

  /** Records per step for a dataset of {@code records}. */
  public int batchFor(int records) {
    return batchSize == 0 ? records : Math.min(batchSize, records);
  }

  /** This request with another step limit and resume flag (e.g. to continue an interrupted run). */
  public TrainRequest continuing(long newMaxSteps, boolean newResume) {
    return new TrainRequest(input, target, loss, optimizer, epochs, batchSize, partitions, outputDir, checkpointDir,
        checkpointEvery, newResume, newMaxSteps, recursive, quarantineUnpaired);
  }
}

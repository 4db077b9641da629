package io.convt.job.gradients;

import io.convt.engine.train.Loss;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One validated gradient pass over a dataset: the input stack and either upstream gradients or targets with a
 * loss. Paths are kept as strings so the request serialises to executors.
 *
 * @param input {@code [N, Cin, H, W]} float32 .npy, or an image directory, file or glob (any Hadoop file system)
 * @param gradOutput {@code [N, Cout, H', W']} upstream gradient dL/dY, or null (then {@code target} and
 *     {@code loss} are set)
 * @param target {@code [N, Cout, H', W']} targets, or null
 * @param loss the loss for targets, or null
 * @param partitions Spark partitions for the records
 * @param gradInputDir directory for per-partition dL/dX stacks, or null
 * @param recursive image datasets: read subdirectories too (ids keep the relative path)
 * @param quarantineUnpaired image datasets: leave unpaired and duplicate records out, counted, instead of failing
 * @param paired the resolved image pairs ({@link PairedDataset#resolve}), or null for {@code .npy} stacks read in
 *     index order
 */
public record GradientsRequest(String input, String gradOutput, String target, Loss loss, int partitions,
    String gradInputDir, boolean recursive, boolean quarantineUnpaired, PairedDataset paired)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public GradientsRequest {
    Objects.requireNonNull(input, "input");
    if ((gradOutput == null) == (target == null)) {
      throw new IllegalArgumentException("Cannot compute gradients: give exactly one of --grad-output or --target");
    }
    if (target != null && loss == null) {
      throw new IllegalArgumentException("Cannot compute gradients: --target needs --loss mse|l1");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("Cannot compute gradients: --partitions must be >= 1 (" + partitions + ")");
    }
  }

  /** A request over {@code .npy} stacks or not yet resolved datasets, without dataset options. */
  public GradientsRequest(String input, String gradOutput, String target, Loss loss, int partitions,
      String gradInputDir) {
    this(input, gradOutput, target, loss, partitions, gradInputDir, false, false, null);
  }

  /** Whether both sides are {@code .npy} stacks (read by index, no pairing). */
  public boolean isNpy() {
    return PairedDataset.isNpy(input) && PairedDataset.isNpy(outputSideFile());
  }

  /** This request with the dataset options of {@code --recursive} and {@code --quarantine-unpaired}. */
  public GradientsRequest withDatasetOptions(boolean newRecursive, boolean newQuarantine) {
    return new GradientsRequest(input, gradOutput, target, loss, partitions, gradInputDir, newRecursive,
        newQuarantine, paired);
  }

  /** This request reading the resolved pairs. */
  public GradientsRequest withPaired(PairedDataset resolved) {
    return new GradientsRequest(input, gradOutput, target, loss, partitions, gradInputDir, recursive,
        quarantineUnpaired, resolved);
  }

  /** A request with upstream gradients. */
  public static GradientsRequest withGradOutput(Path input, Path gradOutput, int partitions) {
    return withGradOutput(input.toString(), gradOutput.toString(), partitions);
  }

  /** A request with upstream gradients; paths may be Hadoop URIs ({@code hdfs://...}). */
  public static GradientsRequest withGradOutput(String input, String gradOutput, int partitions) {
    return new GradientsRequest(input, gradOutput, null, null, partitions, null);
  }

  /** A request with targets and a loss. */
  public static GradientsRequest withTarget(Path input, Path target, Loss loss, int partitions) {
    return withTarget(input.toString(), target.toString(), loss, partitions);
  }

  /** A request with targets and a loss; paths may be Hadoop URIs ({@code hdfs://...}). */
  public static GradientsRequest withTarget(String input, String target, Loss loss, int partitions) {
    return new GradientsRequest(input, null, target, loss, partitions, null);
  }

  /** This request writing dL/dX stacks under {@code dir}. */
  public GradientsRequest writingGradInput(Path dir) {
    return withGradInputDir(dir == null ? null : dir.toString());
  }

  /** This request writing dL/dX stacks under {@code dir}, a local path or a Hadoop URI (null: none). */
  public GradientsRequest withGradInputDir(String dir) {
    return new GradientsRequest(input, gradOutput, target, loss, partitions, dir, recursive, quarantineUnpaired,
        paired);
  }

  /** The file holding per-record output-side data (gradients or targets). */
  public String outputSideFile() {
    return gradOutput != null ? gradOutput : target;
  }

  /** The flag naming {@link #outputSideFile()}. */
  public String outputSideFlag() {
    return gradOutput != null ? "--grad-output" : "--target";
  }
}

package io.convt.job.gradients;

import io.convt.engine.train.Loss;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One validated gradient pass over a dataset: the input stack and either upstream gradients or targets with a
 * loss. Paths are kept as strings so the request serialises to executors.
 *
 * @param input {@code [N, Cin, H, W]} float32 .npy
 * @param gradOutput {@code [N, Cout, H', W']} upstream gradient dL/dY, or null (then {@code target} and
 *     {@code loss} are set)
 * @param target {@code [N, Cout, H', W']} targets, or null
 * @param loss the loss for targets, or null
 * @param partitions Spark partitions for the records
 * @param gradInputDir directory for per-partition dL/dX stacks, or null
 */
public record GradientsRequest(String input, String gradOutput, String target, Loss loss, int partitions,
    String gradInputDir) implements Serializable {
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

  /** A request with upstream gradients. */
  public static GradientsRequest withGradOutput(Path input, Path gradOutput, int partitions) {
    return new GradientsRequest(input.toString(), gradOutput.toString(), null, null, partitions, null);
  }

  /** A request with targets and a loss. */
  public static GradientsRequest withTarget(Path input, Path target, Loss loss, int partitions) {
    return new GradientsRequest(input.toString(), null, target.toString(), loss, partitions, null);
  }

  /** This request writing dL/dX stacks under {@code dir}. */
  public GradientsRequest writingGradInput(Path dir) {
    return new GradientsRequest(input, gradOutput, target, loss, partitions, dir == null ? null : dir.toString());
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

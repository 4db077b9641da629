package io.convt.engine.train;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * A regression loss between a layer's output {@code y} and a target {@code t}, with its gradient with respect to
 * {@code y} (what the gradient kernel takes as {@code dE}).
 *
 * <pre>
 * MSE  element loss (y − t)²     element gradient 2·(y − t)
 * L1   element loss |y − t|      element gradient sign(y − t)   (0 where y = t, as PyTorch)
 * </pre>
 *
 * <p>Reductions: {@link LossReduction#SUM} is the sum of the element losses; {@link LossReduction#MEAN} divides
 * that sum by the number of output elements of the <em>whole dataset</em> (records × channels × height × width),
 * exactly as PyTorch's {@code mse_loss(y, t)} over the whole stack as one batch. A distributed run therefore works
 * in sums everywhere: every record contributes its element-loss sum and the gradient of the summed loss, partial
 * sums are combined reproducibly, and only at the very end does {@link #reduce} divide the loss and
 * {@link #finishGradient} divide the parameter gradients by the global element count. Dividing once at the end,
 * rather than scaling each record's gradient by 1/count, keeps records independent of how many there are.
 *
 * <p>Non-finite values (NaN or infinity in the output, the target or the loss) are rejected with an
 * {@link IllegalArgumentException} naming the record, so a broken batch can never reach an optimizer.
 */
public final class Loss implements Serializable {
  private static final long serialVersionUID = 1L;
  private final LossKind kind;
  private final LossReduction reduction;

  /** A loss of {@code kind} reduced by {@code reduction}. */
  public Loss(LossKind kind, LossReduction reduction) {
    this.kind = Objects.requireNonNull(kind, "kind");
    this.reduction = Objects.requireNonNull(reduction, "reduction");
  }

  /**
   * Parses CLI words: {@code mse}|{@code l1} and {@code mean}|{@code sum}.
   *
   * @throws IllegalArgumentException naming the accepted words
   */
  public static Loss parse(String kind, String reduction) {
    return new Loss(LossKind.parse(kind), LossReduction.parse(reduction));
  }

  public LossKind kind() {
    return kind;
  }

  public LossReduction reduction() {
    return reduction;
  }

  /**
   * The sum of the element losses of one record, accumulated in double in element order.
   *
   * @param what the record's name for messages (e.g. {@code "record 17 of target.npy"})
   * @throws IllegalArgumentException when lengths differ or a value or the result is not finite
   */
  public double sumValue(float[] output, float[] target, String what) {
    checkLengths(output, target, what);
    double sum = 0;
    for (int i = 0; i < output.length; i++) {
      sum += elementLoss(output[i], target[i], i, what);
    }
    return checkedSum(sum, what);
  }

  /**
   * The sum of the element losses of one record, and the gradient of that sum with respect to the output written
   * to {@code gradOutput} (same length). The gradient is of the <em>summed</em> loss; {@link #finishGradient}
   * applies the mean's division once the global count is known.
   *
   * @throws IllegalArgumentException when lengths differ or a value or the result is not finite
   */
  public double sumValueAndGradient(float[] output, float[] target, float[] gradOutput, String what) {
    checkLengths(output, target, what);
    if (gradOutput.length != output.length) {
      throw new IllegalArgumentException("Cannot compute loss gradient of " + what + ": gradient buffer has "
          + gradOutput.length + " values, output " + output.length);
    }
    double sum = 0;
    for (int i = 0; i < output.length; i++) {
      sum += elementLoss(output[i], target[i], i, what);
      float diff = output[i] - target[i];
      float g = kind == LossKind.MSE ? 2f * diff : Math.signum(diff);
      if (!Float.isFinite(g)) {
        throw new IllegalArgumentException("Cannot compute " + kind.word() + " loss gradient of " + what
            + ": element " + i + " overflows float (output " + output[i] + ", target " + target[i] + ")");
      }
      gradOutput[i] = g;
    }
    return checkedSum(sum, what);
  }

  /**
   * The reported loss from the dataset's total element-loss sum: the sum itself, or divided by {@code elements}.
   *
   * @param elements output elements of the whole dataset
   * @throws IllegalArgumentException when {@code elements} ≤ 0 or the total is not finite
   */
  public double reduce(double sum, long elements) {
    checkElements(elements);
    if (!Double.isFinite(sum)) {
      throw new IllegalArgumentException("Cannot reduce " + this + ": the loss sum is not finite (" + sum + ")");
    }
    return reduction == LossReduction.SUM ? sum : sum / elements;
  }

  /**
   * Turns a gradient of the summed loss into the gradient of this loss, in place: unchanged for SUM, each value
   * divided by {@code elements} for MEAN (a float division by the exactly-rounded count, the same on every JVM).
   *
   * @throws IllegalArgumentException when {@code elements} ≤ 0
   */
  public void finishGradient(float[] gradient, long elements) {
    checkElements(elements);
    if (reduction == LossReduction.SUM || gradient == null) {
      return;
    }
    float n = (float) elements;
    for (int i = 0; i < gradient.length; i++) {
      gradient[i] = gradient[i] / n;
    }
  }

  private double elementLoss(float y, float t, int index, String what) {
    if (!Float.isFinite(y) || !Float.isFinite(t)) {
      throw new IllegalArgumentException("Cannot compute " + kind.word() + " loss of " + what + ": "
          + (Float.isFinite(y) ? "target" : "output") + " element " + index + " is not finite (output " + y
          + ", target " + t + ")");
    }
    double diff = (double) y - (double) t;
    return kind == LossKind.MSE ? diff * diff : Math.abs(diff);
  }

  private double checkedSum(double sum, String what) {
    if (!Double.isFinite(sum)) {
      throw new IllegalArgumentException("Cannot compute " + kind.word() + " loss of " + what
          + ": the loss is not finite (" + sum + ")");
    }
    return sum;
  }

  private static void checkLengths(float[] output, float[] target, String what) {
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(target, "target");
    if (output.length != target.length) {
      throw new IllegalArgumentException("Cannot compute loss of " + what + ": output has " + output.length
          + " values, target " + target.length);
    }
  }

  private static void checkElements(long elements) {
    if (elements <= 0) {
      throw new IllegalArgumentException("Cannot reduce loss: element count must be > 0 (" + elements + ")");
    }
  }

  @Override
  public String toString() {
    return kind.word() + "/" + reduction.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Loss && ((Loss) o).kind == kind && ((Loss) o).reduction == reduction;
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + reduction.hashCode();
  }
}

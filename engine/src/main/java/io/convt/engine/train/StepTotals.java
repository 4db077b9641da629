package io.convt.engine.train;

import java.util.Objects;

/**
 * What a {@link GradientSource} returns for a range of records: the gradients of the <em>summed</em> loss (before
 * any mean division) and the exact loss sum.
 *
 * @param weightGradient {@code [Cout][kH][kW][Cin/g]} (MPS layout)
 * @param biasGradient {@code [Cout]}
 * @param loss exact sum of the records' element-loss sums
 */
public record StepTotals(float[] weightGradient, float[] biasGradient, LossSum loss) {
  public StepTotals {
    Objects.requireNonNull(weightGradient, "weightGradient");
    Objects.requireNonNull(biasGradient, "biasGradient");
    Objects.requireNonNull(loss, "loss");
  }
}

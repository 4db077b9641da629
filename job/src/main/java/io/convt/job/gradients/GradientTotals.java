package io.convt.job.gradients;

import io.convt.engine.train.LossSum;

/**
 * The merged result of a gradient pass: gradients of the <em>summed</em> loss (or of {@code Σ⟨dY, Y⟩} for upstream
 * gradients), MPS layout, before any mean division.
 *
 * @param weightGradient {@code [Cout][kH][kW][Cin/g]}
 * @param biasGradient {@code [Cout]}
 * @param loss exact sum of the records' element-loss sums (empty when upstream gradients were given)
 * @param records records covered
 * @param passSeconds wall time of the whole pass (broadcast, tasks, collect, merge)
 * @param reduceSeconds wall time of the driver's ordered merge of the collected partials
 * @param partialBytes serialized size of the partials the tasks sent to the driver
 */
public record GradientTotals(float[] weightGradient, float[] biasGradient, LossSum loss, long records,
    double passSeconds, double reduceSeconds, long partialBytes) {}

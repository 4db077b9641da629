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
 * @param passSeconds wall time of the whole pass (broadcast, tasks, reduction, collect)
 * @param reduceSeconds wall time from the end of the gradient stage to the root's result on the driver (the
 *     executors' tree reduction), NaN if Spark did not report the stage's end
 * @param partialBytes shuffle bytes the gradient tasks wrote (their partial sums, input of the reduction)
 * @param driverBytes serialized task-result bytes the driver received in the pass (Spark's {@code resultSize},
 *     every attempt), split into gradient data and Spark's task status; null if the listener events did not arrive
 *     in time
 * @param reduceRounds shuffle rounds of the tree reduction
 */
public record GradientTotals(float[] weightGradient, float[] biasGradient, LossSum loss, long records,
    double passSeconds, double reduceSeconds, long partialBytes, DriverBytes driverBytes, int reduceRounds) {}

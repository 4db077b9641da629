package io.convt.engine.train;

import io.convt.engine.WeightsAndBiasesState;

/**
 * The one thing a {@link TrainingLoop} needs from whoever holds the data: the summed gradients and loss of records
 * {@code [first, first + count)} under given weights. The engine's {@link LocalGradientSource} computes them in this
 * JVM; the Spark job's source runs a distributed gradient pass. Either must be a pure function of (weights, range),
 * with the records summed in the {@link GradientAccumulator}'s fixed tree over the record index, so that a step's
 * result, and therefore a resumed run, keeps its bits wherever it is computed.
 */
@FunctionalInterface
public interface GradientSource {
  /**
   * The totals of records {@code [first, first + count)} under {@code weights}.
   *
   * @throws IllegalArgumentException naming the record and file when a record is bad (NaN, wrong shape)
   */
  StepTotals gradients(WeightsAndBiasesState weights, long first, int count);
}

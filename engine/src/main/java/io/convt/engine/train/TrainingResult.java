package io.convt.engine.train;

import java.util.Map;

/**
 * What a training run ended with.
 *
 * @param weightsMps final weights, MPS layout
 * @param bias final bias, or null
 * @param stepsDone steps completed in total (including those before a resume)
 * @param timeStep the optimizer's time step
 * @param firstLoss loss of this run's first step (NaN when it took none)
 * @param lastLoss loss of its last step (NaN when it took none)
 * @param summary the run summary as written ({@code run-summary.json})
 */
public record TrainingResult(float[] weightsMps, float[] bias, long stepsDone, long timeStep, double firstLoss,
    double lastLoss, Map<String, Object> summary) {}

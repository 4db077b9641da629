package io.convt.engine.train;

import io.convt.engine.GradientState;

/**
 * The reduced gradients of one step, handed to the data source's update hook as MPS hands a gradient state.
 *
 * @param gradientForWeights OHWI
 * @param gradientForBiases per output channel, or null
 */
public record StepGradients(float[] gradientForWeights, float[] gradientForBiases) implements GradientState {}

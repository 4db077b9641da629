package io.convt.engine;

/** The three passes a plan runs, each on the first backend of its list that handles it. */
public enum KernelPass {
  /** The transposed convolution itself (encode). */
  FORWARD,
  /** Gradient with respect to the source image. */
  BACKWARD_DATA,
  /** Gradient with respect to weights and bias. */
  BACKWARD_WEIGHTS
}

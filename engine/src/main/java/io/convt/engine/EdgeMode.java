package io.convt.engine;

/** {@code MPSImageEdgeMode}. Only ZERO is defined for the transposed convolution (spec §7.14). */
public enum EdgeMode {
  /** Reads outside the zero-inserted source give 0. */
  ZERO,
  /** Not specified by MPS for the transpose; rejected when set. */
  CLAMP
}

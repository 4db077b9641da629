package io.convt.engine;

/** {@code MPSNNConvolutionAccumulatorPrecisionOption}. */
public enum AccumulatorPrecision {
  /** Accumulate in float32 or better (the MPS default). */
  FLOAT,
  /** Emulate an fp16 accumulator: every multiply-accumulate is rounded to half precision (round to nearest even). */
  HALF
}

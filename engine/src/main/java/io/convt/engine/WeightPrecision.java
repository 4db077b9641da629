package io.convt.engine;

/**
 * How the kernel stores weights ({@code kernelWeightsDataType}). MPS stores fp16 unless both the data source and
 * the kernel weights data type are float32; a CPU has no reason to, so FLOAT32 is this engine's default and
 * FLOAT16 reproduces MPS's rounding (round to nearest even at load).
 */
public enum WeightPrecision {
  FLOAT32,
  FLOAT16
}

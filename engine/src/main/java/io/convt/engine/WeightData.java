package io.convt.engine;

import java.util.Objects;

/**
 * Weights as a data source delivers them (MPS's {@code void* weights}), in MPS layout {@code [Cout][kH][kW][Cin/g]},
 * typed by {@link DataType}. Exactly one of the arrays is set. Arrays are not copied: a data source publishes an
 * immutable snapshot and must not change it afterwards.
 */
public final class WeightData {
  private final DataType type;
  private final float[] float32;
  private final short[] float16;
  private final byte[] uint8;

  private WeightData(DataType type, float[] f32, short[] f16, byte[] u8) {
    this.type = type;
    this.float32 = f32;
    this.float16 = f16;
    this.uint8 = u8;
  }

  /** Float32 weights. */
  public static WeightData ofFloat32(float[] w) {
    return new WeightData(DataType.FLOAT32, Objects.requireNonNull(w, "weights"), null, null);
  }

  /** IEEE binary16 weights as raw bits. */
  public static WeightData ofFloat16(short[] bits) {
    return new WeightData(DataType.FLOAT16, null, Objects.requireNonNull(bits, "weights"), null);
  }

  /** Quantised uint8 weights (decoded through {@link Quantization}). */
  public static WeightData ofUInt8(byte[] q) {
    return new WeightData(DataType.UINT8, null, null, Objects.requireNonNull(q, "weights"));
  }

  public DataType type() {
    return type;
  }

  /** Number of weights. */
  public int length() {
    switch (type) {
      case FLOAT32:
        return float32.length;
      case FLOAT16:
        return float16.length;
      default:
        return uint8.length;
    }
  }

  /** The float32 array (borrowed) or null. */
  public float[] float32() {
    return float32;
  }

  /** The float16 bits (borrowed) or null. */
  public short[] float16() {
    return float16;
  }

  /** The uint8 codes (borrowed) or null. */
  public byte[] uint8() {
    return uint8;
  }
}

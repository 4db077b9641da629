package io.convt.engine;

import java.util.Objects;

/**
 * How uint8 weights decode ({@code MPSCNNWeightsQuantizationType}, spec §3): LINEAR with per-output-channel
 * {@code (min, max)} ranges, {@code w = (q/255)·(max−min)+min}; or LOOKUP_TABLE, {@code w = lut[q]} (256 floats).
 */
public final class Quantization {
  /** The kind of quantisation. */
  public enum Kind { NONE, LINEAR, LOOKUP_TABLE }

  /** No quantisation (float weights). */
  public static final Quantization NONE = new Quantization(Kind.NONE, null);

  private final Kind kind;
  private final float[] table;

  private Quantization(Kind kind, float[] table) {
    this.kind = kind;
    this.table = table;
  }

  /** Linear ranges, {@code [min0, max0, min1, max1, …]} per output channel. */
  public static Quantization linear(float[] rangesMinMax) {
    Objects.requireNonNull(rangesMinMax, "rangesForUInt8Kernel");
    if (rangesMinMax.length == 0 || rangesMinMax.length % 2 != 0) {
      throw new IllegalArgumentException(
          "Cannot use linear quantisation: ranges must hold (min,max) pairs (got " + rangesMinMax.length + " floats)");
    }
    return new Quantization(Kind.LINEAR, rangesMinMax.clone());
  }

  /** A 256-entry lookup table. */
  public static Quantization lookupTable(float[] lut) {
    Objects.requireNonNull(lut, "lookupTableForUInt8Kernel");
    if (lut.length != 256) {
      throw new IllegalArgumentException(
          "Cannot use lookup-table quantisation: table must have 256 floats (got " + lut.length + ")");
    }
    return new Quantization(Kind.LOOKUP_TABLE, lut.clone());
  }

  public Kind kind() {
    return kind;
  }

  /** Decodes uint8 codes laid out OHWI, {@code perOutput} codes per output channel. */
  public float[] decode(byte[] q, int cout) {
    float[] w = new float[q.length];
    int per = q.length / cout;
    switch (kind) {
      case LINEAR:
        if (table.length != 2 * cout) {
          throw new IllegalArgumentException(
              "Cannot decode uint8 weights: ranges hold " + table.length / 2 + " (min,max) pairs, Cout is " + cout);
        }
        for (int i = 0; i < q.length; i++) {
          int o = i / per;
          float min = table[2 * o];
          float max = table[2 * o + 1];
          w[i] = ((q[i] & 0xff) / 255f) * (max - min) + min;
        }
        return w;
      case LOOKUP_TABLE:
        for (int i = 0; i < q.length; i++) {
          w[i] = table[q[i] & 0xff];
        }
        return w;
      default:
        throw new IllegalArgumentException(
            "Cannot decode uint8 weights: the data source gives no quantisation (rangesForUInt8Kernel or lookupTableForUInt8Kernel)");
    }
  }
}

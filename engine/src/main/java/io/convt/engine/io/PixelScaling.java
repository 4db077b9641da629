package io.convt.engine.io;

import java.util.Locale;

/**
 * How integer pixel values become floats and back. {@code max} is 255 for 8-bit and 65535 for 16-bit images.
 * <ul>
 *   <li>{@link #UNIT}: {@code v / max}, in [0, 1] (the default; what {@code torchvision.transforms.ToTensor} does);
 *   <li>{@link #SIGNED}: {@code 2·v/max − 1}, in [−1, 1] (DCGAN-style generators);
 *   <li>{@link #RAW}: the integer value itself.
 * </ul>
 * Encoding inverts the mapping, rounds to nearest and clamps to {@code [0, max]}.
 */
public enum PixelScaling {
  UNIT,
  SIGNED,
  RAW;

  /** Parses {@code unit}, {@code signed} or {@code raw}. */
  public static PixelScaling parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("Cannot parse pixel scaling '" + s + "': expected unit, signed or raw");
    }
  }

  /** Parses the value of {@code flag}: unit, signed or raw; the error names the flag. */
  public static PixelScaling parse(String s, String flag) {
    try {
      return parse(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid value for " + flag + ": '" + s + "' (expected unit, signed or raw)");
    }
  }

  /** Integer sample to float. */
  public float decode(int v, int max) {
    switch (this) {
      case UNIT:
        return v / (float) max;
      case SIGNED:
        return 2f * v / max - 1f;
      default:
        return v;
    }
  }

  /** Float to integer sample, rounded and clamped to {@code [0, max]}; NaN becomes 0. */
  public int encode(float f, int max) {
    double v;
    switch (this) {
      case UNIT:
        v = f * (double) max;
        break;
      case SIGNED:
        v = (f + 1.0) * 0.5 * max;
        break;
      default:
        v = f;
    }
    if (!(v > 0)) {
      return 0;
    }
    return (int) Math.min(max, Math.round(v));
  }
}

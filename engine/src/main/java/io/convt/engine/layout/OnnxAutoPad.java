package io.convt.engine.layout;

import java.util.Locale;

/**
 * ONNX {@code ConvTranspose}'s {@code auto_pad} attribute. {@link #SAME_UPPER} and {@link #SAME_LOWER} size the
 * output to {@code input * stride} (or to {@code output_shape} when given) and split the padding between both
 * sides, the odd row/column at the end for {@code SAME_UPPER} and at the start otherwise; {@link #VALID} pads
 * nothing; {@link #NOTSET} uses the explicit {@code pads}, or derives them from {@code output_shape} with the
 * extra at the start (ONNX Operators.md, ConvTranspose).
 */
public enum OnnxAutoPad {
  NOTSET,
  SAME_UPPER,
  SAME_LOWER,
  VALID;

  /** Parses {@code notset}, {@code same_upper}, {@code same_lower} or {@code valid} (any case, {@code -} for {@code _}). */
  public static OnnxAutoPad parse(String s) {
    String t = s == null ? "" : s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (OnnxAutoPad p : values()) {
      if (p.name().equals(t)) {
        return p;
      }
    }
    throw new IllegalArgumentException("Invalid value for --auto-pad: '" + s
        + "' (expected notset, same_upper, same_lower or valid)");
  }

  /** Lower-case name as used on command lines. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}

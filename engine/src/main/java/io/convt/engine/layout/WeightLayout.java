package io.convt.engine.layout;

import java.util.Locale;

/** The weight layouts convt reads and writes. Only {@link #MPS} is used by the kernel as is (unrotated). */
public enum WeightLayout {
  /** MPS data-source layout {@code [Cout][kH][kW][Cin/groups]} (OHWI), taps used as stored. */
  MPS,
  /** PyTorch / ONNX ConvTranspose layout {@code [Cin][Cout/groups][kH][kW]}, a scatter kernel (flipped vs MPS). */
  PYTORCH,
  /** TensorFlow {@code conv2d_transpose} filter {@code [kH][kW][Cout][Cin]} (groups = 1), flipped vs MPS. */
  TENSORFLOW;

  /** Parses {@code mps}, {@code pytorch} (alias {@code onnx}, {@code torch}) or {@code tensorflow} ({@code tf}). */
  public static WeightLayout parse(String s) {
    switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
      case "mps":
      case "ohwi":
        return MPS;
      case "pytorch":
      case "torch":
      case "onnx":
        return PYTORCH;
      case "tensorflow":
      case "tf":
        return TENSORFLOW;
      default:
        throw new IllegalArgumentException(
            "Cannot parse weights layout '" + s + "': expected one of pytorch, mps, tensorflow");
    }
  }

  /** The 4-d shape of weights in this layout. */
  public int[] shape(int cout, int kH, int kW, int cin, int groups) {
    switch (this) {
      case MPS:
        return new int[] {cout, kH, kW, cin / groups};
      case PYTORCH:
        return new int[] {cin, cout / groups, kH, kW};
      default:
        return new int[] {kH, kW, cout, cin};
    }
  }

  /** Lower-case name as used on command lines. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}

package io.convt.engine.layer;

/**
 * A layer's weight geometry.
 *
 * @param outputChannels output feature channels (Cout)
 * @param kernelHeight kernel height (kH)
 * @param kernelWidth kernel width (kW)
 * @param inputChannels input feature channels (Cin, all groups)
 */
public record WeightGeometry(int outputChannels, int kernelHeight, int kernelWidth, int inputChannels) {
  public WeightGeometry {
    if (outputChannels <= 0 || kernelHeight <= 0 || kernelWidth <= 0 || inputChannels <= 0) {
      throw new IllegalArgumentException("Cannot use weight geometry: every size must be > 0 (Cout=" + outputChannels
          + ", kH=" + kernelHeight + ", kW=" + kernelWidth + ", Cin=" + inputChannels + ")");
    }
  }

  /** From the {@code {cout, kH, kW, cin}} array {@code WeightLayouts.geometry} returns. */
  public static WeightGeometry of(int[] coutKhKwCin) {
    if (coutKhKwCin.length != 4) {
      throw new IllegalArgumentException("Cannot use weight geometry: expected {Cout, kH, kW, Cin}, got "
          + coutKhKwCin.length + " values");
    }
    return new WeightGeometry(coutKhKwCin[0], coutKhKwCin[1], coutKhKwCin[2], coutKhKwCin[3]);
  }

  @Override
  public String toString() {
    return "[Cout=" + outputChannels + ", kH=" + kernelHeight + ", kW=" + kernelWidth + ", Cin=" + inputChannels + "]";
  }
}

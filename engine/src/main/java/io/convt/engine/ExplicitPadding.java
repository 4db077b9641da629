package io.convt.engine;

/**
 * Explicit, possibly asymmetric padding as PyTorch's {@code ConvTranspose2d(padding, output_padding)} and ONNX's
 * {@code pads}/{@code output_padding} define it (spec §2.3): destination
 * {@code Wd = (Ws−1)·s + kE − pb − pe + op} and {@code T = pb − (kE−1) + c}. Padding crops the output; it may
 * exceed {@code kE−1} (the output then starts inside the zero-inserted source's far side).
 */
public record ExplicitPadding(int top, int left, int bottom, int right, int outputPaddingY, int outputPaddingX)
    implements PaddingPolicy {

  public ExplicitPadding {
    if (top < 0 || left < 0 || bottom < 0 || right < 0 || outputPaddingX < 0 || outputPaddingY < 0) {
      throw new IllegalArgumentException(
          "Cannot create padding: values must be >= 0 (top=" + top + ", left=" + left + ", bottom=" + bottom
              + ", right=" + right + ", outputPadding=" + outputPaddingY + "," + outputPaddingX + ")");
    }
  }

  /** PyTorch {@code ConvTranspose2d(padding=(ph, pw), output_padding=(oph, opw))}. */
  public static ExplicitPadding pytorch(int padH, int padW, int outputPaddingH, int outputPaddingW) {
    return new ExplicitPadding(padH, padW, padH, padW, outputPaddingH, outputPaddingW);
  }

  /** ONNX {@code pads = [top, left, bottom, right]} (x1_begin, x2_begin, x1_end, x2_end) and output_padding. */
  public static ExplicitPadding onnx(int[] pads, int outputPaddingH, int outputPaddingW) {
    if (pads == null || pads.length != 4) {
      throw new IllegalArgumentException("Cannot create ONNX padding: pads must have 4 values (got "
          + (pads == null ? "null" : pads.length) + ")");
    }
    return new ExplicitPadding(pads[0], pads[1], pads[2], pads[3], outputPaddingH, outputPaddingW);
  }

  @Override
  public DestinationGeometry destinationFor(ConvTransposeDescriptor d, int sourceWidth, int sourceHeight) {
    int sx = d.strideInPixelsX();
    int sy = d.strideInPixelsY();
    if (outputPaddingX >= Math.max(sx, d.dilationRateX()) || outputPaddingY >= Math.max(sy, d.dilationRateY())) {
      throw new IllegalArgumentException(
          "Cannot size destination: output padding must be smaller than stride or dilation (outputPadding="
              + outputPaddingY + "," + outputPaddingX + ", stride=" + sy + "," + sx + ", dilation="
              + d.dilationRateY() + "," + d.dilationRateX() + ")");
    }
    int kEx = d.dilatedKernelWidth();
    int kEy = d.dilatedKernelHeight();
    long w = (sourceWidth - 1L) * sx + kEx - left - right + outputPaddingX;
    long h = (sourceHeight - 1L) * sy + kEy - top - bottom + outputPaddingY;
    if (w <= 0 || h <= 0) {
      throw new IllegalArgumentException(
          "Cannot size destination: padding " + label() + " crops source " + sourceWidth + "x" + sourceHeight
              + " to " + w + "x" + h + " (padding too large)");
    }
    DestinationGeometry.requireRepresentable(w, h, sourceWidth, sourceHeight, d, label());
    int tX = Math.toIntExact((long) left - (kEx - 1) + (kEx >> 1));
    int tY = Math.toIntExact((long) top - (kEy - 1) + (kEy >> 1));
    // PyTorch's convention puts all of T into kernelOffset with offset 0 (spec §2.3); any split gives the same result.
    return new DestinationGeometry((int) w, (int) h, 0, 0, tX, tY);
  }

  @Override
  public String label() {
    return "explicit(top=" + top + ",left=" + left + ",bottom=" + bottom + ",right=" + right
        + ",outputPadding=" + outputPaddingY + "," + outputPaddingX + ")";
  }
}

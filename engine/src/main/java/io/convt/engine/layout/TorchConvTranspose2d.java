package io.convt.engine.layout;

import io.convt.engine.ArrayDataSource;
import io.convt.engine.ConvTranspose;
import io.convt.engine.ConvTransposeDescriptor;
import io.convt.engine.ExplicitPadding;
import io.convt.engine.KernelOptions;
import java.util.Arrays;

/**
 * The exact MPS geometry of PyTorch's {@code ConvTranspose2d(stride, padding, output_padding, dilation, groups)}
 * (spec §2.3), and ONNX's {@code ConvTranspose} with asymmetric {@code pads}. Pairs are (height, width), as in
 * PyTorch. {@link #kernel} converts PyTorch/ONNX weights with the 180° flip and returns a configured kernel whose
 * image-returning encodes produce exactly {@code torch.nn.functional.conv_transpose2d}'s output.
 *
 * @param padTop rows cropped at the top ({@code padding[0]}, or ONNX {@code pads[0]})
 * @param padLeft columns cropped at the left
 * @param padBottom rows cropped at the bottom (= padTop for PyTorch)
 * @param padRight columns cropped at the right (= padLeft for PyTorch)
 */
public record TorchConvTranspose2d(
    int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
    int outputPaddingH, int outputPaddingW, int dilationH, int dilationW, int groups) {

  public TorchConvTranspose2d {
    if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || groups < 1) {
      throw new IllegalArgumentException("Cannot create ConvTranspose2d geometry: stride, dilation and groups must be >= 1"
          + " (stride=" + strideH + "," + strideW + ", dilation=" + dilationH + "," + dilationW + ", groups=" + groups + ")");
    }
    if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0 || outputPaddingH < 0 || outputPaddingW < 0) {
      throw new IllegalArgumentException("Cannot create ConvTranspose2d geometry: padding and output padding must be >= 0"
          + " (padding=" + padTop + "," + padLeft + "," + padBottom + "," + padRight
          + ", output_padding=" + outputPaddingH + "," + outputPaddingW + ")");
    }
    if (outputPaddingH >= Math.max(strideH, dilationH) || outputPaddingW >= Math.max(strideW, dilationW)) {
      throw new IllegalArgumentException("Cannot create ConvTranspose2d geometry: output_padding must be smaller than"
          + " stride or dilation (output_padding=" + outputPaddingH + "," + outputPaddingW + ", stride=" + strideH + ","
          + strideW + ", dilation=" + dilationH + "," + dilationW + ")");
    }
  }

  /** PyTorch's symmetric form. */
  public static TorchConvTranspose2d pytorch(int[] stride, int[] padding, int[] outputPadding, int[] dilation, int groups) {
    return new TorchConvTranspose2d(stride[0], stride[1], padding[0], padding[1], padding[0], padding[1],
        outputPadding[0], outputPadding[1], dilation[0], dilation[1], groups);
  }

  /** Defaults: stride 1, padding 0, output padding 0, dilation 1, groups 1. */
  public static TorchConvTranspose2d defaults() {
    return new TorchConvTranspose2d(1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1);
  }

  /**
   * ONNX {@code ConvTranspose}: {@code pads = [top, left, bottom, right]}; when {@code outputShape} (H, W) is given,
   * pads are derived from it as ONNX specifies for {@code auto_pad=NOTSET} ({@code SAME_UPPER} split: the extra
   * row/column goes to the end).
   */
  public static TorchConvTranspose2d onnx(int[] stride, int[] pads, int[] outputPadding, int[] dilation, int groups,
      int[] kernelShape, int[] inputShape, int[] outputShape) {
    if (outputShape == null) {
      if (pads == null || pads.length != 4) {
        throw new IllegalArgumentException("Cannot create ONNX ConvTranspose geometry: pads must have 4 values (got "
            + Arrays.toString(pads) + ")");
      }
      return new TorchConvTranspose2d(stride[0], stride[1], pads[0], pads[1], pads[2], pads[3],
          outputPadding[0], outputPadding[1], dilation[0], dilation[1], groups);
    }
    int[] p = new int[4];
    for (int a = 0; a < 2; a++) {
      int total = stride[a] * (inputShape[a] - 1) + outputPadding[a] + ((kernelShape[a] - 1) * dilation[a] + 1)
          - outputShape[a];
      if (total < 0) {
        throw new IllegalArgumentException("Cannot create ONNX ConvTranspose geometry: output_shape "
            + Arrays.toString(outputShape) + " is larger than the full output for input " + Arrays.toString(inputShape));
      }
      p[a] = total / 2;
      p[a + 2] = total - total / 2;
    }
    return new TorchConvTranspose2d(stride[0], stride[1], p[0], p[1], p[2], p[3],
        outputPadding[0], outputPadding[1], dilation[0], dilation[1], groups);
  }

  /** The MPS descriptor for a layer with these channel counts and kernel size. */
  public ConvTransposeDescriptor descriptor(int inChannels, int outChannels, int kernelH, int kernelW) {
    return ConvTransposeDescriptor.builder(kernelW, kernelH, inChannels, outChannels)
        .stride(strideW, strideH)
        .dilation(dilationW, dilationH)
        .groups(groups)
        .build();
  }

  /** The padding policy that sizes the destination and sets offsets as PyTorch would (spec §2.3). */
  public ExplicitPadding padding() {
    return new ExplicitPadding(padTop, padLeft, padBottom, padRight, outputPaddingH, outputPaddingW);
  }

  /**
   * A kernel computing this layer from weights in {@code layout} ({@code PYTORCH}: {@code [Cin][Cout/g][kH][kW]}).
   *
   * @param bias {@code Cout} values or {@code null}
   */
  public ConvTranspose kernel(WeightLayout layout, float[] weights, int[] shape, float[] bias, KernelOptions options,
      String label) {
    int[] g = WeightLayouts.geometry(layout, shape, groups);
    ConvTransposeDescriptor d = descriptor(g[3], g[0], g[1], g[2]);
    float[] mps = WeightLayouts.toMps(layout, weights, shape, groups);
    ConvTranspose k = new ConvTranspose(new ArrayDataSource(d, mps, bias, label), options);
    k.setPadding(padding());
    return k;
  }

  /** PyTorch's output size for a source of {@code h x w}: {@code {H, W}}. */
  public int[] outputSize(int h, int w, int kernelH, int kernelW) {
    int oh = (h - 1) * strideH - padTop - padBottom + dilationH * (kernelH - 1) + outputPaddingH + 1;
    int ow = (w - 1) * strideW - padLeft - padRight + dilationW * (kernelW - 1) + outputPaddingW + 1;
    return new int[] {oh, ow};
  }
}

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
   * ONNX {@code ConvTranspose} with {@code auto_pad=NOTSET}: {@code pads = [top, left, bottom, right]}, or, when
   * {@code outputShape} (H, W) is given, pads derived from it (see {@link #onnx(OnnxAutoPad, int[], int[], int[],
   * int[], int, int[], int[], int[])}).
   */
  public static TorchConvTranspose2d onnx(int[] stride, int[] pads, int[] outputPadding, int[] dilation, int groups,
      int[] kernelShape, int[] inputShape, int[] outputShape) {
    return onnx(OnnxAutoPad.NOTSET, stride, pads, outputPadding, dilation, groups, kernelShape, inputShape,
        outputShape);
  }

  /**
   * ONNX {@code ConvTranspose} geometry for one input size, as ONNX's operator spec defines it:
   * {@code total = stride*(in-1) + output_padding + ((k-1)*dilation+1) - output_shape} per axis, with
   * {@code output_shape = in*stride} for {@code SAME_*} unless given; {@code SAME_UPPER} puts
   * {@code floor(total/2)} at the start and the rest at the end, {@code NOTSET} and {@code SAME_LOWER} put
   * {@code total - floor(total/2)} at the start. Floor division (as in ONNX's reference implementation) matters for
   * a negative total, an {@code output_shape} larger than the full output: the missing rows/columns are added at
   * the end as zeros (ONNX's {@code test_convtranspose_output_shape}), expressed here as extra output padding.
   * For {@code NOTSET} with an {@code output_shape} smaller than the full output, implementations disagree: ONNX's
   * reference implementation keeps zero pads and crops at the end, ONNX Runtime puts the odd pad at the end; this
   * follows the operator spec's text (the odd pad at the start). ONNX's conformance cases do not tell them apart.
   *
   * @param pads {@code [top, left, bottom, right]} or {@code null} (zeros); only with {@code NOTSET} and no
   *     {@code outputShape} may they be non-zero (ONNX ignores pads then; a conflict is refused here)
   * @param kernelShape {@code {kH, kW}}
   * @param inputShape source {@code {H, W}}
   * @param outputShape requested {@code {H, W}} or {@code null}
   * @throws IllegalArgumentException when the derived pads cannot be expressed (a negative start pad, or an output
   *     more than {@code max(stride, dilation) - 1} larger than the full output)
   */
  public static TorchConvTranspose2d onnx(OnnxAutoPad autoPad, int[] stride, int[] pads, int[] outputPadding,
      int[] dilation, int groups, int[] kernelShape, int[] inputShape, int[] outputShape) {
    boolean explicitPads = pads != null && Arrays.stream(pads).anyMatch(v -> v != 0);
    if (pads != null && pads.length != 4) {
      throw new IllegalArgumentException("Cannot create ONNX ConvTranspose geometry: pads must have 4 values (got "
          + Arrays.toString(pads) + ")");
    }
    if (autoPad == OnnxAutoPad.VALID && outputShape != null) {
      throw new IllegalArgumentException("Cannot create ONNX ConvTranspose geometry: output_shape needs auto_pad"
          + " notset, same_upper or same_lower (got valid)");
    }
    boolean derive = outputShape != null || autoPad == OnnxAutoPad.SAME_UPPER || autoPad == OnnxAutoPad.SAME_LOWER;
    if (explicitPads && (derive || autoPad == OnnxAutoPad.VALID)) {
      throw new IllegalArgumentException("Cannot create ONNX ConvTranspose geometry: pads " + Arrays.toString(pads)
          + " exclude auto_pad " + autoPad.label() + (outputShape == null ? "" : " and output_shape"));
    }
    if (!derive) {
      int[] p = pads == null ? new int[4] : pads;
      return new TorchConvTranspose2d(stride[0], stride[1], p[0], p[1], p[2], p[3],
          outputPadding[0], outputPadding[1], dilation[0], dilation[1], groups);
    }
    if (outputShape != null && (outputShape.length != 2 || outputShape[0] < 1 || outputShape[1] < 1)) {
      throw new IllegalArgumentException("Cannot create ONNX ConvTranspose geometry: output_shape must be two values"
          + " >= 1 (got " + Arrays.toString(outputShape) + ")");
    }
    int[] start = new int[2];
    int[] end = new int[2];
    int[] op = outputPadding.clone();
    for (int a = 0; a < 2; a++) {
      long target = outputShape != null ? outputShape[a] : (long) inputShape[a] * stride[a];
      long full = (long) stride[a] * (inputShape[a] - 1) + outputPadding[a] + (long) (kernelShape[a] - 1) * dilation[a]
          + 1;
      long total = full - target;
      long half = Math.floorDiv(total, 2L);
      long s = autoPad == OnnxAutoPad.SAME_UPPER ? half : total - half;
      long e = total - s;
      String axis = a == 0 ? "height" : "width";
      if (s < 0) {
        throw new IllegalArgumentException("Cannot create ONNX ConvTranspose geometry: " + axis + " output "
            + target + " for input " + inputShape[a] + " needs start pad " + s + " (auto_pad " + autoPad.label()
            + ", full output " + full + "); convt cannot pad before the first output row/column");
      }
      if (e < 0) {
        long extra = outputPadding[a] - e;
        if (extra >= Math.max(stride[a], dilation[a])) {
          throw new IllegalArgumentException("Cannot create ONNX ConvTranspose geometry: " + axis + " output "
              + target + " exceeds the full output " + full + " for input " + inputShape[a] + " by " + (-e)
              + "; convt adds at most max(stride, dilation) - 1 - output_padding = "
              + (Math.max(stride[a], dilation[a]) - 1 - outputPadding[a]) + " zero rows/columns at the end");
        }
        op[a] = (int) extra;
        e = 0;
      }
      start[a] = (int) s;
      end[a] = (int) e;
    }
    return new TorchConvTranspose2d(stride[0], stride[1], start[0], start[1], end[0], end[1],
        op[0], op[1], dilation[0], dilation[1], groups);
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

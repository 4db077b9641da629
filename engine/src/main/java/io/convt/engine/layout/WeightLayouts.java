package io.convt.engine.layout;

import java.util.Arrays;

/**
 * Converts transposed-convolution weights between {@link WeightLayout}s (spec §1.4). PyTorch, ONNX and TensorFlow
 * define the operation as a scatter, so their kernels are the 180°-rotated MPS kernels: every conversion to or
 * from {@link WeightLayout#MPS} transposes in/out channels <em>and</em> flips both spatial axes. Forgetting the flip
 * gives plausible, wrong outputs unless the kernel is symmetric.
 */
public final class WeightLayouts {
  private WeightLayouts() {}

  /**
   * Converts {@code w} of the given {@code shape} in layout {@code from} to MPS OHWI.
   *
   * @param groups convolution groups (TensorFlow weights require 1)
   * @return weights {@code [Cout][kH][kW][Cin/groups]}
   */
  public static float[] toMps(WeightLayout from, float[] w, int[] shape, int groups) {
    int[] idx = mpsGatherIndex(from, shape, groups, w.length);
    float[] out = new float[w.length];
    for (int j = 0; j < out.length; j++) {
      out[j] = w[idx[j]];
    }
    return out;
  }

  /**
   * The permutation behind {@link #toMps}: {@code mps[j] = foreign[index[j]]}. Lets raw float16 bits or uint8 codes
   * be reordered without decoding them.
   */
  public static int[] mpsGatherIndex(WeightLayout from, int[] shape, int groups, int length) {
    Dims d = Dims.of(from, shape, groups, length);
    int[] idx = new int[d.cout * d.kh * d.kw * d.cig];
    for (int o = 0; o < d.cout; o++) {
      int gr = o / d.cog;
      int ol = o % d.cog;
      for (int ky = 0; ky < d.kh; ky++) {
        for (int kx = 0; kx < d.kw; kx++) {
          for (int il = 0; il < d.cig; il++) {
            int j = d.mpsIndex(o, ky, kx, il);
            idx[j] = from == WeightLayout.MPS ? j
                : d.foreignIndex(from, gr * d.cig + il, o, ol, d.kh - 1 - ky, d.kw - 1 - kx);
          }
        }
      }
    }
    return idx;
  }

  /** The inverse of {@link #toMps}: MPS OHWI weights to layout {@code to}, for the given MPS shape. */
  public static float[] fromMps(WeightLayout to, float[] mps, int cout, int kH, int kW, int cin, int groups) {
    if (to == WeightLayout.TENSORFLOW && groups != 1) {
      throw new IllegalArgumentException("Cannot export weights to tensorflow layout: groups must be 1 (got " + groups + ")");
    }
    int[] shape = to.shape(cout, kH, kW, cin, Math.max(groups, 1));
    int[] idx = mpsGatherIndex(to, shape, groups, mps.length);
    float[] out = new float[mps.length];
    for (int j = 0; j < out.length; j++) {
      out[idx[j]] = mps[j];
    }
    return out;
  }

  /**
   * The MPS geometry implied by a weight shape in a layout: {@code {cout, kH, kW, cin}} (full channel counts).
   */
  public static int[] geometry(WeightLayout layout, int[] shape, int groups) {
    Dims d = Dims.of(layout, shape, groups, -1);
    return new int[] {d.cout, d.kh, d.kw, d.cig * groups};
  }

  /** Channel and kernel sizes derived from one layout's shape, validated once. */
  private static final class Dims {
    final int cout, kh, kw, cig, cog, cin;

    private Dims(int cout, int kh, int kw, int cin, int groups) {
      this.cout = cout;
      this.kh = kh;
      this.kw = kw;
      this.cin = cin;
      this.cig = cin / groups;
      this.cog = cout / groups;
    }

    static Dims of(WeightLayout layout, int[] shape, int groups, int length) {
      if (shape == null || shape.length != 4) {
        throw new IllegalArgumentException("Cannot read " + layout.label() + " weights: expected a 4-d shape "
            + describe(layout) + ", got " + Arrays.toString(shape));
      }
      if (groups < 1) {
        throw new IllegalArgumentException("Cannot read weights: groups must be >= 1 (got " + groups + ")");
      }
      for (int v : shape) {
        if (v <= 0) {
          throw new IllegalArgumentException("Cannot read " + layout.label() + " weights: every dimension must be > 0 (shape "
              + Arrays.toString(shape) + ")");
        }
      }
      Dims d;
      switch (layout) {
        case MPS:
          d = new Dims(shape[0], shape[1], shape[2], shape[3] * groups, groups);
          break;
        case PYTORCH:
          d = new Dims(shape[1] * groups, shape[2], shape[3], shape[0], groups);
          break;
        default:
          if (groups != 1) {
            throw new IllegalArgumentException("Cannot read tensorflow weights: groups must be 1 (got " + groups + ")");
          }
          d = new Dims(shape[2], shape[0], shape[1], shape[3], 1);
      }
      if (d.cin % groups != 0 || d.cout % groups != 0) {
        throw new IllegalArgumentException("Cannot read " + layout.label() + " weights " + Arrays.toString(shape)
            + ": channels (in " + d.cin + ", out " + d.cout + ") are not divisible by groups " + groups);
      }
      long n = (long) shape[0] * shape[1] * shape[2] * shape[3];
      if (length >= 0 && n != length) {
        throw new IllegalArgumentException("Cannot read " + layout.label() + " weights: shape " + Arrays.toString(shape)
            + " holds " + n + " values but " + length + " were given");
      }
      return d;
    }

    int mpsIndex(int o, int ky, int kx, int il) {
      return ((o * kh + ky) * kw + kx) * cig + il;
    }

    int foreignIndex(WeightLayout layout, int i, int o, int ol, int ky, int kx) {
      if (layout == WeightLayout.PYTORCH) {
        return ((i * cog + ol) * kh + ky) * kw + kx;
      }
      return ((ky * kw + kx) * cout + o) * cin + i; // TensorFlow [kH][kW][Cout][Cin], groups = 1
    }
  }

  private static String describe(WeightLayout layout) {
    switch (layout) {
      case MPS:
        return "[Cout, kH, kW, Cin/groups]";
      case PYTORCH:
        return "[Cin, Cout/groups, kH, kW]";
      default:
        return "[kH, kW, Cout, Cin]";
    }
  }
}

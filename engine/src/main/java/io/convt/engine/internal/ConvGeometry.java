package io.convt.engine.internal;


/**
 * The geometry of a resolved transposed-convolution problem, everything about one image a backend needs and nothing
 * it must interpret: buffer shapes, channel slices, kernel, window position, the (already intersected) clip and the
 * precision. It does not depend on the batch, so it is the key of per-geometry caches (a backend's plans); the
 * per-call part (how many images, where they start) is {@link ConvProblem}. Images are NHWC float arrays with
 * logical channels.
 *
 * <p>Forward (spec §1.2), for every image t, o &lt; cout, destination pixel
 * {@code (Y, X) = (clipY + v, clipX + u)}, v &lt; clipH, u &lt; clipW:
 * <pre>
 * acc = Σ_{il &lt; cig} Σ_{ky,kx} W[o][ky][kx][il] · Z[sfo + gr·cig + il](tY + v − cy + dilY·ky, tX + u − cx + dilX·kx)
 * </pre>
 * where Z is the source with (stride − 1) zeros inserted between pixels, read as 0 outside, and only
 * input channels {@code il} with {@code gr·cig + il < cinRead} are read (the rest count as 0).
 *
 * @param srcH source height
 * @param srcW source width
 * @param srcC channels per source pixel in the buffer (≥ sfo + cinRead)
 * @param sfo first source channel read (sourceFeatureChannelOffset)
 * @param cinRead input channels actually read, ≤ cin (sourceFeatureChannelMaxCount)
 * @param dstH destination height
 * @param dstW destination width
 * @param dstC channels per destination pixel in the buffer (≥ dfo + cout)
 * @param dfo first destination channel written (destinationFeatureChannelOffset)
 * @param cin input feature channels of the kernel
 * @param cout output feature channels of the kernel
 * @param groups groups
 * @param kH kernel height
 * @param kW kernel width
 * @param strideY stride y
 * @param strideX stride x
 * @param dilY dilation y
 * @param dilX dilation x
 * @param tY total shift y, {@code offset.y·strideY + kernelOffsetY}
 * @param tX total shift x
 * @param clipY first destination row written
 * @param clipX first destination column written
 * @param clipH rows written (may be 0)
 * @param clipW columns written (may be 0)
 * @param halfAccumulation true to round the accumulator to fp16 after every multiply-add (MPS HALF accumulation)
 */
public record ConvGeometry(
    int srcH, int srcW, int srcC, int sfo, int cinRead,
    int dstH, int dstW, int dstC, int dfo,
    int cin, int cout, int groups,
    int kH, int kW, int strideY, int strideX, int dilY, int dilX,
    int tY, int tX,
    int clipY, int clipX, int clipH, int clipW,
    boolean halfAccumulation) {

  /**
   * Refuses problems whose sizes or kernel indices leave the int range, before any kernel computes with them.
   *
   * @throws IllegalArgumentException naming the quantity and the setting that makes it too large
   */
  public ConvGeometry {
    long ceY = (long) dilY * (kH - 1);
    long ceX = (long) dilX * (kW - 1);
    requireInt("dilated kernel height dilation·(kH-1)+1", ceY + 1, "dilation");
    requireInt("dilated kernel width dilation·(kW-1)+1", ceX + 1, "dilation");
    requireInt("zero-inserted source height (H-1)·strideY+1", (srcH - 1L) * strideY + 1, "stride");
    requireInt("zero-inserted source width (W-1)·strideX+1", (srcW - 1L) * strideX + 1, "stride");
    requireInt("source image size H·W·C", (long) srcH * srcW * srcC, "source size");
    requireInt("destination image size H·W·C", (long) dstH * dstW * dstC, "output size");
    long cyL = (ceY + 1) >> 1;
    long cxL = (ceX + 1) >> 1;
    // forward reads Z at T + v - c + dil·k, the data gradient writes back from i·stride - T + c - dil·k
    requireInt("window row T-c", tY - cyL, "offset/padding");
    requireInt("window row T+clipH+dil·(kH-1)", tY + clipH + ceY, "offset/padding");
    requireInt("window column T-c", tX - cxL, "offset/padding");
    requireInt("window column T+clipW+dil·(kW-1)", tX + clipW + ceX, "offset/padding");
    requireInt("gradient row (H-1)·stride-T+c", (srcH - 1L) * strideY - tY + cyL, "stride/offset/padding");
    requireInt("gradient row -T-dil·(kH-1)", -(long) tY - ceY, "offset/padding");
    requireInt("gradient column (W-1)·stride-T+c", (srcW - 1L) * strideX - tX + cxL, "stride/offset/padding");
    requireInt("gradient column -T-dil·(kW-1)", -(long) tX - ceX, "offset/padding");
  }

  private static void requireInt(String what, long value, String cause) {
    if (value > Integer.MAX_VALUE || value < Integer.MIN_VALUE) {
      throw new IllegalArgumentException(
          "Cannot plan the convolution: " + what + " = " + value + " is outside the int range (" + cause
              + " too large)");
    }
  }

  /** Input channels per group. */
  public int cig() {
    return cin / groups;
  }

  /** Output channels per group. */
  public int cog() {
    return cout / groups;
  }

  /** Centre correction y, {@code kEy >> 1}. */
  public int cy() {
    return (dilY * (kH - 1) + 1) >> 1;
  }

  /** Centre correction x. */
  public int cx() {
    return (dilX * (kW - 1) + 1) >> 1;
  }

  /** Zero-inserted source height {@code (srcH−1)·strideY + 1}. */
  public int zH() {
    return (srcH - 1) * strideY + 1;
  }

  /** Zero-inserted source width. */
  public int zW() {
    return (srcW - 1) * strideX + 1;
  }

  /** Floats in one source image. */
  public int srcImageSize() {
    return srcH * srcW * srcC;
  }

  /** Floats in one destination image. */
  public int dstImageSize() {
    return dstH * dstW * dstC;
  }

  /** Weights in OHWI layout. */
  public int weightCount() {
    return cout * kH * kW * cig();
  }

  /** A one-line description for logs and repro lines. */
  public String describe() {
    return "src=" + srcH + "x" + srcW + "x" + srcC + "[" + sfo + "+" + cinRead + "] dst=" + dstH
        + "x" + dstW + "x" + dstC + "[" + dfo + "] Cin=" + cin + " Cout=" + cout + " g=" + groups + " k=" + kH
        + "x" + kW + " s=" + strideY + "," + strideX + " d=" + dilY + "," + dilX + " T=" + tY + "," + tX
        + " clip=" + clipY + "," + clipX + "+" + clipH + "x" + clipW + (halfAccumulation ? " HALF" : " FLOAT");
  }
}

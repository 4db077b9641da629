package io.convt.engine.internal;

/**
 * One call of a backend: a {@link ConvGeometry} (the same for every batch through a layer, and the key of any
 * per-geometry cache) and the per-call part, how many images and where they start. Image {@code t} of the problem
 * lives at image index {@code srcImage0 + t} of the source array and {@code dstImage0 + t} of the destination
 * array. The geometry's accessors are repeated here so kernels read {@code p.srcH()} whichever part a value
 * belongs to.
 *
 * @param geometry shapes, slices, kernel, window, clip and precision
 * @param images number of images
 * @param srcImage0 first source image index
 * @param dstImage0 first destination image index
 */
public record ConvProblem(ConvGeometry geometry, int images, int srcImage0, int dstImage0) {

  /**
   * Validates the per-call part.
   *
   * @throws IllegalArgumentException when the geometry is missing or a count or index is negative
   */
  public ConvProblem {
    if (geometry == null) {
      throw new IllegalArgumentException("Cannot plan the convolution: no geometry");
    }
    if (images < 0 || srcImage0 < 0 || dstImage0 < 0) {
      throw new IllegalArgumentException("Cannot plan the convolution: negative image count or index (images="
          + images + ", srcImage0=" + srcImage0 + ", dstImage0=" + dstImage0 + ")");
    }
  }

  /**
   * A problem from the geometry's fields (in {@link ConvGeometry}'s order) framed by the per-call part.
   *
   * @throws IllegalArgumentException as {@link ConvGeometry}'s constructor
   */
  public ConvProblem(int images,
      int srcH, int srcW, int srcC, int sfo, int cinRead,
      int dstH, int dstW, int dstC, int dfo,
      int cin, int cout, int groups,
      int kH, int kW, int strideY, int strideX, int dilY, int dilX,
      int tY, int tX,
      int clipY, int clipX, int clipH, int clipW,
      int srcImage0, int dstImage0, boolean halfAccumulation) {
    this(new ConvGeometry(srcH, srcW, srcC, sfo, cinRead, dstH, dstW, dstC, dfo, cin, cout, groups, kH, kW, strideY, strideX, dilY, dilX, tY, tX, clipY, clipX, clipH, clipW, halfAccumulation), images, srcImage0, dstImage0);
  }

  /** @return {@link ConvGeometry#srcH()} */
  public int srcH() {
    return geometry.srcH();
  }

  /** @return {@link ConvGeometry#srcW()} */
  public int srcW() {
    return geometry.srcW();
  }

  /** @return {@link ConvGeometry#srcC()} */
  public int srcC() {
    return geometry.srcC();
  }

  /** @return {@link ConvGeometry#sfo()} */
  public int sfo() {
    return geometry.sfo();
  }

  /** @return {@link ConvGeometry#cinRead()} */
  public int cinRead() {
    return geometry.cinRead();
  }

  /** @return {@link ConvGeometry#dstH()} */
  public int dstH() {
    return geometry.dstH();
  }

  /** @return {@link ConvGeometry#dstW()} */
  public int dstW() {
    return geometry.dstW();
  }

  /** @return {@link ConvGeometry#dstC()} */
  public int dstC() {
    return geometry.dstC();
  }

  /** @return {@link ConvGeometry#dfo()} */
  public int dfo() {
    return geometry.dfo();
  }

  /** @return {@link ConvGeometry#cin()} */
  public int cin() {
    return geometry.cin();
  }

  /** @return {@link ConvGeometry#cout()} */
  public int cout() {
    return geometry.cout();
  }

  /** @return {@link ConvGeometry#groups()} */
  public int groups() {
    return geometry.groups();
  }

  /** @return {@link ConvGeometry#kH()} */
  public int kH() {
    return geometry.kH();
  }

  /** @return {@link ConvGeometry#kW()} */
  public int kW() {
    return geometry.kW();
  }

  /** @return {@link ConvGeometry#strideY()} */
  public int strideY() {
    return geometry.strideY();
  }

  /** @return {@link ConvGeometry#strideX()} */
  public int strideX() {
    return geometry.strideX();
  }

  /** @return {@link ConvGeometry#dilY()} */
  public int dilY() {
    return geometry.dilY();
  }

  /** @return {@link ConvGeometry#dilX()} */
  public int dilX() {
    return geometry.dilX();
  }

  /** @return {@link ConvGeometry#tY()} */
  public int tY() {
    return geometry.tY();
  }

  /** @return {@link ConvGeometry#tX()} */
  public int tX() {
    return geometry.tX();
  }

  /** @return {@link ConvGeometry#clipY()} */
  public int clipY() {
    return geometry.clipY();
  }

  /** @return {@link ConvGeometry#clipX()} */
  public int clipX() {
    return geometry.clipX();
  }

  /** @return {@link ConvGeometry#clipH()} */
  public int clipH() {
    return geometry.clipH();
  }

  /** @return {@link ConvGeometry#clipW()} */
  public int clipW() {
    return geometry.clipW();
  }

  /** @return {@link ConvGeometry#halfAccumulation()} */
  public boolean halfAccumulation() {
    return geometry.halfAccumulation();
  }

  /** Input channels per group. */
  public int cig() {
    return geometry.cig();
  }

  /** Output channels per group. */
  public int cog() {
    return geometry.cog();
  }

  /** Centre correction y. */
  public int cy() {
    return geometry.cy();
  }

  /** Centre correction x. */
  public int cx() {
    return geometry.cx();
  }

  /** Zero-inserted source height. */
  public int zH() {
    return geometry.zH();
  }

  /** Zero-inserted source width. */
  public int zW() {
    return geometry.zW();
  }

  /** Floats in one source image. */
  public int srcImageSize() {
    return geometry.srcImageSize();
  }

  /** Floats in one destination image. */
  public int dstImageSize() {
    return geometry.dstImageSize();
  }

  /** Weights in OHWI layout. */
  public int weightCount() {
    return geometry.weightCount();
  }

  /** Multiply-adds of the forward pass (every tap counted, as shapes.json does): 2·N·Cin·Cog·kH·kW·H·W / 2. */
  public long macs() {
    return (long) images * cin() * cog() * kH() * kW() * srcH() * srcW();
  }

  /** A one-line description for logs and repro lines. */
  public String describe() {
    return "N=" + images + " " + geometry.describe();
  }
}

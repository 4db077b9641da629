package io.convt.engine;

/**
 * MPS's default padding family for a "backwards" (transposed) filter (spec §2.1):
 * {@code D = (Ws−1)·s + 1 + style·(kE−1)} with style −1 valid, 0 same, +1 full, and the window placed by
 * {@code T = c − left}, {@code left = (extra + r)/2}, {@code extra = (style+1)(kE−1)}, r = 1 when the remainder
 * goes to the top/left.
 */
public enum StandardPadding implements PaddingPolicy {
  /** ValidOnly, remainder top-left. */
  VALID(-1, true),
  /** Same (the MPS default: AlignCentered | AddRemainderToTopLeft | SizeSame). Gives {@code (Ws−1)·s+1}, not {@code Ws·s}. */
  SAME(0, true),
  /** Full, remainder top-left. */
  FULL(1, true),
  /** ValidOnly, remainder bottom-right. */
  VALID_REMAINDER_BOTTOM_RIGHT(-1, false),
  /** Same, remainder bottom-right. */
  SAME_REMAINDER_BOTTOM_RIGHT(0, false),
  /** Full, remainder bottom-right. */
  FULL_REMAINDER_BOTTOM_RIGHT(1, false);

  private final int style;
  private final boolean remainderTopLeft;

  StandardPadding(int style, boolean remainderTopLeft) {
    this.style = style;
    this.remainderTopLeft = remainderTopLeft;
  }

  /** −1 valid, 0 same, +1 full. */
  public int style() {
    return style;
  }

  @Override
  public DestinationGeometry destinationFor(ConvTransposeDescriptor d, int sourceWidth, int sourceHeight) {
    int kEx = d.dilatedKernelWidth();
    int kEy = d.dilatedKernelHeight();
    long w = (sourceWidth - 1L) * d.strideInPixelsX() + 1 + (long) style * (kEx - 1);
    long h = (sourceHeight - 1L) * d.strideInPixelsY() + 1 + (long) style * (kEy - 1);
    if (w <= 0 || h <= 0) {
      throw new IllegalArgumentException(
          "Cannot size destination with padding " + name() + ": source " + sourceWidth + "x" + sourceHeight
              + " gives " + w + "x" + h + " for dilated kernel " + kEx + "x" + kEy);
    }
    DestinationGeometry.requireRepresentable(w, h, sourceWidth, sourceHeight, d, name());
    return DestinationGeometry.fromT((int) w, (int) h, t(kEx), t(kEy), d.strideInPixelsX(), d.strideInPixelsY());
  }

  @Override
  public String label() {
    return name();
  }

  private int t(int kE) {
    int extra = (style + 1) * (kE - 1);
    int left = (extra + (remainderTopLeft ? 1 : 0)) / 2;
    return (kE >> 1) - left;
  }
}

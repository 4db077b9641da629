package io.convt.engine;

/**
 * {@code MPSNNPadding}: how an image-returning encode sizes its destination and positions the window.
 * Built-ins: {@link StandardPadding} (MPS's valid / same / full with a remainder rule) and {@link ExplicitPadding}
 * (PyTorch and ONNX conventions). Implement this interface for MPS's PaddingMethodCustom.
 */
public interface PaddingPolicy {
  /**
   * Sizes the destination for a source of {@code sourceWidth × sourceHeight}.
   *
   * @throws IllegalArgumentException when the result would be empty
   */
  DestinationGeometry destinationFor(ConvTransposeDescriptor descriptor, int sourceWidth, int sourceHeight);

  /** A short name for logs and the run summary. */
  default String label() {
    return getClass().getSimpleName();
  }
}

package io.convt.engine.layer;

/**
 * The shape of one output image of a layer.
 *
 * @param height rows
 * @param width columns
 * @param channels channels per pixel
 */
public record OutputShape(int height, int width, int channels) {
  /** Floats in one image, exactly. */
  public long imageSize() {
    return (long) height * width * channels;
  }
}

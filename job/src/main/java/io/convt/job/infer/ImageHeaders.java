package io.convt.job.infer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * An image's declared size, read from its header by ImageIO's reader ({@code getWidth}/{@code getHeight} parse only
 * the header: PNG's IHDR, JPEG's SOF, BMP's info header) without decoding a pixel, so a small file declaring
 * 20000×20000 pixels is refused before it can allocate gigabytes.
 */
final class ImageHeaders {
  private ImageHeaders() {}

  /** Width and height as the header declares them. */
  record Size(int width, int height) {
    long pixels() {
      return (long) width * height;
    }
  }

  /** The declared size, or null when no ImageIO reader recognises the bytes or the header is broken. */
  static Size read(byte[] bytes) {
    // an in-memory stream: ImageIO.createImageInputStream would cache through a temporary file
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return null;
      }
      ImageReader r = readers.next();
      try {
        r.setInput(in, true, true);
        return new Size(r.getWidth(0), r.getHeight(0));
      } finally {
        r.dispose();
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}

package io.convt.engine.io;

import io.convt.engine.backend.KernelBackends;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Decodes PNG, JPEG and BMP images (gray, gray+alpha, RGB, RGBA; 8- or 16-bit samples) into float HWC pixels and
 * encodes 1-, 3- or 4-channel float HWC images as PNG or JPEG, with a {@link PixelScaling} and channel order.
 * Channels are the image's own (gray stays 1 channel, RGBA stays 4): a layer that wants another count rejects the
 * image rather than have it silently converted.
 */
public final class ImageCodec {
  static {
    ImageIO.setUseCache(false); // no temp files from executors
  }

  /** A decoded image: {@code height × width × channels} floats, HWC. */
  public record Image(int height, int width, int channels, int bitDepth, float[] hwc) {
    /** The pixels in C,H,W order (NumPy / PyTorch order). */
    public float[] chw() {
      float[] out = new float[hwc.length];
      int plane = height * width;
      for (int p = 0; p < plane; p++) {
        for (int c = 0; c < channels; c++) {
          out[c * plane + p] = hwc[p * channels + c];
        }
      }
      return out;
    }
  }

  /** CHW floats to HWC (for {@link #encode}). */
  public static float[] chwToHwc(float[] chw, int channels, int height, int width) {
    float[] out = new float[chw.length];
    int plane = height * width;
    for (int p = 0; p < plane; p++) {
      for (int c = 0; c < channels; c++) {
        out[p * channels + c] = chw[c * plane + p];
      }
    }
    return out;
  }

  /** Index of the first NaN or infinite value, or -1 when all are finite. */
  public static int firstNonFinite(float[] values) {
    return KernelBackends.defaultBackend().firstNonFinite(values);
  }

  private ImageCodec() {}

  /**
   * @param name file name or path, for messages
   * @param bgr whether to return colour channels as B,G,R(,A) instead of R,G,B(,A)
   * @throws TensorFormatException when the bytes are not a readable image
   */
  public static Image decode(byte[] bytes, String name, PixelScaling scaling, boolean bgr) {
    BufferedImage img;
    try {
      img = ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException | RuntimeException e) {
      throw new TensorFormatException(name, "corrupt or unreadable image: " + e.getMessage(), e);
    }
    if (img == null) {
      throw new TensorFormatException(name, "not a readable PNG, JPEG or BMP image");
    }
    Raster r = img.getRaster();
    ColorModel cm = img.getColorModel();
    int h = img.getHeight();
    int w = img.getWidth();
    if (h <= 0 || w <= 0) {
      throw new TensorFormatException(name, "image is empty (" + w + "x" + h + ")");
    }
    boolean indexed = img.getType() == BufferedImage.TYPE_BYTE_INDEXED || img.getType() == BufferedImage.TYPE_BYTE_BINARY;
    int bands = indexed ? (cm.hasAlpha() ? 4 : 3) : r.getNumBands();
    if (bands < 1 || bands > 4) {
      throw new TensorFormatException(name, "unsupported image with " + bands + " channels");
    }
    int bits = indexed ? 8 : cm.getComponentSize(0);
    int max = r.getTransferType() == DataBuffer.TYPE_USHORT && !indexed ? 65535 : 255;
    float[] out = new float[h * w * bands];
    int[] px = new int[bands];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (indexed) {
          int argb = img.getRGB(x, y);
          px[0] = (argb >> 16) & 0xff;
          px[1] = (argb >> 8) & 0xff;
          px[2] = argb & 0xff;
          if (bands == 4) {
            px[3] = (argb >>> 24) & 0xff;
          }
        } else {
          r.getPixel(x, y, px);
        }
        int base = (y * w + x) * bands;
        for (int c = 0; c < bands; c++) {
          int src = bgr && bands >= 3 && c < 3 ? 2 - c : c;
          out[base + c] = scaling.decode(px[src], max);
        }
      }
    }
    return new Image(h, w, bands, bits, out);
  }

  /**
   * Decodes already-decoded 8-bit pixels, row-major and interleaved with colour channels in B,G,R(,A) order: the
   * layout of the {@code data} field of Spark's {@code image} data source (OpenCV types CV_8UC1/3/4).
   *
   * @param name the image's origin, for messages
   * @param bgr whether to return colour channels as B,G,R(,A) (as stored) instead of R,G,B(,A)
   * @throws TensorFormatException when the sizes do not match the data
   */
  public static Image fromInterleavedBgr(byte[] data, int height, int width, int channels, String name,
      PixelScaling scaling, boolean bgr) {
    if (height <= 0 || width <= 0 || channels < 1 || channels > 4 || channels == 2) {
      throw new TensorFormatException(name, "unsupported image of " + width + "x" + height + " with " + channels
          + " channels");
    }
    long n = (long) height * width * channels;
    if (data == null || data.length != n) {
      throw new TensorFormatException(name, "image data has " + (data == null ? 0 : data.length)
          + " bytes, expected " + n + " for " + width + "x" + height + "x" + channels);
    }
    float[] out = new float[(int) n];
    for (int p = 0; p < n; p += channels) {
      for (int c = 0; c < channels; c++) {
        int src = !bgr && channels >= 3 && c < 3 ? 2 - c : c;
        out[p + c] = scaling.decode(data[p + src] & 0xff, 255);
      }
    }
    return new Image(height, width, channels, 8, out);
  }

  /**
   * Encodes float HWC pixels with 1, 3 or 4 channels as 8-bit {@code png} or {@code jpeg} (alpha dropped for JPEG).
   */
  public static byte[] encode(float[] hwc, int height, int width, int channels, String format, PixelScaling scaling,
      boolean bgr) {
    String f = format.toLowerCase(Locale.ROOT);
    boolean jpeg = f.equals("jpeg") || f.equals("jpg");
    if (!jpeg && !f.equals("png")) {
      throw new IllegalArgumentException("Cannot encode image: format must be png or jpeg (got '" + format + "')");
    }
    if (channels != 1 && channels != 3 && channels != 4) {
      throw new IllegalArgumentException("Cannot encode image: needs 1, 3 or 4 channels (got " + channels + ")");
    }
    int outBands = jpeg && channels == 4 ? 3 : channels;
    int type = outBands == 1 ? BufferedImage.TYPE_BYTE_GRAY
        : outBands == 3 ? BufferedImage.TYPE_3BYTE_BGR : BufferedImage.TYPE_4BYTE_ABGR;
    BufferedImage img = new BufferedImage(width, height, type);
    WritableRaster r = img.getRaster();
    int[] px = new int[outBands];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int base = (y * width + x) * channels;
        for (int c = 0; c < outBands; c++) {
          int src = bgr && channels >= 3 && c < 3 ? 2 - c : c;
          px[c] = scaling.encode(hwc[base + src], 255);
        }
        r.setPixel(x, y, px);
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(img, jpeg ? "jpeg" : "png", bytes)) {
        throw new IllegalStateException("no ImageIO writer for " + f);
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot encode image: " + e.getMessage(), e);
    }
    return bytes.toByteArray();
  }
}

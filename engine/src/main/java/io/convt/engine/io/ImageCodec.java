package io.convt.engine.io;

import io.convt.engine.backend.KernelBackends;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

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

  /**
   * Images above this many pixels are refused unless the caller passes another limit: Pillow's decompression-bomb
   * threshold (89 478 485 pixels, a 1 GB 32-bit RGBA image at its origin), about 9459 × 9459.
   */
  public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

  /**
   * An image's size as its header declares it, read without decoding any pixel.
   *
   * @param channels samples per pixel the decoder will produce (4 when the header does not say)
   * @param bitsPerSample 8 or 16 (8 when the header does not say)
   * @param format the decoder's format name, e.g. {@code png}
   */
  public record Dimensions(int width, int height, int channels, int bitsPerSample, String format) {
    /** {@code width × height}, exact. */
    public long pixels() {
      return (long) width * height;
    }

    /** Bytes held while decoding: the decoder's raster plus the float pixels, exact. */
    public long decodeBytes() {
      return HeapBudget.bytes(HeapBudget.bytes(pixels(), channels), bitsPerSample / 8 + 4L);
    }
  }

  private ImageCodec() {}

  /** The declared size of the image in {@code bytes}; {@code name} is for messages. */
  public static Dimensions dimensions(byte[] bytes, String name) {
    return dimensions(new ByteArrayInputStream(bytes), name);
  }

  /**
   * The declared size of the image at the start of {@code in} (read only as far as the header; the caller closes
   * {@code in}). For a Hadoop or other stream, e.g. before reading a whole file into memory.
   *
   * @throws TensorFormatException naming {@code name} when no decoder recognises the header or it is corrupt
   */
  public static Dimensions dimensions(InputStream in, String name) {
    try (ImageInputStream iis = ImageIO.createImageInputStream(in)) {
      if (iis == null) {
        throw new TensorFormatException(name, "not a readable PNG, JPEG or BMP image");
      }
      Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
      if (!readers.hasNext()) {
        throw new TensorFormatException(name, "not a readable PNG, JPEG or BMP image");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(iis, true, true);
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        ImageTypeSpecifier type = reader.getRawImageType(0);
        int channels = 4;
        int bits = 8;
        if (type != null && !(type.getColorModel() instanceof IndexColorModel)) { // palettes decode to RGB(A)
          channels = type.getNumBands();
          bits = type.getSampleModel().getSampleSize(0) > 8 ? 16 : 8;
        }
        return new Dimensions(w, h, channels, bits, reader.getFormatName().toLowerCase(Locale.ROOT));
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof TensorFormatException t) {
        throw t;
      }
      throw new TensorFormatException(name, "corrupt or unreadable image header: " + e.getMessage(), e);
    }
  }

  /** The declared size of the image file {@code file}, which must be a regular file (no FIFO or device). */
  public static Dimensions dimensions(Path file) {
    InputFiles.requireRegularFile(file);
    try (InputStream in = Files.newInputStream(file)) {
      return dimensions(in, file.toString());
    } catch (IOException e) {
      throw new TensorFormatException(file.toString(), "cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Refuses an image whose declared size is above {@code maxPixels} or would not fit the heap budget.
   *
   * @throws TensorFormatException one line naming the file, the declared size and the limit
   */
  public static void requireDecodable(Dimensions d, String name, long maxPixels) {
    if (d.width() <= 0 || d.height() <= 0) {
      throw new TensorFormatException(name, "image is empty (" + d.width() + "x" + d.height() + ")");
    }
    if (d.pixels() > maxPixels) {
      throw new TensorFormatException(name, "image declares " + d.width() + "x" + d.height() + " = " + d.pixels()
          + " pixels, more than the limit of " + maxPixels + " (too large to decode safely)");
    }
    if (HeapBudget.bytes(d.pixels(), Math.max(3, d.channels())) > Integer.MAX_VALUE - 8) {
      throw new TensorFormatException(name, "image declares " + d.width() + "x" + d.height() + " with up to "
          + Math.max(3, d.channels()) + " channels, more values than one array can hold");
    }
    HeapBudget.require(name, "image of " + d.width() + "x" + d.height() + "x" + d.channels(), d.decodeBytes());
  }

  /** {@link #decode(byte[], String, PixelScaling, boolean, long)} with {@link #DEFAULT_MAX_PIXELS}. */
  public static Image decode(byte[] bytes, String name, PixelScaling scaling, boolean bgr) {
    return decode(bytes, name, scaling, bgr, DEFAULT_MAX_PIXELS);
  }

  /**
   * Reads and decodes the image file {@code file}: it must be a regular file (a FIFO, device or link to one is
   * refused without being opened), and its size is checked from the header before it is decoded.
   */
  public static Image read(Path file, PixelScaling scaling, boolean bgr, long maxPixels) {
    String name = file.toString();
    requireDecodable(dimensions(file), name, maxPixels);
    try {
      HeapBudget.require(name, "image file of " + Files.size(file) + " bytes", Files.size(file));
      return decode(Files.readAllBytes(file), name, scaling, bgr, maxPixels);
    } catch (IOException e) {
      throw new TensorFormatException(name, "cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Decodes an image after checking the size its header declares against {@code maxPixels} and the heap budget
   * ({@link #requireDecodable}), so that a small file declaring a huge image is refused before any pixel is
   * allocated.
   *
   * @param name file name or path, for messages
   * @param bgr whether to return colour channels as B,G,R(,A) instead of R,G,B(,A)
   * @param maxPixels largest {@code width × height} accepted
   * @throws TensorFormatException when the bytes are not a readable image, or it is too large
   */
  public static Image decode(byte[] bytes, String name, PixelScaling scaling, boolean bgr, long maxPixels) {
    requireDecodable(dimensions(bytes, name), name, maxPixels);
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

package io.convt.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bounded memory for hostile inputs, generated here: an image's size comes from its header before any pixel is
 * decoded; non-regular files are never opened; a zip-bomb {@code .npz} entry is refused before it is inflated.
 */
class ImageBoundsTest {
  @TempDir Path tmp;

  static byte[] png(int h, int w, int channels) {
    float[] px = new float[h * w * channels];
    Arrays.fill(px, 0.5f);
    return ImageCodec.encode(px, h, w, channels, "png", PixelScaling.UNIT, false);
  }

  /** {@code png} with its IHDR width and height replaced (and its CRC fixed): the pixel data no longer matches. */
  static byte[] declaring(byte[] png, int width, int height) {
    byte[] b = png.clone();
    ByteBuffer.wrap(b).putInt(16, width).putInt(20, height); // IHDR data starts at 16: width, height
    CRC32 crc = new CRC32();
    crc.update(b, 12, 17); // chunk type + 13 data bytes
    ByteBuffer.wrap(b).putInt(29, (int) crc.getValue());
    return b;
  }

  @Test
  void dimensionsComeFromTheHeaderOfEachFormat() throws IOException {
    ImageCodec.Dimensions d = ImageCodec.dimensions(png(3, 5, 3), "a.png");
    assertEquals(new ImageCodec.Dimensions(5, 3, 3, 8, "png"), d);
    float[] gray = new float[7 * 2];
    byte[] jpeg = ImageCodec.encode(gray, 7, 2, 1, "jpeg", PixelScaling.UNIT, false);
    ImageCodec.Dimensions j = ImageCodec.dimensions(jpeg, "a.jpg");
    assertEquals(2, j.width());
    assertEquals(7, j.height());
    Path file = Files.write(tmp.resolve("b.png"), png(4, 6, 4));
    assertEquals(new ImageCodec.Dimensions(6, 4, 4, 8, "png"), ImageCodec.dimensions(file));
  }

  @Test
  void aSmallPngDeclaringAHugeImageIsRefusedBeforeDecoding() {
    byte[] bomb = declaring(png(2, 2, 3), 20000, 20000);
    assertTrue(bomb.length < 200);
    assertEquals(400_000_000L, ImageCodec.dimensions(bomb, "bomb.png").pixels());
    TensorFormatException e = assertThrows(TensorFormatException.class,
        () -> ImageCodec.decode(bomb, "bomb.png", PixelScaling.UNIT, false));
    assertEquals("bomb.png: image declares 20000x20000 = 400000000 pixels, more than the limit of 89478485 "
        + "(too large to decode safely)", e.getMessage());
    e = assertThrows(TensorFormatException.class,
        () -> ImageCodec.decode(png(5, 5, 1), "small.png", PixelScaling.UNIT, false, 24));
    assertEquals("small.png: image declares 5x5 = 25 pixels, more than the limit of 24 (too large to decode safely)",
        e.getMessage());
    assertEquals(25, ImageCodec.decode(png(5, 5, 1), "ok.png", PixelScaling.UNIT, false, 25).hwc().length);
  }

  @Test
  void anImageBeyondTheHeapBudgetOrAnArrayIsRefusedEvenUnderThePixelLimit() {
    byte[] big = declaring(png(2, 2, 3), 46_000, 46_000); // 6.3e9 values: more than one float[] holds
    TensorFormatException e = assertThrows(TensorFormatException.class,
        () -> ImageCodec.decode(big, "big.png", PixelScaling.UNIT, false, Long.MAX_VALUE));
    assertEquals("big.png: image declares 46000x46000 with up to 3 channels, more values than one array can hold",
        e.getMessage());
    long side = (long) Math.sqrt(HeapBudget.limitBytes() / 15.0) + 100; // 3 channels x 5 bytes just above half the heap
    if (side * side * 3 < Integer.MAX_VALUE - 8) {
      byte[] heavy = declaring(png(2, 2, 3), (int) side, (int) side);
      e = assertThrows(TensorFormatException.class,
          () -> ImageCodec.decode(heavy, "heavy.png", PixelScaling.UNIT, false, Long.MAX_VALUE));
      assertTrue(e.getMessage().startsWith("heavy.png: image of " + side + "x" + side + "x3 needs "), e.getMessage());
      assertTrue(e.getMessage().contains("half of this JVM's maximum heap"), e.getMessage());
    }
  }

  @Test
  void fifosAndDevicesAreRefusedWithoutBeingOpened() throws Exception {
    Path fifo = tmp.resolve("in.png");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
    Path zero = Files.createSymbolicLink(tmp.resolve("zero.png"), Path.of("/dev/zero"));
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      TensorFormatException e = assertThrows(TensorFormatException.class, () -> ImageCodec.dimensions(fifo));
      assertEquals(fifo + ": is a FIFO, not a regular file; refusing to open it (it may block or never end)",
          e.getMessage());
      e = assertThrows(TensorFormatException.class, () -> ImageCodec.read(zero, PixelScaling.UNIT, false, 100));
      assertTrue(e.getMessage().startsWith(zero + ": is a character device, not a regular file"), e.getMessage());
      e = assertThrows(TensorFormatException.class, () -> Npy.read(fifo));
      assertTrue(e.getMessage().startsWith(fifo + ": is a FIFO"), e.getMessage());
      e = assertThrows(TensorFormatException.class, () -> NpyRecordReader.open(zero, 4));
      assertTrue(e.getMessage().startsWith(zero + ": is a character device"), e.getMessage());
      e = assertThrows(TensorFormatException.class, () -> Npz.read(fifo));
      assertTrue(e.getMessage().startsWith(fifo + ": is a FIFO"), e.getMessage());
      e = assertThrows(TensorFormatException.class, () -> Safetensors.read(zero));
      assertTrue(e.getMessage().startsWith(zero + ": is a character device"), e.getMessage());
      e = assertThrows(TensorFormatException.class, () -> WeightFiles.read(fifo, "weights", "weight"));
      assertTrue(e.getMessage().startsWith(fifo + ": weights file is a FIFO"), e.getMessage());
    });
  }

  @Test
  void aCompressedNpzEntryInflatingHundredsOfTimesItsSizeIsRefusedBeforeInflating() throws IOException {
    int n = 16 << 20; // 16 Mi float32 zeros: 64 MB that deflate to about 64 KB
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      zip.putNextEntry(new ZipEntry("weight.npy"));
      zip.write(headerF4(n));
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 4 * n / zeros.length; i++) {
        zip.write(zeros);
      }
      zip.closeEntry();
    }
    Path npz = Files.write(tmp.resolve("bomb.npz"), bytes.toByteArray());
    assertTrue(Files.size(npz) < 1 << 20, "small file: " + Files.size(npz));
    TensorFormatException e = assertThrows(TensorFormatException.class, () -> Npz.read(npz));
    assertTrue(e.getMessage().startsWith(npz + ": entry 'weight.npy' declares " + (4L * n + 128) + " bytes from "),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("a ratio above 100 (zip bomb or corrupt archive)"), e.getMessage());
  }

  @Test
  void theHeapBudgetIsExactAndNamesTheFile() {
    assertEquals(Long.MAX_VALUE, HeapBudget.bytes(Long.MAX_VALUE / 2, 3));
    HeapBudget.require("ok.npy", "a small array", HeapBudget.limitBytes());
    TensorFormatException e = assertThrows(TensorFormatException.class,
        () -> HeapBudget.require("big.npy", "[1000000, 1000000] of <f4", HeapBudget.bytes(1_000_000L * 1_000_000L, 8)));
    assertTrue(e.getMessage().startsWith("big.npy: [1000000, 1000000] of <f4 needs 7629395 MB of memory to load"),
        e.getMessage());
  }

  static byte[] headerF4(int n) {
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ",), }";
    int pad = 128 - 10 - dict.length() - 1;
    byte[] text = (dict + " ".repeat(pad) + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(10 + text.length).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) text.length).put(text).array();
  }
}

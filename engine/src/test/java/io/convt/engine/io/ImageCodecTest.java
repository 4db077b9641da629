package io.convt.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Interleaved B,G,R(,A) bytes (Spark's image rows) to float pixels, against the PNG decoder. */
class ImageCodecTest {
  @Test
  void interleavedBgrBytesDecodeLikeThePngOfTheSamePixels() {
    int h = 3;
    int w = 5;
    float[] rgba = new float[h * w * 4];
    for (int i = 0; i < rgba.length; i++) {
      rgba[i] = ((i * 37) % 256) / 255f;
    }
    byte[] png = ImageCodec.encode(rgba, h, w, 4, "png", PixelScaling.UNIT, false);
    byte[] bgra = new byte[rgba.length];
    for (int p = 0; p < rgba.length; p += 4) {
      for (int c = 0; c < 4; c++) {
        int from = c < 3 ? 2 - c : c; // B,G,R,A as Spark stores them
        bgra[p + c] = (byte) Math.round(rgba[p + from] * 255);
      }
    }
    for (boolean bgr : new boolean[] {false, true}) {
      for (PixelScaling s : PixelScaling.values()) {
        ImageCodec.Image want = ImageCodec.decode(png, "x.png", s, bgr);
        ImageCodec.Image got = ImageCodec.fromInterleavedBgr(bgra, h, w, 4, "x", s, bgr);
        assertEquals(want.channels(), got.channels());
        assertArrayEquals(want.hwc(), got.hwc(), s + " bgr=" + bgr);
      }
    }
  }

  @Test
  void sizesThatDoNotMatchTheDataAreRefusedWithTheOrigin() {
    TensorFormatException e = assertThrows(TensorFormatException.class,
        () -> ImageCodec.fromInterleavedBgr(new byte[10], 2, 2, 3, "file:/a.png", PixelScaling.UNIT, false));
    assertTrue(e.getMessage().contains("file:/a.png") && e.getMessage().contains("expected 12"), e.getMessage());
    assertThrows(TensorFormatException.class,
        () -> ImageCodec.fromInterleavedBgr(new byte[8], 2, 2, 2, "b", PixelScaling.UNIT, false));
  }
}

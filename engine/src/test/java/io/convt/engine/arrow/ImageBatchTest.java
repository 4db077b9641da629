package io.convt.engine.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CHW views of a batch, element by element against the NHWC accessors, across tile boundaries. */
class ImageBatchTest {
  private BufferAllocator allocator;

  @BeforeEach
  void open() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void close() {
    allocator.close(); // throws on a leaked buffer
  }

  // shapes: one tile or less, a plane that is not a multiple of the tile, 16-pixel tiles for wide channel counts
  @ParameterizedTest(name = "{0}x{1}x{2}x{3}")
  @CsvSource({"1,1,1,1", "2,3,5,3", "3,128,128,32", "2,7,9,300", "1,33,1,4096", "2,17,19,1", "1,5,5,5000"})
  void chwViewsMatchTheNhwcAccessors(int count, int height, int width, int channels) {
    SplittableRandom rng = new SplittableRandom(count * 31L + channels);
    try (ImageBatch batch = ImageBatch.allocate(allocator, count, height, width, channels)) {
      int plane = height * width;
      for (int n = 0; n < count; n++) {
        float[] chw = new float[plane * channels];
        for (int i = 0; i < chw.length; i++) {
          chw[i] = (float) rng.nextDouble(-1, 1);
        }
        batch.writeCHW(n, chw);
        for (int c = 0; c < channels; c++) {
          for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
              assertEquals(chw[c * plane + y * width + x], batch.get(n, y, x, c), "image " + n + " (" + y + "," + x
                  + "," + c + ")");
            }
          }
        }
        float[] back = new float[chw.length];
        batch.readCHW(n, back);
        assertArrayEquals(chw, back, "image " + n);
        // into a little-endian byte buffer's float view (a writer's page), at an offset: bits equal, position moved
        FloatBuffer page = ByteBuffer.allocate(4 * (chw.length + 5))
            .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        page.position(3);
        batch.readCHW(n, page);
        assertEquals(3 + chw.length, page.position(), "position after image " + n);
        float[] viaBuffer = new float[chw.length];
        page.get(3, viaBuffer);
        assertArrayEquals(chw, viaBuffer, "image " + n + " into a buffer");
        assertEquals(0f, page.get(2), "nothing written before the position");
        assertEquals(0f, page.get(3 + chw.length), "nothing written past the image");
      }
      // the other images are untouched by a write to one of them
      if (count > 1) {
        float[] first = new float[plane * channels];
        batch.readCHW(0, first);
        batch.writeCHW(count - 1, new float[plane * channels]);
        float[] again = new float[plane * channels];
        batch.readCHW(0, again);
        assertArrayEquals(first, again);
      }
    }
  }

  @ParameterizedTest(name = "image {0}")
  @CsvSource({"-1", "2"})
  void chwViewsRefuseAnImageOutsideTheBatch(int n) {
    try (ImageBatch batch = ImageBatch.allocate(allocator, 2, 2, 2, 3)) {
      assertThrows(IndexOutOfBoundsException.class, () -> batch.readCHW(n, new float[12]));
      assertThrows(IndexOutOfBoundsException.class, () -> batch.writeCHW(n, new float[12]));
      assertThrows(IndexOutOfBoundsException.class, () -> batch.readCHW(n, FloatBuffer.allocate(12)));
    }
  }

  @Test
  void chwIntoABufferTooSmallIsRefusedBeforeWriting() {
    try (ImageBatch batch = ImageBatch.allocate(allocator, 1, 2, 2, 3)) {
      FloatBuffer small = FloatBuffer.allocate(11);
      assertThrows(BufferOverflowException.class, () -> batch.readCHW(0, small));
      assertEquals(0, small.position());
    }
  }
}

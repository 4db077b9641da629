package io.convt.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.convt.engine.arrow.ImageBatch;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/** Spec §1.3: the 1-D worked example, one channel, stride 2, k = 3, T = 0, destination width 8. */
class WorkedExampleTest {
  @Test
  void strideTwoKernelThreeMatchesTheSpecVector() {
    float a = 1f, b = 10f, c = 100f;
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 1, 1, 1).stride(2, 1).build();
    ConvTranspose k = new ConvTranspose(new ArrayDataSource(d, new float[] {a, b, c}, null, "w"));
    try (RootAllocator alloc = new RootAllocator();
        ImageBatch src = ImageBatch.allocate(alloc, 1, 1, 4, 1);
        ImageBatch dst = ImageBatch.allocate(alloc, 1, 1, 8, 1)) {
      src.writeHWC(0, new float[] {1, 2, 3, 4});
      k.encode(src, dst); // manual mode, T = 0
      float[] out = new float[8];
      dst.readHWC(0, out);
      assertArrayEquals(
          new float[] {b, a + 2 * c, 2 * b, 2 * a + 3 * c, 3 * b, 3 * a + 4 * c, 4 * b, 4 * a}, out, 0f);
    }
  }
}

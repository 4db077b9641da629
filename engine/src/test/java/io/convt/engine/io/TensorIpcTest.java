package io.convt.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.arrow.FixedShapeTensorType;
import io.convt.engine.arrow.ImageBatch;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-written {@code arrow.fixed_shape_tensor} type through an IPC file round trip. */
class TensorIpcTest {
  @TempDir Path tmp;

  @Test
  void roundTripKeepsIdsShapeValuesAndTheCanonicalMetadata() throws IOException {
    Path f = tmp.resolve("t.arrow");
    float[] a = {1, 2, 3, 4, 5, 6};
    float[] b = {-1, 0.5f, Float.MIN_VALUE, 7, 8, 9};
    try (RootAllocator alloc = new RootAllocator();
        FileChannel out = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      TensorIpc.write(out, new int[] {1, 2, 3}, List.of("a", "b"), List.of(a, b), alloc);
    }
    try (RootAllocator alloc = new RootAllocator(); FileChannel in = FileChannel.open(f)) {
      List<TensorIpc.Tensor> t = TensorIpc.read(in, f.toString(), alloc);
      assertEquals(2, t.size());
      assertEquals("b", t.get(1).id());
      assertArrayEquals(new int[] {1, 2, 3}, t.get(1).shape());
      assertArrayEquals(b, t.get(1).data(), 0f);
    }
    String bytes = new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(bytes.contains("arrow.fixed_shape_tensor"), "extension name in the schema metadata");
    assertTrue(bytes.contains("{\"shape\":[1,2,3],\"dim_names\":[\"C\",\"H\",\"W\"]}"), "canonical metadata JSON");
  }

  @Test
  void streamedFileOfSeveralBatchesReadsBackInOrderAndFreesItsMemory() throws IOException {
    Path f = tmp.resolve("s.arrow");
    int n = 7;
    try (RootAllocator alloc = new RootAllocator()) {
      try (TensorIpcWriter w = new TensorIpcWriter(FileChannel.open(f, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE), new int[] {2, 1, 3}, 3, alloc)) {
        for (int i = 0; i < n; i++) {
          w.add("r" + i, new float[] {i, -i, i + 0.5f, Float.NaN, i * 1e-40f, 6});
        }
        assertThrows(IllegalArgumentException.class, () -> w.add("bad", new float[5]));
        w.finish();
      }
      assertEquals(0, alloc.getAllocatedMemory(), "the writer freed its batch");
    }
    try (RootAllocator alloc = new RootAllocator(); FileChannel in = FileChannel.open(f)) {
      List<TensorIpc.Tensor> t = TensorIpc.read(in, f.toString(), alloc);
      assertEquals(n, t.size()); // batches of 3, 3 and 1 rows
      for (int i = 0; i < n; i++) {
        assertEquals("r" + i, t.get(i).id());
        assertArrayEquals(new int[] {2, 1, 3}, t.get(i).shape());
        assertArrayEquals(new float[] {i, -i, i + 0.5f, Float.NaN, i * 1e-40f, 6}, t.get(i).data(), 0f);
      }
    }
  }

  @Test
  void imagesGoStraightFromABatchIntoTheFileAsChw() throws IOException {
    Path f = tmp.resolve("b.arrow");
    int count = 5;
    int[] chw = {3, 4, 6};
    float[][] images = new float[count][];
    try (RootAllocator alloc = new RootAllocator()) {
      try (ImageBatch batch = ImageBatch.allocate(alloc, count, chw[1], chw[2], chw[0]);
          TensorIpcWriter w = new TensorIpcWriter(FileChannel.open(f, StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE), chw, 2, alloc)) {
        for (int n = 0; n < count; n++) {
          images[n] = new float[3 * 4 * 6];
          for (int i = 0; i < images[n].length; i++) {
            images[n][i] = n * 1000 + i + 0.25f;
          }
          batch.writeCHW(n, images[n]);
        }
        for (int n = count - 1; n >= 0; n--) { // any order: each row is the image asked for
          w.add("img" + n, batch, n);
        }
        try (ImageBatch other = ImageBatch.allocate(alloc, 1, 6, 4, 3)) {
          assertThrows(IllegalArgumentException.class, () -> w.add("wrong", other, 0));
        }
        w.finish();
      }
      assertEquals(0, alloc.getAllocatedMemory());
    }
    try (RootAllocator alloc = new RootAllocator(); FileChannel in = FileChannel.open(f)) {
      List<TensorIpc.Tensor> t = TensorIpc.read(in, f.toString(), alloc);
      assertEquals(count, t.size());
      for (int i = 0; i < count; i++) {
        int n = count - 1 - i;
        assertEquals("img" + n, t.get(i).id());
        assertArrayEquals(chw, t.get(i).shape());
        assertArrayEquals(images[n], t.get(i).data(), 0f);
      }
    }
  }

  @Test
  void garbageIsAClearError() throws IOException {
    Path f = Files.write(tmp.resolve("junk.arrow"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    try (RootAllocator alloc = new RootAllocator(); FileChannel in = FileChannel.open(f)) {
      TensorFormatException e = assertThrows(TensorFormatException.class, () -> TensorIpc.read(in, f.toString(), alloc));
      assertTrue(e.getMessage().contains("junk.arrow"), e.getMessage());
    }
  }

  @Test
  void typeValidatesItsShapeAndMetadata() {
    assertThrows(IllegalArgumentException.class, () -> new FixedShapeTensorType(new int[] {0, 2}, null));
    FixedShapeTensorType t = new FixedShapeTensorType(new int[] {2, 2}, null);
    assertThrows(IllegalArgumentException.class,
        () -> t.deserialize(new org.apache.arrow.vector.types.pojo.ArrowType.FixedSizeList(5), "{\"shape\":[2,2]}"));
    assertEquals(t, t.deserialize(new org.apache.arrow.vector.types.pojo.ArrowType.FixedSizeList(4), t.serialize()));
  }
}

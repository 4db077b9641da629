package io.convt.job.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.arrow.ImageBatch;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.types.Metadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Good records as views of the kernel's output batch ({@link OutputImages}): every writer writes exactly the bytes
 * it writes for the same records held as {@code float[]}, and a view cannot be read after its batch is released.
 */
class OutputViewsTest {
  @TempDir Path tmp;
  private BufferAllocator allocator;
  private final List<OutputImages> batches = new ArrayList<>();

  @BeforeEach
  void open() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void close() {
    batches.forEach(OutputImages::close);
    allocator.close(); // throws on a leaked batch
  }

  /**
   * Two shapes, several batches: {@code arrays} gets each image as a CHW array, the returned list the same images
   * as views of their batch. 40 000-float images (160 KB) make several Parquet pages per row group.
   */
  private List<OutputRecord> views(List<OutputRecord> arrays) {
    Random r = new Random(11);
    List<OutputRecord> views = new ArrayList<>();
    int[][] shapes = {{4, 100, 100}, {4, 100, 100}, {3, 7, 9}, {4, 100, 100}};
    int[] counts = {5, 3, 4, 6};
    for (int b = 0; b < shapes.length; b++) {
      int[] s = shapes[b];
      ImageBatch batch = ImageBatch.allocate(allocator, counts[b], s[1], s[2], s[0]);
      OutputImages images = new OutputImages(batch);
      batches.add(images);
      for (int n = 0; n < counts[b]; n++) {
        float[] chw = new float[batch.imageSize()];
        for (int i = 0; i < chw.length; i++) {
          chw[i] = Float.intBitsToFloat(r.nextInt() & 0x7f7fffff) * (r.nextBoolean() ? 1 : -1); // finite
        }
        batch.writeCHW(n, chw);
        String id = "b" + b + "#" + n;
        arrays.add(OutputRecord.ok(id, s, chw));
        views.add(OutputRecord.ok(id, images, n));
      }
    }
    return views;
  }

  @Test
  void parquetFilesFromViewsAreByteForByteTheFilesFromArrays() throws IOException {
    List<OutputRecord> arrays = new ArrayList<>();
    List<OutputRecord> views = views(arrays);
    String schema = InferJob.outputSchema(Metadata.empty()).json();
    ParquetOptions options = new ParquetOptions("none", false, false, 1L << 20);
    for (boolean pages : new boolean[] {true, false}) { // page by page, and Parquet's column writer (getData)
      Path a = Files.createDirectories(tmp.resolve("arrays-" + pages));
      Path v = Files.createDirectories(tmp.resolve("views-" + pages));
      ParquetPartWriter.write(arrays.iterator(), a.toString(), options, schema, false, pages, new Configuration());
      ParquetPartWriter.write(views.iterator(), v.toString(), options, schema, false, pages, new Configuration());
      byte[] want = Files.readAllBytes(a.resolve("part-00000.parquet"));
      assertTrue(want.length > 18 * 4 * 10_000, "the file holds the floats");
      assertArrayEquals(want, Files.readAllBytes(v.resolve("part-00000.parquet")), "pages=" + pages);
    }
  }

  @Test
  void arrowFilesFromViewsAreByteForByteTheFilesFromArrays() throws IOException {
    List<OutputRecord> arrays = new ArrayList<>();
    List<OutputRecord> views = views(arrays);
    Path a = tmp.resolve("arrays");
    Path v = tmp.resolve("views");
    ArrowPartWriter.write(arrays.iterator(), a.toString(), false, new Configuration());
    ArrowPartWriter.write(views.iterator(), v.toString(), false, new Configuration());
    List<String> names = new ArrayList<>();
    try (var files = Files.list(a)) {
      files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".arrow")).sorted().forEach(names::add);
    }
    assertEquals(3, names.size(), "one file per run of one shape: " + names);
    for (String name : names) {
      assertArrayEquals(Files.readAllBytes(a.resolve(name)), Files.readAllBytes(v.resolve(name)), name);
    }
  }

  @Test
  void aViewIsCopiedOutWhenAskedAndRefusedOnceItsBatchIsReleased() throws Exception {
    List<OutputRecord> arrays = new ArrayList<>();
    List<OutputRecord> views = views(arrays);
    OutputRecord view = views.get(1);
    float[] copy = view.getData();
    assertArrayEquals(arrays.get(1).getData(), copy);
    assertNotSame(copy, view.getData(), "each call copies: the batch stays the owner");
    assertEquals(copy.length, view.dataLength());
    // for image encoders: HWC straight from the batch, the same as the array transposed
    assertArrayEquals(arrays.get(1).getDataHwc(), view.getDataHwc());
    assertEquals(copy[1], view.getDataHwc()[view.getShape()[0]], "HWC: channel 0 of the second pixel");

    // serialized with its data (a record never travels without it)
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(view);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      OutputRecord back = (OutputRecord) in.readObject();
      assertEquals(view.getId(), back.getId());
      assertArrayEquals(view.getShape(), back.getShape());
      assertArrayEquals(copy, back.getData());
    }

    long held = allocator.getAllocatedMemory();
    batches.get(0).close();
    assertTrue(allocator.getAllocatedMemory() < held, "the released batch's memory is freed");
    IllegalStateException e = assertThrows(IllegalStateException.class, view::getData);
    assertTrue(e.getMessage().contains(view.getId()) && e.getMessage().contains("released"), e.getMessage());
  }
}

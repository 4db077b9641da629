package io.convt.job.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.internal.column.columnindex.OffsetIndex;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.Metadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ParquetDataPages}, the {@code data} column written page by page, against Parquet's own column writer on
 * the same rows: Spark's reader and parquet-hadoop's read every float back bit for bit, and the column chunks carry
 * the same metadata (encodings, value counts, empty statistics, level histograms, no column index, an offset index
 * whose pages start on rows).
 */
public class ParquetDataPagesTest {
  static SparkSession spark;
  static String sparkSchema;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark = io.convt.job.gradients.TestSpark.session();
    sparkSchema = InferJob.outputSchema(Metadata.empty()).json();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** Finite floats that stress a byte copy: signed zeros, subnormals, extremes, and random bit patterns. */
  private static float[] values(Random r, int n) {
    float[] special = {-0f, 0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-40f, -3e-39f,
        Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, Math.nextDown(Float.MIN_NORMAL)};
    float[] d = new float[n];
    for (int i = 0; i < n; i++) {
      if (i < special.length) {
        d[i] = special[i];
        continue;
      }
      float f;
      do {
        f = Float.intBitsToFloat(r.nextInt());
      } while (!Float.isFinite(f));
      d[i] = f;
    }
    return d;
  }

  private static OutputRecord record(int i, float[] data) {
    return OutputRecord.ok(String.format("r%05d", i), data == null ? null : new int[] {1, 1, data.length}, data);
  }

  /**
   * Records smaller than a page (many), larger than a 1 MB page (300 000 floats), around it, a null and an empty
   * data list: several pages per column chunk and several row groups at 1 MB per group.
   */
  private static List<OutputRecord> mixed(int small) {
    Random r = new Random(5);
    List<OutputRecord> rows = new ArrayList<>();
    int i = 0;
    rows.add(record(i++, values(r, 300_000)));
    for (int k = 0; k < small; k++) {
      rows.add(record(i++, values(r, 1 + r.nextInt(900))));
    }
    rows.add(record(i++, null));
    rows.add(record(i++, new float[0]));
    rows.add(record(i++, values(r, 262_144))); // exactly one page threshold of bytes
    rows.add(record(i++, values(r, 70_000)));
    rows.add(record(i++, values(r, 300_001)));
    rows.add(record(i++, null)); // two null lists and one empty: the definition histogram tells them apart
    for (int k = 0; k < small; k++) {
      rows.add(record(i++, values(r, 12)));
    }
    return rows;
  }

  private Path write(String name, List<OutputRecord> rows, ParquetOptions o, boolean pages) throws IOException {
    Path dir = tmp.resolve(name);
    Files.createDirectories(dir);
    ParquetPartWriter.write(rows.iterator(), dir.toString(), o, sparkSchema, false, pages, new org.apache.hadoop.conf.Configuration());
    return dir.resolve("part-00000.parquet");
  }

  private static ParquetOptions options(String codec, int rowGroupMb) {
    return new ParquetOptions(codec, false, false, (long) rowGroupMb << 20);
  }

  private static ParquetFileReader open(Path p) throws IOException {
    return ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(p.toString()),
        new Configuration()));
  }

  /** Spark's reader, vectorised (the default) and row by row: every row's id and data, floats compared by bits. */
  private static void assertSparkReadsBothWays(List<OutputRecord> rows, Path file) {
    String key = "spark.sql.parquet.enableVectorizedReader";
    assertEquals("true", spark.conf().get(key, "true"));
    assertSparkReads(rows, file);
    spark.conf().set(key, "false");
    try {
      assertSparkReads(rows, file);
    } finally {
      spark.conf().unset(key);
    }
  }

  /** Spark's reader: every row's id and data, the floats compared by their bits. */
  private static void assertSparkReads(List<OutputRecord> rows, Path file) {
    List<Row> read = spark.read().parquet(file.toString()).orderBy("id").collectAsList();
    assertEquals(rows.size(), read.size());
    for (int i = 0; i < rows.size(); i++) {
      OutputRecord want = rows.get(i);
      Row got = read.get(i);
      assertEquals(want.getId(), got.getString(0));
      if (want.getData() == null) {
        assertTrue(got.isNullAt(got.fieldIndex("data")), want.getId() + ": a null list");
        continue;
      }
      List<Float> d = got.getList(got.fieldIndex("data"));
      assertBits(want.getId(), want.getData(), d.stream().mapToInt(Float::floatToRawIntBits).toArray());
    }
  }

  /** parquet-hadoop's own reader (example Group records, page checksums verified), independent of Spark. */
  private static void assertParquetHadoopReads(List<OutputRecord> rows, Path file) throws IOException {
    try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(),
        new org.apache.hadoop.fs.Path(file.toString())).usePageChecksumVerification(true).build()) {
      for (OutputRecord want : rows) {
        Group g = reader.read();
        assertNotNull(g, "fewer rows than written");
        assertEquals(want.getId(), g.getString("id", 0));
        if (want.getData() == null) {
          assertEquals(0, g.getFieldRepetitionCount("data"), want.getId() + ": a null list");
          continue;
        }
        Group list = g.getGroup("data", 0);
        int n = list.getFieldRepetitionCount("list");
        int[] bits = new int[n];
        for (int j = 0; j < n; j++) {
          bits[j] = Float.floatToRawIntBits(list.getGroup("list", j).getFloat("element", 0));
        }
        assertBits(want.getId(), want.getData(), bits);
      }
      assertNull(reader.read(), "more rows than written");
    }
  }

  private static void assertBits(String id, float[] want, int[] got) {
    int[] bits = new int[want.length];
    for (int j = 0; j < want.length; j++) {
      bits[j] = Float.floatToRawIntBits(want[j]);
    }
    assertArrayEquals(bits, got, id);
  }

  private static List<ColumnChunkMetaData> chunks(ParquetFileReader r, String path) {
    List<ColumnChunkMetaData> c = new ArrayList<>();
    for (BlockMetaData b : r.getFooter().getBlocks()) {
      b.getColumns().stream().filter(x -> x.getPath().toDotString().equals(path)).forEach(c::add);
    }
    return c;
  }

  /** Chunk metadata that must not depend on where pages or row groups are cut. */
  private static Map<String, Object> described(ColumnChunkMetaData c) {
    Map<String, Object> m = new HashMap<>();
    m.put("codec", c.getCodec());
    m.put("encodings", c.getEncodings());
    m.put("statistics", c.getStatistics().toString());
    m.put("statistics empty", c.getStatistics().isEmpty());
    m.put("size statistics", c.getSizeStatistics() == null ? "none" : c.getSizeStatistics().isValid() + " "
        + c.getSizeStatistics().getUnencodedByteArrayDataBytes());
    m.put("column index", c.getColumnIndexReference() != null);
    m.put("offset index", c.getOffsetIndexReference() != null);
    m.put("type", c.getPrimitiveType());
    return m;
  }

  /** A column's value count and level histograms summed over the file's row groups. */
  private static List<Long> totals(List<ColumnChunkMetaData> chunks) {
    long[] t = new long[6];
    for (ColumnChunkMetaData c : chunks) {
      t[0] += c.getValueCount();
      List<Long> r = c.getSizeStatistics().getRepetitionLevelHistogram();
      List<Long> d = c.getSizeStatistics().getDefinitionLevelHistogram();
      assertEquals(2, r.size(), "repetition levels 0..1");
      assertEquals(3, d.size(), "definition levels 0..2");
      t[1] += r.get(0);
      t[2] += r.get(1);
      t[3] += d.get(0);
      t[4] += d.get(1);
      t[5] += d.get(2);
    }
    return java.util.Arrays.stream(t).boxed().toList();
  }

  @Test
  void pagesAndColumnWriterFilesReadBackBitExactWithTheSameChunkMetadataUnderEveryCodec() throws IOException {
    for (String codec : new String[] {"snappy", "zstd", "gzip", "lz4_raw", "none"}) {
      List<OutputRecord> rows = mixed(codec.equals("snappy") ? 3000 : 300);
      ParquetOptions o = options(codec, 1);
      Path fast = write("pages-" + codec, rows, o, true);
      Path slow = write("writer-" + codec, rows, o, false);
      if (codec.equals("snappy")) {
        assertSparkReadsBothWays(rows, fast);
      } else {
        assertSparkReads(rows, fast);
      }
      assertParquetHadoopReads(rows, fast);
      assertSparkReads(rows, slow);
      try (ParquetFileReader f = open(fast); ParquetFileReader s = open(slow)) {
        assertEquals(s.getFooter().getFileMetaData().getSchema(), f.getFooter().getFileMetaData().getSchema());
        assertEquals(s.getFooter().getFileMetaData().getKeyValueMetaData(),
            f.getFooter().getFileMetaData().getKeyValueMetaData());
        List<BlockMetaData> blocks = f.getFooter().getBlocks();
        assertTrue(blocks.size() >= 3, codec + ": row groups " + blocks.size());
        // row groups end where the buffered size reaches the limit, which depends on where pages were cut, so
        // value counts and level histograms are compared over the file
        List<ColumnChunkMetaData> fd = chunks(f, "data.list.element");
        List<ColumnChunkMetaData> sd = chunks(s, "data.list.element");
        assertEquals(totals(sd), totals(fd), codec + ": values, repetition and definition level histograms");
        long values = rows.stream().mapToLong(x -> x.getData() == null || x.getData().length == 0 ? 1
            : x.getData().length).sum();
        assertEquals(values, totals(fd).get(0));
        assertEquals(rows.size(), totals(fd).get(1), "one repetition level 0 per row");
        int pages = 0;
        for (int g = 0; g < blocks.size(); g++) {
          assertEquals(described(sd.get(0)), described(fd.get(g)), codec + " row group " + g);
          assertTrue((Boolean) described(fd.get(g)).get("statistics empty"));
          assertNull(fd.get(g).getColumnIndexReference(), "no column index without statistics");
          assertNull(f.readColumnIndex(fd.get(g)));
          OffsetIndex index = f.readOffsetIndex(fd.get(g));
          assertEquals(0, index.getFirstRowIndex(0));
          for (int p = 1; p < index.getPageCount(); p++) {
            assertTrue(index.getFirstRowIndex(p) > index.getFirstRowIndex(p - 1), "a page holds whole rows");
          }
          assertTrue(index.getFirstRowIndex(index.getPageCount() - 1) < blocks.get(g).getRowCount());
          pages += index.getPageCount();
          // id and shape are Parquet's column writers on both paths (their min/max depend on the row group)
          for (String other : new String[] {"id", "shape.list.element"}) {
            Map<String, Object> want = described(chunks(s, other).get(0));
            Map<String, Object> got = described(chunks(f, other).get(g));
            want.remove("statistics");
            got.remove("statistics");
            want.remove("size statistics");
            got.remove("size statistics");
            assertEquals(want, got, other);
          }
        }
        assertTrue(pages > blocks.size(), codec + ": several pages per chunk (" + pages + ")");
      }
    }
  }

  @Test
  void oneShapeReusesTheLevelsOfFullPagesAcrossRowGroupsAndStaysExact() throws IOException {
    Random r = new Random(9);
    List<OutputRecord> rows = new ArrayList<>();
    for (int i = 0; i < 48; i++) {
      rows.add(record(i, values(r, 70_000))); // 280 KB: 3 records per 1 MB page
    }
    Path dir = tmp.resolve("one-shape");
    Files.createDirectories(dir);
    int encoded = ParquetPartWriter.write(rows.iterator(), dir.toString(), options("snappy", 1), sparkSchema, false, true,
        new org.apache.hadoop.conf.Configuration());
    Path fast = dir.resolve("part-00000.parquet");
    Path slow = write("one-shape-writer", rows, options("snappy", 1), false);
    assertParquetHadoopReads(rows, fast);
    assertSparkReads(rows, fast);
    try (ParquetFileReader f = open(fast); ParquetFileReader s = open(slow)) {
      assertEquals(totals(chunks(s, "data.list.element")), totals(chunks(f, "data.list.element")));
      int pages = 0;
      for (ColumnChunkMetaData c : chunks(f, "data.list.element")) {
        pages += f.readOffsetIndex(c).getPageCount();
      }
      assertTrue(f.getFooter().getBlocks().size() >= 8, "row groups " + f.getFooter().getBlocks().size());
      // every row group: a full page of 3 records, then its last page with fewer; both encoded once for the file
      assertTrue(encoded >= 2 && encoded <= 4 && pages > 3 * encoded, encoded + " encodings for " + pages + " pages");
    }
  }

  /**
   * Every {@code data} page carries the CRC-32 of its bytes in its header (Parquet's default, kept when the pages
   * bypass Parquet's page store), checked here independently of Parquet's own verification.
   */
  @Test
  void everyDataPageCarriesTheCrc32OfItsBytes() throws IOException {
    List<OutputRecord> rows = mixed(300);
    Path file = write("crc", rows, options("none", 1), true); // uncompressed: the page read is the page stored
    int pages = 0;
    try (ParquetFileReader f = open(file)) {
      org.apache.parquet.column.ColumnDescriptor data =
          f.getFooter().getFileMetaData().getSchema().getColumnDescription(new String[] {"data", "list", "element"});
      for (org.apache.parquet.column.page.PageReadStore group = f.readNextRowGroup(); group != null;
          group = f.readNextRowGroup()) {
        org.apache.parquet.column.page.PageReader reader = group.getPageReader(data);
        for (org.apache.parquet.column.page.DataPage page = reader.readPage(); page != null;
            page = reader.readPage()) {
          java.util.zip.CRC32 crc = new java.util.zip.CRC32();
          crc.update(((org.apache.parquet.column.page.DataPageV1) page).getBytes().toByteArray());
          assertTrue(page.getCrc().isPresent(), "page " + pages + " has a CRC");
          assertEquals((int) crc.getValue(), page.getCrc().getAsInt(), "page " + pages);
          pages++;
        }
      }
    }
    assertTrue(pages > 3, "pages " + pages);
  }

  /**
   * Two tasks of one executor write their files at the same time, each reusing its own page buffers row group after
   * row group (Parquet's shared default values-writer factory once handed one file's writers the other's buffers).
   */
  @Test
  void concurrentFilesKeepTheirOwnPageBuffersAndStayExact() throws Exception {
    List<List<OutputRecord>> rows = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      Random r = new Random(20 + t);
      List<OutputRecord> file = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        file.add(record(i, values(r, 70_000 + t)));
      }
      rows.add(file);
    }
    CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
    ExecutorService tasks = Executors.newFixedThreadPool(2);
    try {
      List<Future<Path>> files = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        List<OutputRecord> file = rows.get(t);
        String name = "concurrent-" + t;
        files.add(tasks.submit(() -> {
          start.await();
          return write(name, file, options("none", 1), true);
        }));
      }
      for (int t = 0; t < 2; t++) {
        Path file = files.get(t).get(120, TimeUnit.SECONDS);
        assertParquetHadoopReads(rows.get(t), file);
        try (ParquetFileReader f = open(file)) {
          assertTrue(f.getFooter().getBlocks().size() >= 10, "row groups " + f.getFooter().getBlocks().size());
        }
      }
    } finally {
      tasks.shutdownNow();
    }
  }

  @Test
  void pagesStayWithinTheThresholdUnlessOneRecordIsLarger() throws IOException {
    List<OutputRecord> rows = mixed(3000);
    Path fast = write("bounded", rows, options("none", 64), true);
    try (ParquetFileReader f = open(fast)) {
      ColumnChunkMetaData c = chunks(f, "data.list.element").get(0);
      assertEquals(1, f.getFooter().getBlocks().size());
      OffsetIndex index = f.readOffsetIndex(c);
      long rowsInGroup = f.getFooter().getBlocks().get(0).getRowCount();
      for (int p = 0; p < index.getPageCount(); p++) {
        long first = index.getFirstRowIndex(p);
        long last = p + 1 < index.getPageCount() ? index.getFirstRowIndex(p + 1) : rowsInGroup;
        // uncompressed: the page is its header plus levels plus 4 bytes per float
        long floats = 0;
        for (long row = first; row < last; row++) {
          float[] d = rows.get((int) row).getData();
          floats += d == null ? 0 : d.length;
        }
        long threshold = 1 << 20;
        assertTrue(last - first == 1 || 4 * floats <= threshold,
            "page " + p + ": " + (last - first) + " rows, " + 4 * floats + " value bytes");
        assertTrue(index.getCompressedPageSize(p) >= 4 * floats);
      }
    }
    assertSparkReads(rows, fast);
  }

  @Test
  void theColumnWriterPathWithStatisticsOrDictionaryDecodesToTheSameData() throws IOException {
    List<OutputRecord> rows = mixed(500);
    Path fast = write("pages", rows, options("snappy", 32), true);
    Path stats = write("stats", rows, new ParquetOptions("snappy", false, true, 32L << 20), false);
    Path dict = write("dict", rows, new ParquetOptions("snappy", true, false, 32L << 20), false);
    List<Row> a = spark.read().parquet(fast.toString()).orderBy("id").collectAsList();
    assertEquals(a, spark.read().parquet(stats.toString()).orderBy("id").collectAsList());
    assertEquals(a, spark.read().parquet(dict.toString()).orderBy("id").collectAsList());
    assertParquetHadoopReads(rows, stats);
    try (ParquetFileReader s = open(stats)) {
      assertTrue(!chunks(s, "data.list.element").get(0).getStatistics().isEmpty(), "statistics asked for, kept");
    }
  }

  @Test
  void aPartitionWithoutRecordsWritesASchemaOnlyFile() throws IOException {
    Path empty = write("empty", List.of(), options("snappy", 32), true);
    try (ParquetFileReader r = open(empty)) {
      assertEquals(0, r.getFooter().getBlocks().size());
      assertEquals(ParquetPartWriter.SCHEMA, r.getFooter().getFileMetaData().getSchema());
    }
    assertEquals(0, spark.read().parquet(empty.toString()).count());
  }
}

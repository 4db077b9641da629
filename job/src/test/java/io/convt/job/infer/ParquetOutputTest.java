package io.convt.job.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.io.Npy;
import io.convt.job.JobConfig;
import io.convt.job.gradients.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.internal.column.columnindex.OffsetIndex;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Parquet output's file layout: schema, footer, codec, dictionary, statistics, row groups, empty outputs. */
public class ParquetOutputTest {
  static SparkSession spark;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static JobConfig conf(String... kv) {
    return InferJobTest.conf(kv);
  }

  /** 40 records of 3x32x32 (48 KB each out of the 2x upsample): enough for several 1 MB row groups. */
  private Path stack() throws IOException {
    float[] x = new float[40 * 3 * 32 * 32];
    Random r = new Random(11);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    Path npy = tmp.resolve("x.npy");
    Npy.writeFloat32(npy, new int[] {40, 3, 32, 32}, x);
    return npy;
  }

  private static List<Path> parts(String dir) throws IOException {
    try (Stream<Path> files = Files.list(Path.of(dir))) {
      return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
  }

  private static List<ColumnChunkMetaData> dataChunks(ParquetFileReader r) {
    List<ColumnChunkMetaData> chunks = new ArrayList<>();
    for (BlockMetaData b : r.getFooter().getBlocks()) {
      b.getColumns().stream().filter(c -> c.getPath().toDotString().equals("data.list.element")).forEach(chunks::add);
    }
    return chunks;
  }

  private static ParquetFileReader open(Path p) throws IOException {
    return ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(p.toString()),
        new Configuration()));
  }

  @Test
  void defaultsWriteSparksSchemaAndFooterAndPlainUncompressedDataWithoutStatistics() throws IOException {
    Path npy = stack();
    String out = tmp.resolve("out").toString();
    InferJob.run(spark, InferJobTest.upsample(), conf("partitions=2"), npy.toString(), out);
    assertTrue(Files.exists(Path.of(out, "data", "_SUCCESS")), "data/ is marked complete, as Spark's writer does");
    List<Path> parts = parts(out + "/data");
    assertEquals(List.of("part-00000.parquet", "part-00001.parquet"), // part-PPPPP-aT: the attempt id dropped
        parts.stream().map(p -> p.getFileName().toString().replaceFirst("-a\\d+", "")).toList());
    StructType expected = InferJob.outputSchema(spark.read().parquet(out + "/data").schema().apply("data").metadata());
    try (ParquetFileReader r = open(parts.get(0))) {
      FileMetaData meta = r.getFooter().getFileMetaData();
      assertEquals(ParquetPartWriter.SCHEMA, meta.getSchema());
      assertEquals(expected.json(), meta.getKeyValueMetaData().get(ParquetPartWriter.SPARK_SCHEMA_KEY));
      for (ColumnChunkMetaData c : dataChunks(r)) {
        assertEquals(CompressionCodecName.UNCOMPRESSED, c.getCodec(), "float tensors are written uncompressed by default");
        assertFalse(c.getEncodings().contains(Encoding.PLAIN_DICTIONARY) || c.getEncodings().contains(Encoding.RLE_DICTIONARY),
            "no dictionary on the float data: " + c.getEncodings());
        assertTrue(c.getStatistics().isEmpty(), "no min/max on the float data by default");
      }
    }
    assertEquals("{\"shape\":[3,64,64],\"dim_names\":[\"C\",\"H\",\"W\"]}",
        expected.apply("data").metadata().getString("ARROW:extension:metadata"));
    // Spark's own writer on the same rows: the same Parquet schema, and Spark reads both back alike
    String ref = tmp.resolve("spark-written").toString();
    spark.createDataFrame(List.of(RowFactory.create("a", 0L, new int[] {1, 1, 1}, new float[] {1f})), expected)
        .write().parquet(ref);
    try (ParquetFileReader r = open(parts(ref).get(0))) {
      assertEquals(r.getFooter().getFileMetaData().getSchema(), ParquetPartWriter.SCHEMA);
    }
    assertEquals(spark.read().parquet(ref).schema(), spark.read().parquet(out + "/data").schema());
    assertArrayEquals(InferJobTest.engine(InferJobTest.upsample(), Npy.read(npy)), byIndex(out + "/data", 40));
  }

  /** Output rows ordered by the record index in their id ({@code path#index}), data concatenated. */
  private static float[] byIndex(String dir, int n) {
    List<Row> rows = spark.read().parquet(dir).collectAsList();
    assertEquals(n, rows.size());
    int per = rows.get(0).getList(rows.get(0).fieldIndex("data")).size();
    float[] all = new float[n * per];
    for (Row row : rows) {
      String id = row.getString(row.fieldIndex("id"));
      int i = Integer.parseInt(id.substring(id.lastIndexOf('#') + 1));
      List<Float> d = row.getList(row.fieldIndex("data"));
      for (int j = 0; j < per; j++) {
        all[i * per + j] = d.get(j);
      }
    }
    return all;
  }

  @Test
  void codecDictionaryStatisticsAndRowGroupSizeFollowTheKeysAndStayBitExact() throws IOException {
    Path npy = stack();
    String out = tmp.resolve("out").toString();
    InferJob.run(spark, InferJobTest.upsample(), conf("partitions=1", "parquet.compression=zstd",
        "parquet.data-statistics=true", "parquet.row-group-mb=1"), npy.toString(), out);
    try (ParquetFileReader r = open(parts(out + "/data").get(0))) {
      List<ColumnChunkMetaData> chunks = dataChunks(r);
      // 40 x 48 KB of data at 1 MB per row group: at least two groups, every record in exactly one
      assertTrue(r.getFooter().getBlocks().size() >= 2, "row groups: " + r.getFooter().getBlocks().size());
      assertEquals(40, r.getFooter().getBlocks().stream().mapToLong(BlockMetaData::getRowCount).sum());
      for (ColumnChunkMetaData c : chunks) {
        assertEquals(CompressionCodecName.ZSTD, c.getCodec());
        assertFalse(c.getStatistics().isEmpty(), "parquet.data-statistics=true keeps min/max");
      }
    }
    assertArrayEquals(InferJobTest.engine(InferJobTest.upsample(), Npy.read(npy)), byIndex(out + "/data", 40));
  }

  @Test
  void byDefaultTheDataColumnGoesPageByPageInWholeRowsWithAnOffsetIndexAndNoColumnIndex() throws IOException {
    Path npy = stack();
    String out = tmp.resolve("out").toString();
    // one row group (several are tested with the codecs above and in ParquetDataPagesTest)
    InferJob.run(spark, InferJobTest.upsample(), conf("partitions=1"), npy.toString(), out);
    try (ParquetFileReader r = open(parts(out + "/data").get(0))) {
      List<BlockMetaData> blocks = r.getFooter().getBlocks();
      List<ColumnChunkMetaData> chunks = dataChunks(r);
      for (int g = 0; g < blocks.size(); g++) {
        ColumnChunkMetaData c = chunks.get(g);
        // 48 KB records and 1 MB pages: at most 21 whole records per page, 2 pages for 40 records
        assertEquals(Set.of(Encoding.RLE, Encoding.PLAIN), c.getEncodings());
        assertEquals(blocks.get(g).getRowCount() * 3 * 64 * 64, c.getValueCount());
        assertTrue(c.getStatistics().isEmpty());
        assertEquals(null, r.readColumnIndex(c), "no column index without statistics, as Parquet's writer");
        OffsetIndex pages = r.readOffsetIndex(c);
        assertTrue(pages.getPageCount() >= 2, "pages: " + pages.getPageCount());
        for (int p = 0; p < pages.getPageCount(); p++) {
          long rows = (p + 1 < pages.getPageCount() ? pages.getFirstRowIndex(p + 1) : blocks.get(g).getRowCount())
              - pages.getFirstRowIndex(p);
          assertTrue(rows >= 1 && rows * 3 * 64 * 64 * 4 <= 1 << 20, "page " + p + " holds " + rows + " rows");
        }
      }
    }
    assertArrayEquals(InferJobTest.engine(InferJobTest.upsample(), Npy.read(npy)), byIndex(out + "/data", 40));
  }

  @Test
  void theDataDictionaryIsTriedOnlyWhenAskedFor() throws IOException {
    // zeros in: the output is the bias, a handful of distinct floats, so a tried dictionary is kept
    Path npy = tmp.resolve("zeros.npy");
    Npy.writeFloat32(npy, new int[] {4, 3, 8, 8}, new float[4 * 3 * 8 * 8]);
    for (String dictionary : new String[] {"true", "false"}) {
      String out = tmp.resolve("dict-" + dictionary).toString();
      InferJob.run(spark, InferJobTest.upsample(), conf("partitions=1", "parquet.compression=snappy",
          "parquet.data-dictionary=" + dictionary), npy.toString(), out);
      try (ParquetFileReader r = open(parts(out + "/data").get(0))) {
        ColumnChunkMetaData c = dataChunks(r).get(0);
        assertEquals(CompressionCodecName.SNAPPY, c.getCodec());
        boolean dict = c.getEncodings().contains(Encoding.PLAIN_DICTIONARY)
            || c.getEncodings().contains(Encoding.RLE_DICTIONARY);
        assertEquals(dictionary.equals("true"), dict, c.getEncodings().toString());
      }
      assertArrayEquals(InferJobTest.engine(InferJobTest.upsample(), Npy.read(npy)),
          byIndex(out + "/data", 4));
    }
  }

  @Test
  void anAllQuarantinedRunStillWritesAReadableEmptyDataset() throws IOException {
    float[] x = new float[2 * 3 * 4 * 4];
    x[0] = Float.NaN;
    x[3 * 16] = Float.POSITIVE_INFINITY;
    Path npy = tmp.resolve("bad.npy");
    Npy.writeFloat32(npy, new int[] {2, 3, 4, 4}, x);
    String out = tmp.resolve("out").toString();
    Map<String, Object> s = InferJob.run(spark, InferJobTest.upsample(), conf("partitions=2", "batch.size=1"),
        npy.toString(), out).summary();
    assertEquals(Map.of("non_finite", 2L), s.get("quarantined_by_reason"));
    assertEquals(List.of("part-00000.parquet"),
        parts(out + "/data").stream().map(p -> p.getFileName().toString().replaceFirst("-a\\d+", "")).toList());
    Dataset<Row> d = spark.read().parquet(out + "/data");
    assertEquals(0, d.count());
    assertEquals(List.of("id", "index", "shape", "data"), List.of(d.schema().fieldNames()));
  }

  @Test
  void badParquetKeysFailOnTheDriverNamingTheKey() {
    String out = tmp.resolve("o").toString();
    for (String[] bad : new String[][] {
        {"parquet.compression=lzo", "'parquet.compression'", "none, snappy, zstd, gzip, lz4_raw"},
        {"parquet.data-dictionary=maybe", "'parquet.data-dictionary'", "true, false"},
        {"parquet.data-statistics=1", "'parquet.data-statistics'", "true, false"},
        {"parquet.row-group-mb=0", "'parquet.row-group-mb'", "1..2047"}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> InferJob.run(spark, InferJobTest.upsample(), conf(bad[0]), "../sample-data/x.npy", out));
      assertTrue(e.getMessage().contains(bad[1]) && e.getMessage().contains(bad[2]), e.getMessage());
    }
    assertFalse(Files.exists(Path.of(out)));
  }
}

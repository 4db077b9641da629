package io.convt.job.infer;

import static io.convt.job.infer.InferJobTest.conf;
import static io.convt.job.infer.InferJobTest.engine;
import static io.convt.job.infer.InferJobTest.sharpen;
import static io.convt.job.infer.InferJobTest.upsample;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.job.gradients.TestSpark;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import io.convt.engine.arrow.FixedShapeTensorType;
import io.convt.engine.arrow.FixedShapeTensorVector;
import io.convt.engine.io.TensorIpcWriter;
import java.nio.file.StandardOpenOption;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code index} column and canonical ids: outputs that sort and join the same whichever reader ran. */
public class JoinableOutputsTest {
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

  /** A stack of {@code n} random 3x4x4 records. */
  private Path stack(int n) throws IOException {
    float[] x = new float[n * 3 * 4 * 4];
    Random r = new Random(19);
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat() - 0.5f;
    }
    Path npy = tmp.resolve("x.npy");
    Npy.writeFloat32(npy, new int[] {n, 3, 4, 4}, x);
    return npy;
  }

  /** {@code (index, id)} of every row of the Arrow files under {@code dir}. */
  private static Map<Long, String> arrowIndexes(String dir) throws IOException {
    Map<Long, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(Path.of(dir)); RootAllocator a = new RootAllocator()) {
      for (Path f : files.filter(p -> p.toString().endsWith(".arrow")).toList()) {
        try (FileChannel in = FileChannel.open(f); ArrowFileReader reader = new ArrowFileReader(in, a)) {
          VectorSchemaRoot root = reader.getVectorSchemaRoot();
          assertEquals(List.of("id", "index", "data"),
              root.getSchema().getFields().stream().map(x -> x.getName()).toList());
          while (reader.loadNextBatch()) {
            BigIntVector index = (BigIntVector) root.getVector("index");
            VarCharVector id = (VarCharVector) root.getVector("id");
            for (int i = 0; i < root.getRowCount(); i++) {
              assertEquals(null, out.put(index.get(i), id.getObject(i).toString()), "index " + index.get(i));
            }
          }
        }
      }
    }
    return out;
  }

  @Test
  void indexColumnGivesTheStackOrderInParquetAndArrowOutputs() throws IOException {
    Path npy = stack(12); // ids #10 and #11 sort before #2 as strings; the index sorts as numbers
    String canonical = RecordIds.canonical(npy.toString());
    assertEquals("file:" + npy.toAbsolutePath(), canonical);
    String out = tmp.resolve("out").toString();
    InferJob.run(spark, upsample(), conf("partitions=3", "batch.size=5"), npy.toString(), out);
    StructField index = spark.read().parquet(out + "/data").schema().apply("index");
    assertEquals(DataTypes.LongType, index.dataType()); // Spark reads every column as nullable
    List<Row> rows = spark.read().parquet(out + "/data").orderBy("index").collectAsList();
    assertEquals(12, rows.size());
    float[] data = new float[12 * 3 * 8 * 8];
    for (int i = 0; i < 12; i++) {
      Row r = rows.get(i);
      assertEquals(i, r.getLong(r.fieldIndex("index")));
      assertEquals(canonical + "#" + i, r.getString(r.fieldIndex("id")));
      List<Float> d = r.getList(r.fieldIndex("data"));
      for (int j = 0; j < d.size(); j++) {
        data[i * d.size() + j] = d.get(j);
      }
    }
    NpyArray x = Npy.read(npy);
    assertArrayEquals(engine(upsample(), x), data, "rows in index order are the stack's order");

    String arrow = tmp.resolve("arrow").toString();
    InferJob.run(spark, upsample(), conf("partitions=3", "batch.size=5", "output.format=arrow"), npy.toString(),
        arrow);
    Map<Long, String> byIndex = arrowIndexes(arrow + "/data");
    assertEquals(12, byIndex.size());
    byIndex.forEach((i, id) -> assertEquals(canonical + "#" + i, id));
    // the Arrow output, index column and all, is still an input of the next layer
    Map<String, Object> chained = InferJob.run(spark, sharpen(), conf("partitions=2"), arrow + "/data",
        tmp.resolve("chained-arrow").toString()).summary();
    assertEquals(12L, chained.get("records_out"));
  }

  @Test
  void chainedLayersKeepTheFirstInputsIndexAndDatasetsWithoutIndexAreNumbered() throws IOException {
    Path npy = stack(11);
    String canonical = RecordIds.canonical(npy.toString());
    String first = tmp.resolve("first").toString();
    InferJob.run(spark, upsample(), conf("partitions=3"), npy.toString(), first);
    String second = tmp.resolve("second").toString();
    InferJob.run(spark, sharpen(), conf(), first + "/data", second);
    for (Row r : spark.read().parquet(second + "/data").collectAsList()) {
      assertEquals(canonical + "#" + r.getLong(r.fieldIndex("index")), r.getString(r.fieldIndex("id")));
    }
    // a tensor dataset from before the index column (id, shape, data only) is read and numbered 0..n-1
    String old = tmp.resolve("old").toString();
    spark.read().parquet(first + "/data").drop("index").write().parquet(old);
    String third = tmp.resolve("third").toString();
    Map<String, Object> s = InferJob.run(spark, sharpen(), conf(), old, third).summary();
    assertEquals(11L, s.get("records_out"));
    List<Long> indexes = new ArrayList<>();
    spark.read().parquet(third + "/data").orderBy("index").collectAsList()
        .forEach(r -> indexes.add(r.getLong(r.fieldIndex("index"))));
    assertEquals(java.util.stream.LongStream.range(0, 11).boxed().toList(), indexes);
  }

  @Test
  void arrowInputsKeepTheirOwnIndexColumnAndFilesWithoutOneAreNumbered() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("arrow-in"));
    Random r = new Random(3);
    // two files with their own indexes (out of order, with gaps), as a previous run's Arrow output has them
    long[][] own = {{30, 10, 20}, {5, 40}};
    Map<String, Long> want = new TreeMap<>();
    try (RootAllocator a = new RootAllocator()) {
      for (int f = 0; f < own.length; f++) {
        try (TensorIpcWriter w = new TensorIpcWriter(FileChannel.open(dir.resolve("in-" + f + ".arrow"),
            StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), new int[] {3, 4, 4}, 4, a)) {
          for (long i : own[f]) {
            w.add("rec-" + i, i, tensor(r));
            want.put("rec-" + i, i);
          }
          w.finish();
        }
      }
      String out = tmp.resolve("arrow-own").toString();
      Map<String, Object> s = InferJob.run(spark, upsample(), conf("partitions=2", "output.format=arrow"),
          dir.toString(), out).summary();
      assertEquals(5L, s.get("records_out"));
      Map<String, Long> got = new TreeMap<>();
      arrowIndexes(out + "/data").forEach((i, id) -> got.put(id, i));
      assertEquals(want, got, "each record keeps its own index");

      // a file without an index column (id and data only, as other tools write them): numbered 0.. in read order
      Path plain = Files.createDirectories(tmp.resolve("arrow-plain"));
      writeWithoutIndex(plain.resolve("x.arrow"), 4, r, a);
      String numbered = tmp.resolve("arrow-numbered").toString();
      InferJob.run(spark, upsample(), conf("output.format=arrow"), plain.toString(), numbered);
      assertEquals(Map.of(0L, "plain-0", 1L, "plain-1", 2L, "plain-2", 3L, "plain-3"),
          arrowIndexes(numbered + "/data"));

      // a mix of both is numbered too (never half kept, half new), and the summary says why
      Files.copy(plain.resolve("x.arrow"), dir.resolve("in-9.arrow"));
      String mixed = tmp.resolve("arrow-mixed").toString();
      Map<String, Object> m = InferJob.run(spark, upsample(), conf("partitions=2", "output.format=arrow"),
          dir.toString(), mixed).summary();
      assertEquals(java.util.stream.LongStream.range(0, 9).boxed().toList(),
          new ArrayList<>(arrowIndexes(mixed + "/data").keySet()));
      assertTrue(String.valueOf(m.get("notes")).contains("2 of 3 Arrow input files have an index column"),
          String.valueOf(m.get("notes")));
    }
  }

  private static float[] tensor(Random r) {
    float[] t = new float[3 * 4 * 4];
    for (int i = 0; i < t.length; i++) {
      t[i] = r.nextFloat() - 0.5f;
    }
    return t;
  }

  /** An Arrow tensor file with only {@code id} and {@code data} columns (no {@code index}). */
  private static void writeWithoutIndex(Path file, int n, Random r, RootAllocator a) throws IOException {
    FixedShapeTensorType type = new FixedShapeTensorType(new int[] {3, 4, 4}, List.of("C", "H", "W"));
    Schema schema = new Schema(List.of(Field.notNullable("id", new ArrowType.Utf8()), type.field("data")));
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, a);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
      VarCharVector ids = (VarCharVector) root.getVector("id");
      FixedShapeTensorVector data = (FixedShapeTensorVector) root.getVector("data");
      ids.allocateNew(n);
      data.getUnderlyingVector().setInitialCapacity(n);
      data.getUnderlyingVector().allocateNew();
      for (int i = 0; i < n; i++) {
        ids.setSafe(i, ("plain-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        data.set(i, tensor(r));
      }
      root.setRowCount(n);
      w.start();
      w.writeBatch();
      w.end();
    }
  }

  @Test
  void everyReaderGivesTheSameCanonicalIdsAndIndexes() throws IOException {
    Path dir = InferJobTest.imageFixtures(tmp.resolve("images"), 7);
    Map<String, Long> own = idsAndIndexes(dir.toString(), "images");
    Map<String, Long> viaSpark = idsAndIndexes(dir.toString(), "spark-image");
    Map<String, Long> viaUri = idsAndIndexes(dir.toUri().toString(), "images"); // file:///...
    assertEquals(own, viaSpark);
    assertEquals(own, viaUri);
    // a.png and b.png come out (gray and corrupt are quarantined), numbered by the sorted listing
    assertEquals(Map.of("file:" + dir.toAbsolutePath().resolve("a.png"), 0L,
        "file:" + dir.toAbsolutePath().resolve("b.png"), 1L), own);
    // quarantined records carry the same id and index
    List<Row> q = spark.read().json(tmp.resolve("images-spark-image").resolve("quarantine").toString())
        .orderBy("index").collectAsList();
    assertEquals("file:" + dir.toAbsolutePath().resolve("corrupt.png"), q.get(0).getString(q.get(0).fieldIndex("id")));
    assertEquals(2L, q.get(0).getLong(q.get(0).fieldIndex("index")));
    // a stack named relative, absolute or by URI gives one id form
    Path npy = stack(2);
    String rel = Path.of("").toAbsolutePath().relativize(npy.toAbsolutePath()).toString();
    for (String name : new String[] {rel, npy.toAbsolutePath().toString(), npy.toUri().toString()}) {
      assertEquals("file:" + npy.toAbsolutePath(), RecordIds.canonical(name), name);
    }
    assertTrue(RecordIds.canonical("hdfs://nn:8020/a/../b/x.png").equals("hdfs://nn:8020/b/x.png"));
  }

  private Map<String, Long> idsAndIndexes(String input, String format) {
    String out = tmp.resolve("images-" + format + (input.startsWith("file:") ? "-uri" : "")).toString();
    InferJob.run(spark, upsample(), conf("input.format=" + format), input, out);
    Map<String, Long> m = new TreeMap<>();
    for (Row r : spark.read().parquet(out + "/data").collectAsList()) {
      m.put(r.getString(r.fieldIndex("id")), r.getLong(r.fieldIndex("index")));
    }
    return m;
  }
}

package io.convt.job.infer;

import static io.convt.job.infer.InferJobTest.conf;
import static io.convt.job.infer.InferJobTest.engine;
import static io.convt.job.infer.InferJobTest.upsample;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.io.ImageCodec;
import io.convt.engine.io.Npy;
import io.convt.engine.io.PixelScaling;
import io.convt.job.gradients.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tensor datasets written by other tools (no _SUCCESS, doubles, integers) and the tensor metadata of outputs. */
public class ForeignInputsTest {
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

  private static final int N = 5;
  private static final int SIZE = 3 * 4 * 4;

  /** N random 3x4x4 records as a stack, and the same values as a Parquet dataset with {@code data} of {@code type}. */
  private float[] foreignDataset(Path dir, DataType type) {
    float[] x = new float[N * SIZE];
    Random r = new Random(23);
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat() - 0.5f;
    }
    List<Row> rows = new ArrayList<>();
    for (int n = 0; n < N; n++) {
      Object data;
      if (type.equals(DataTypes.DoubleType)) {
        double[] d = new double[SIZE];
        for (int j = 0; j < SIZE; j++) {
          d[j] = x[n * SIZE + j];
        }
        data = d;
      } else if (type.equals(DataTypes.IntegerType)) {
        data = new int[SIZE];
      } else {
        data = java.util.Arrays.copyOfRange(x, n * SIZE, (n + 1) * SIZE);
      }
      rows.add(RowFactory.create("r" + n, new int[] {3, 4, 4}, data));
    }
    StructType schema = new StructType().add("id", DataTypes.StringType)
        .add("shape", DataTypes.createArrayType(DataTypes.IntegerType))
        .add("data", DataTypes.createArrayType(type));
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    hadoop.set("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false"); // as tools other than Spark write
    try {
      spark.createDataFrame(rows, schema).write().parquet(dir.toString());
    } finally {
      hadoop.unset("mapreduce.fileoutputcommitter.marksuccessfuljobs");
    }
    assertFalse(Files.exists(dir.resolve("_SUCCESS")));
    return x;
  }

  private float[] expected(float[] x) throws IOException {
    Path npy = tmp.resolve("ref.npy");
    Npy.writeFloat32(npy, new int[] {N, 3, 4, 4}, x);
    return engine(upsample(), Npy.read(npy));
  }

  @Test
  void parquetWithoutSuccessMarkerIsDetectedByContentAndReadAsTensors() throws IOException {
    Path in = tmp.resolve("foreign");
    float[] x = foreignDataset(in, DataTypes.FloatType);
    String out = tmp.resolve("out").toString();
    Map<String, Object> s = InferJob.run(spark, upsample(), conf(), in.toString(), out).summary();
    assertEquals("parquet", s.get("input_format"));
    assertEquals((long) N, s.get("records_out"));
    assertFalse(s.containsKey("notes"));
    assertArrayEquals(expected(x), InferJobTest.readRows(spark, out + "/data"));
    // a directory with a non-Parquet file beside the parts is not a Parquet dataset
    Files.writeString(in.resolve("notes.txt"), "not parquet");
    assertFalse(ParquetDetection.isParquet(in.toString(), new Configuration()));
    assertTrue(ParquetDetection.isParquet(Path.of(out, "data").toString(), new Configuration()));
  }

  @Test
  void doubleDataIsCastToFloatWithANoteAndIntegerDataIsRefusedNamingTheColumn() throws IOException {
    Path in = tmp.resolve("doubles");
    float[] x = foreignDataset(in, DataTypes.DoubleType);
    String out = tmp.resolve("out").toString();
    Map<String, Object> s = InferJob.run(spark, upsample(), conf(), in.toString(), out).summary();
    assertEquals(List.of("data cast from double to float"), s.get("notes"));
    assertTrue(Files.readString(Path.of(out, "run-summary.json")).contains("data cast from double to float"));
    assertArrayEquals(expected(x), InferJobTest.readRows(spark, out + "/data"), "doubles holding floats: exact");

    Path ints = tmp.resolve("ints");
    foreignDataset(ints, DataTypes.IntegerType);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InferJob.run(spark, upsample(), conf(), ints.toString(), tmp.resolve("out-ints").toString()));
    assertTrue(e.getMessage().startsWith("Cannot read input ") && e.getMessage().contains("part-")
        && e.getMessage().contains("column 'data' holds INT32 values, expected DOUBLE or FLOAT"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(), left.filter(p -> p.getFileName().toString().contains("out-ints")).toList(),
          "no output and no staging directory left");
    }
  }

  @Test
  void imagesOfOneSizeGetTheirTrueShapeAndEveryOutputHasDimNames() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("images"));
    float[] rgb = new float[3 * 8 * 6];
    Random r = new Random(3);
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = r.nextFloat();
    }
    for (String name : new String[] {"a.png", "b.png", "c.png"}) {
      Files.write(dir.resolve(name), ImageCodec.encode(rgb, 8, 6, 3, "png", PixelScaling.UNIT, false));
    }
    String out = tmp.resolve("out").toString();
    InferJob.run(spark, upsample(), conf("partitions=2"), dir.toString(), out);
    Metadata m = spark.read().parquet(out + "/data").schema().apply("data").metadata();
    assertEquals("arrow.fixed_shape_tensor", m.getString("ARROW:extension:name"));
    assertEquals("{\"shape\":[3,16,12],\"dim_names\":[\"C\",\"H\",\"W\"]}", m.getString("ARROW:extension:metadata"));
    assertArrayEquals(new String[] {"C", "H", "W"}, m.getStringArray("dim_names"));
    for (Path part : parts(out + "/data")) { // every file, not just the one Spark took the schema from
      assertTrue(sparkSchemaOf(part).contains("\\\"shape\\\":[3,16,12]"), part.toString());
    }
    // images of two sizes in one file: dim names, and no fixed shape claimed
    Path mixed = InferJobTest.imageFixtures(tmp.resolve("mixed"), 4);
    String out2 = tmp.resolve("out2").toString();
    InferJob.run(spark, upsample(), conf("partitions=1"), mixed.toString(), out2);
    Metadata m2 = spark.read().parquet(out2 + "/data").schema().apply("data").metadata();
    assertFalse(m2.contains("ARROW:extension:name"));
    assertArrayEquals(new String[] {"C", "H", "W"}, m2.getStringArray("dim_names"));
  }

  private static List<Path> parts(String dir) throws IOException {
    try (Stream<Path> s = Files.list(Path.of(dir))) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
  }

  private static String sparkSchemaOf(Path part) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
        new org.apache.hadoop.fs.Path(part.toString()), new Configuration()))) {
      return r.getFooter().getFileMetaData().getKeyValueMetaData().get(ParquetPartWriter.SPARK_SCHEMA_KEY);
    }
  }
}

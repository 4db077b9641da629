package io.convt.job.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.ImageCodec;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.PixelScaling;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import io.convt.job.ConvtJob;
import io.convt.job.JobConfig;
import io.convt.job.gradients.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end on local[2]: inputs, outputs, quarantine, fail-fast, atomic commit, overwrite, chaining. */
public class InferJobTest {
  static SparkSession spark;
  static final Path UPSAMPLE = Path.of("../sample-data/upsample2x_pytorch.npy");
  static final Path UPSAMPLE_BIAS = Path.of("../sample-data/upsample2x_bias.npy");
  static final Path SHARPEN = Path.of("../sample-data/sharpen_pytorch.npy");
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  static LayerSpec upsample() {
    return LayerSpec.of(UPSAMPLE, UPSAMPLE_BIAS, WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
  }

  static LayerSpec sharpen() {
    return LayerSpec.of(SHARPEN, null, WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
  }

  static JobConfig conf(String... kv) {
    return JobConfig.load(null, List.of(kv)).with("progress.interval-seconds", "0");
  }

  /** The engine alone, in this JVM: the reference every job output must equal bit for bit. */
  static float[] engine(LayerSpec spec, NpyArray x) {
    try (RootAllocator a = new RootAllocator(); ImageBatch src = NchwArrays.toBatch(a, x);
        ImageBatch dst = Layer.open(spec).apply(a, src)) {
      return NchwArrays.fromBatch(dst);
    }
  }

  /** Output rows sorted by id, data concatenated (NCHW). */
  static float[] readData(String dir, int per) {
    return readRows(spark, dir);
  }

  /** The {@code data} column of a Parquet tensor dataset, rows sorted by id, concatenated (tests only). */
  public static float[] readRows(SparkSession session, String dir) {
    List<Row> rows = session.read().parquet(dir).orderBy("id").collectAsList();
    int per = rows.isEmpty() ? 0 : rows.get(0).getList(rows.get(0).fieldIndex("data")).size();
    float[] all = new float[rows.size() * per];
    for (int i = 0; i < rows.size(); i++) {
      List<Float> d = rows.get(i).getList(rows.get(i).fieldIndex("data"));
      for (int j = 0; j < per; j++) {
        all[i * per + j] = d.get(j);
      }
    }
    return all;
  }

  /** RGB PNGs of two sizes (a.png 8x6, b.png 6x8, random pixels), a gray PNG and a corrupt PNG in {@code dir}. */
  static Path imageFixtures(Path dir, long seed) throws IOException {
    Files.createDirectories(dir);
    Random r = new Random(seed);
    float[] rgb = new float[3 * 8 * 6];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = r.nextFloat();
    }
    Files.write(dir.resolve("a.png"), ImageCodec.encode(rgb, 8, 6, 3, "png", PixelScaling.UNIT, false));
    Files.write(dir.resolve("b.png"), ImageCodec.encode(rgb, 6, 8, 3, "png", PixelScaling.UNIT, false));
    Files.write(dir.resolve("gray.png"), ImageCodec.encode(new float[48], 8, 6, 1, "png", PixelScaling.UNIT, false));
    Files.write(dir.resolve("corrupt.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
    return dir;
  }

  @Test
  void npyStackEqualsTheEngineBitForBitAndCommitsWithASummary() throws IOException {
    NpyArray x = Npy.read(Path.of("../sample-data/x.npy"));
    String out = tmp.resolve("out").toString();
    Map<String, Object> s = InferJob.run(spark, upsample(), conf("partitions=3", "batch.size=2"),
        "../sample-data/x.npy", out).summary();
    assertEquals(6L, s.get("records_in"));
    assertEquals(6L, s.get("records_out"));
    assertEquals(0L, s.get("records_quarantined"));
    assertTrue(Files.exists(Path.of(out, "_SUCCESS")));
    assertTrue(Files.readString(Path.of(out, "run-summary.json")).contains("\"weights_sha256\""));
    // start-up and the tasks' processing window, both inside the job's wall time
    double wall = (Double) s.get("wall_seconds");
    double startup = (Double) s.get("startup_seconds");
    double processing = (Double) s.get("processing_seconds");
    assertTrue(startup >= 0 && processing > 0 && startup + processing <= wall + 0.01,
        "startup " + startup + " + processing " + processing + " within wall " + wall);
    assertEquals(6 / processing, (Double) s.get("processing_records_per_second"), 0.1 + 6 / processing * 0.01);
    assertTrue(Files.readString(Path.of(out, "run-summary.json")).contains("\"processing_seconds\""));
    // one span per successful task: partitions=3
    double shortest = (Double) s.get("task_seconds_min");
    double longest = (Double) s.get("task_seconds_max");
    assertEquals(3, s.get("tasks"));
    assertTrue(0 <= shortest && shortest <= longest && longest <= processing + 0.001,
        "tasks " + shortest + " .. " + longest + " within the window " + processing);
    // ids are file#index; sorting by id keeps the stack order for 6 records
    assertArrayEquals(engine(upsample(), x), readData(out + "/data", 3 * 96 * 96));
    Row first = spark.read().parquet(out + "/data").orderBy("id").first();
    assertEquals(List.of(3, 96, 96), first.getList(first.fieldIndex("shape")));
    assertTrue(spark.read().parquet(out + "/data").schema().apply("data").metadata().json()
        .contains("arrow.fixed_shape_tensor"));
    try (Stream<Path> siblings = Files.list(tmp)) {
      assertEquals(List.of(Path.of(out)), siblings.toList(), "no staging directory left behind");
    }
  }

  @Test
  void badImagesAreQuarantinedWithTheirReasonAndCountsAddUp() throws IOException {
    Path dir = imageFixtures(tmp.resolve("images"), 3);
    Files.writeString(dir.resolve("notes.txt"), "not an image");
    Files.writeString(dir.resolve(".hidden"), "ignored");
    String out = tmp.resolve("out").toString();
    Map<String, Object> s = InferJob.run(spark, upsample(), conf(), dir.toString(), out).summary();
    assertEquals(5L, s.get("records_in"));
    assertEquals(2L, s.get("records_out"));
    assertEquals(3L, s.get("records_quarantined"));
    assertEquals(Map.of("channels", 1L, "unreadable", 2L), s.get("quarantined_by_reason"));
    List<Row> q = spark.read().json(out + "/quarantine").orderBy("id").collectAsList();
    assertEquals(3, q.size());
    assertTrue(q.get(0).getString(q.get(0).fieldIndex("id")).endsWith("corrupt.png"));
    assertTrue(q.get(1).getString(q.get(1).fieldIndex("detail")).contains("1 channels, the weights expect 3"));
    // images of different sizes were grouped by shape: both came out, at twice their size
    List<Row> ok = spark.read().parquet(out + "/data").orderBy("id").collectAsList();
    assertEquals(List.of(3, 16, 12), ok.get(0).getList(ok.get(0).fieldIndex("shape")));
    assertEquals(List.of(3, 12, 16), ok.get(1).getList(ok.get(1).fieldIndex("shape")));
  }

  @Test
  void sparkImageSourceGivesWhatTheJobsOwnImageReaderGives() throws IOException {
    Path dir = imageFixtures(tmp.resolve("images"), 5);
    for (String order : new String[] {"rgb", "bgr"}) {
      String own = tmp.resolve("own-" + order).toString();
      String viaSpark = tmp.resolve("spark-" + order).toString();
      Map<String, Object> a = InferJob.run(spark, upsample(), conf("image.channel-order=" + order), dir.toString(),
          own).summary();
      Map<String, Object> b = InferJob.run(spark, upsample(),
          conf("input.format=spark-image", "image.channel-order=" + order), dir.toString(), viaSpark).summary();
      assertEquals("spark-image", b.get("input_format"));
      for (String k : new String[] {"records_in", "records_out", "records_quarantined", "quarantined_by_reason"}) {
        assertEquals(a.get(k), b.get(k), k + " (" + order + ")");
      }
      assertEquals(2L, b.get("records_out"));
      assertEquals(Map.of("channels", 1L, "unreadable", 1L), b.get("quarantined_by_reason"));
      assertArrayEquals(readData(own + "/data", 0), readData(viaSpark + "/data", 0), "pixels (" + order + ")");
    }
  }

  @Test
  void failFastStopsAtTheFirstBadRecordAndLeavesNoOutput() throws IOException {
    float[] x = new float[2 * 3 * 4 * 4];
    x[3 * 16 + 5] = Float.NaN; // record 1
    Path npy = tmp.resolve("x.npy");
    Npy.writeFloat32(npy, new int[] {2, 3, 4, 4}, x);
    String out = tmp.resolve("out").toString();
    Map<String, Object> s = InferJob.run(spark, upsample(), conf(), npy.toString(), out).summary();
    assertEquals(Map.of("non_finite", 1L), s.get("quarantined_by_reason"));
    String out2 = tmp.resolve("out2").toString();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InferJob.run(spark, upsample(), conf("fail-fast=true"), npy.toString(), out2));
    assertTrue(e.getMessage().contains("x.npy#1") && e.getMessage().contains("non_finite"), e.getMessage());
    assertFalse(Files.exists(Path.of(out2)), "a failed run leaves no output");
    try (Stream<Path> siblings = Files.list(tmp)) {
      assertEquals(0, siblings.filter(p -> p.getFileName().toString().contains("staging")).count());
    }
  }

  @Test
  void existingOutputIsRefusedOrReplacedIdempotently() throws IOException {
    String out = tmp.resolve("out").toString();
    InferJob.run(spark, upsample(), conf(), "../sample-data/x.npy", out);
    float[] first = readData(out + "/data", 3 * 96 * 96);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InferJob.run(spark, upsample(), conf(), "../sample-data/x.npy", out));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    InferJob.run(spark, upsample(), conf("mode=overwrite", "partitions=1"), "../sample-data/x.npy", out);
    assertArrayEquals(first, readData(out + "/data", 3 * 96 * 96));
  }

  /**
   * A tensor dataset whose first record does not fit the weights is refused on the driver, before any task runs:
   * from a Parquet dataset's first row and from an Arrow file's schema.
   */
  @Test
  void aTensorDatasetOfOtherChannelsIsRefusedBeforeSparkRuns() throws IOException {
    String parquet = tmp.resolve("three-parquet").toString();
    String arrow = tmp.resolve("three-arrow").toString();
    InferJob.run(spark, upsample(), conf(), "../sample-data/x.npy", parquet);
    InferJob.run(spark, upsample(), conf("output.format=arrow"), "../sample-data/x.npy", arrow);
    Path w = tmp.resolve("two-in.npy");
    Npy.writeFloat32(w, new int[] {2, 3, 3, 3}, new float[2 * 3 * 3 * 3]); // PyTorch [Cin=2, Cout=3, 3, 3]
    LayerSpec twoIn = LayerSpec.of(w, null, WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
    for (String in : List.of(parquet + "/data", arrow + "/data")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InferPreflight.prepare(twoIn,
          conf(), in, tmp.resolve("never").toString(), new org.apache.hadoop.conf.Configuration(),
          new java.io.PrintWriter(java.io.Writer.nullWriter())));
      assertTrue(e.getMessage().startsWith("Cannot read input " + in + ": its first record has 3 channels")
          && e.getMessage().endsWith("expect 2"), e.getMessage());
    }
    assertFalse(Files.exists(tmp.resolve("never")));
  }

  @Test
  void layersChainThroughTheParquetOutput() {
    String up = tmp.resolve("up").toString();
    String sharp = tmp.resolve("sharp").toString();
    InferJob.run(spark, upsample(), conf(), "../sample-data/x.npy", up);
    Map<String, Object> s = InferJob.run(spark, sharpen(), conf(), up + "/data", sharp).summary();
    assertEquals("parquet", s.get("input_format"));
    NpyArray x = Npy.read(Path.of("../sample-data/x.npy"));
    float[] mid = engine(upsample(), x);
    float[] expected = engine(sharpen(), new NpyArray("<f4", new int[] {6, 3, 96, 96}, mid, null));
    assertArrayEquals(expected, readData(sharp + "/data", 3 * 96 * 96));
  }

  @Test
  void arrowIpcOutputCarriesTheTensorTypeAndChainsIntoTheNextLayer() throws IOException {
    String up = tmp.resolve("up-arrow").toString();
    InferJob.run(spark, upsample(), conf("output.format=arrow", "partitions=2"), "../sample-data/x.npy", up);
    List<io.convt.engine.io.TensorIpc.Tensor> tensors = new java.util.ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of(up, "data"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".arrow")).sorted().toList()) {
        try (RootAllocator a = new RootAllocator(); java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(f)) {
          tensors.addAll(io.convt.engine.io.TensorIpc.read(in, f.toString(), a));
        }
      }
    }
    assertEquals(6, tensors.size());
    assertArrayEquals(new int[] {3, 96, 96}, tensors.get(0).shape());
    tensors.sort(java.util.Comparator.comparing(io.convt.engine.io.TensorIpc.Tensor::id));
    float[] got = new float[6 * 3 * 96 * 96];
    for (int i = 0; i < 6; i++) {
      System.arraycopy(tensors.get(i).data(), 0, got, i * 3 * 96 * 96, 3 * 96 * 96);
    }
    NpyArray x = Npy.read(Path.of("../sample-data/x.npy"));
    float[] mid = engine(upsample(), x);
    assertArrayEquals(mid, got);
    String sharp = tmp.resolve("sharp-from-arrow").toString();
    Map<String, Object> s = InferJob.run(spark, sharpen(), conf(), up + "/data", sharp).summary();
    assertEquals("arrow", s.get("input_format"));
    float[] expected = engine(sharpen(), new NpyArray("<f4", new int[] {6, 3, 96, 96}, mid, null));
    assertArrayEquals(expected, readData(sharp + "/data", 3 * 96 * 96));
  }

  @Test
  void pngOutputRendersEachImage() throws IOException {
    String out = tmp.resolve("png").toString();
    InferJob.run(spark, upsample(), conf("output.format=png"), "../sample-data/images", out);
    try (Stream<Path> files = Files.list(Path.of(out, "images"))) {
      List<Path> pngs = files.filter(p -> p.toString().endsWith(".png")).toList();
      assertEquals(6, pngs.size());
      ImageCodec.Image img = ImageCodec.decode(Files.readAllBytes(pngs.get(0)), "out", PixelScaling.UNIT, false);
      assertEquals(96, img.height());
      assertEquals(3, img.channels());
    }
    // each PNG is exactly the Parquet output of the same record, rendered: pixels in the right place and channel
    String parquet = tmp.resolve("png-vs-parquet").toString();
    InferJob.run(spark, upsample(), conf(), "../sample-data/images", parquet);
    List<Row> rows = spark.read().parquet(parquet + "/data").collectAsList();
    assertEquals(6, rows.size());
    for (Row r : rows) {
      List<Integer> shape = r.getList(r.fieldIndex("shape"));
      List<Float> data = r.getList(r.fieldIndex("data"));
      float[] chw = new float[data.size()];
      for (int i = 0; i < chw.length; i++) {
        chw[i] = data.get(i);
      }
      int c = shape.get(0);
      int h = shape.get(1);
      int w = shape.get(2);
      byte[] want = ImageCodec.encode(ImageCodec.chwToHwc(chw, c, h, w), h, w, c, "png", PixelScaling.UNIT, false);
      String id = r.getString(r.fieldIndex("id"));
      String suffix = "-" + ImageWriter.stem(id) + ".png";
      try (Stream<Path> named = Files.list(Path.of(out, "images"))) {
        List<Path> match = named.filter(p -> p.getFileName().toString().endsWith(suffix)).toList();
        assertEquals(1, match.size(), id);
        assertArrayEquals(want, Files.readAllBytes(match.get(0)), id);
      }
    }
    String jpg = tmp.resolve("jpg").toString();
    InferJob.run(spark, upsample(), conf("output.format=jpeg"), "../sample-data/images", jpg);
    try (Stream<Path> files = Files.list(Path.of(jpg, "images"))) {
      assertEquals(6, files.filter(p -> p.toString().endsWith(".jpg")).count());
    }
  }

  @Test
  void badConfigurationFailsBeforeSparkWithOneLine() {
    assertEquals(2, ConvtJob.run("infer", "--input", "../sample-data/x.npy", "--output", tmp.resolve("o").toString(),
        "--weights", UPSAMPLE.toString(), "--weights-layout", "pytorch", "--conf", "batch.sise=3"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InferJob.run(spark, upsample(), conf("nan.policy=ignore"), "../sample-data/x.npy", tmp.resolve("o").toString()));
    assertTrue(e.getMessage().contains("'nan.policy'") && e.getMessage().contains("quarantine, fail, pass"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> InferJob.run(spark, sharpen(), conf(), tmp.resolve("missing.npy").toString(), tmp.resolve("o").toString()));
    assertTrue(e.getMessage().contains("missing.npy"), e.getMessage());
  }
}

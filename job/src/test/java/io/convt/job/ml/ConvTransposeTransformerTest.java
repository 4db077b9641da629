package io.convt.job.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.Neuron;
import io.convt.engine.NeuronType;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import io.convt.job.SparkErrors;
import io.convt.job.gradients.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layer as a Spark ML stage on local[2]: equal to the engine bit for bit, saved and loaded, bad params. */
public class ConvTransposeTransformerTest {
  static final Path UPSAMPLE = Path.of("../sample-data/upsample2x_pytorch.npy");
  static final Path UPSAMPLE_BIAS = Path.of("../sample-data/upsample2x_bias.npy");
  static final Path SHARPEN = Path.of("../sample-data/sharpen_pytorch.npy");
  static final Path X = Path.of("../sample-data/x.npy");
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

  /** Upsample 2x (stride 2, padding 1, with bias), then a 3x3 sharpen with a fused leaky ReLU. */
  static ConvTransposeTransformer[] stages(Path upsample, Path upsampleBias) {
    ConvTransposeTransformer up = new ConvTransposeTransformer().setWeights(upsample.toString())
        .setBias(upsampleBias.toString()).setWeightsLayout("pytorch").setStride(2, 2).setPadding(1, 1)
        .setOutputCol("up").setOutputShapeCol("up_shape").setBatchSize(4);
    ConvTransposeTransformer sharpen = new ConvTransposeTransformer().setWeights(SHARPEN.toString())
        .setWeightsLayout("pytorch").setPadding(1, 1).setNeuron("relu:0.1")
        .setInputCol("up").setShapeCol("up_shape").setOutputCol("out").setOutputShapeCol("out_shape");
    return new ConvTransposeTransformer[] {up, sharpen};
  }

  /** The same two layers run by the engine alone, one record at a time. */
  static float[] engine(float[] chw, int[] shape) {
    LayerSpec up = LayerSpec.of(UPSAMPLE, UPSAMPLE_BIAS, WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
    LayerSpec sharpen = new LayerSpec(SHARPEN, null, WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1),
        null, null, null, null, null, Neuron.of(NeuronType.RELU, 0.1f, Neuron.of(NeuronType.RELU).b(),
        Neuron.of(NeuronType.RELU).c()), null);
    try (RootAllocator a = new RootAllocator();
        ImageBatch src = ImageBatch.allocate(a, 1, shape[1], shape[2], shape[0])) {
      src.writeCHW(0, chw);
      try (ImageBatch mid = Layer.open(up).apply(a, src); ImageBatch dst = Layer.open(sharpen).apply(a, mid)) {
        float[] out = new float[dst.imageSize()];
        dst.readCHW(0, out);
        return out;
      }
    }
  }

  static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType)
      .add("shape", DataTypes.createArrayType(DataTypes.IntegerType, false))
      .add("data", DataTypes.createArrayType(DataTypes.FloatType, false));

  /** The six 3x48x48 records of sample-data/x.npy, with 3x20x24 crops of two of them in between. */
  static Map<String, float[]> records() {
    NpyArray x = Npy.read(X);
    int size = 3 * 48 * 48;
    Map<String, float[]> m = new LinkedHashMap<>();
    for (int n = 0; n < 6; n++) {
      m.put("x#" + n, Arrays.copyOfRange(x.floats(), n * size, (n + 1) * size));
      if (n % 3 == 1) {
        m.put("crop#" + n, Arrays.copyOfRange(x.floats(), n * size, n * size + 3 * 20 * 24));
      }
    }
    return m;
  }

  static int[] shapeOf(String id) {
    return id.startsWith("crop") ? new int[] {3, 20, 24} : new int[] {3, 48, 48};
  }

  static Dataset<Row> frame(Map<String, float[]> records) {
    List<Row> rows = new ArrayList<>();
    records.forEach((id, data) -> rows.add(RowFactory.create(id, shapeOf(id), data)));
    return spark.createDataFrame(rows, SCHEMA).repartition(2);
  }

  static Map<String, float[]> outputs(Dataset<Row> result, String col) {
    Map<String, float[]> m = new LinkedHashMap<>();
    for (Row r : result.collectAsList()) {
      m.put(r.getString(r.fieldIndex("id")), floats(r, col));
    }
    return m;
  }

  static float[] floats(Row r, String col) {
    List<Float> v = r.getList(r.fieldIndex(col));
    float[] f = new float[v.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = v.get(i);
    }
    return f;
  }

  static int[] ints(Row r, String col) {
    return r.<Integer>getList(r.fieldIndex(col)).stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void twoStagePipelineEqualsTheEngineBitForBit() {
    Map<String, float[]> in = records();
    PipelineModel model = new Pipeline().setStages((PipelineStage[]) stages(UPSAMPLE, UPSAMPLE_BIAS)).fit(frame(in));
    Dataset<Row> result = model.transform(frame(in));
    assertEquals(List.of("id", "shape", "data", "up", "up_shape", "out", "out_shape"),
        Arrays.asList(result.columns()));
    Map<String, float[]> out = outputs(result, "out");
    assertEquals(in.keySet(), out.keySet());
    for (Map.Entry<String, float[]> e : in.entrySet()) {
      assertArrayEquals(engine(e.getValue(), shapeOf(e.getKey())), out.get(e.getKey()), e.getKey());
    }
    Row crop = result.where("id = 'crop#1'").first();
    assertArrayEquals(new int[] {3, 40, 48}, ints(crop, "out_shape"));
    assertArrayEquals(in.get("crop#1"), floats(crop, "data"));
  }

  @Test
  void savedPipelineLoadsAndRunsWithoutTheOriginalWeightFiles() throws Exception {
    Path weights = Files.copy(UPSAMPLE, tmp.resolve("up.npy"));
    Path bias = Files.copy(UPSAMPLE_BIAS, tmp.resolve("up_bias.npy"));
    Map<String, float[]> in = records();
    in.keySet().retainAll(List.of("x#0", "crop#1", "x#2"));
    PipelineModel model = new Pipeline().setStages((PipelineStage[]) stages(weights, bias)).fit(frame(in));
    Map<String, float[]> before = outputs(model.transform(frame(in)), "out");
    String dir = tmp.resolve("model").toString();
    model.write().overwrite().save(dir);
    Files.delete(weights);
    Files.delete(bias); // the saved model holds its own copies

    PipelineModel loaded = PipelineModel.load(dir);
    assertEquals(2, loaded.stages().length);
    ConvTransposeTransformer first = (ConvTransposeTransformer) loaded.stages()[0];
    assertTrue(Files.isRegularFile(Path.of(first.getOrDefault(first.weights()))), first.getOrDefault(first.weights()));
    assertEquals(model.stages()[1].uid(), loaded.stages()[1].uid());
    ConvTransposeTransformer second = (ConvTransposeTransformer) loaded.stages()[1];
    assertEquals("relu:0.1", second.getOrDefault(second.neuron()));
    Map<String, float[]> after = outputs(loaded.transform(frame(in)), "out");
    assertEquals(before.keySet(), after.keySet());
    before.forEach((id, v) -> assertArrayEquals(v, after.get(id), id));
  }

  @Test
  void fixedShapeMetadataStandsInForTheShapeColumn() {
    Map<String, float[]> in = new LinkedHashMap<>(records());
    in.keySet().removeIf(id -> id.startsWith("crop"));
    List<Row> rows = new ArrayList<>();
    in.forEach((id, data) -> rows.add(RowFactory.create(id, data)));
    Dataset<Row> df = spark.createDataFrame(rows, new StructType().add("id", DataTypes.StringType)
        .add("data", DataTypes.createArrayType(DataTypes.FloatType, false), true,
            TensorColumns.tensorMetadata(new int[] {3, 48, 48})));
    ConvTransposeTransformer[] s = stages(UPSAMPLE, UPSAMPLE_BIAS);
    s[1].setShapeCol("no_such_column"); // the first stage's output metadata carries its shape
    Dataset<Row> result = s[1].transform(s[0].transform(df));
    Metadata m = result.schema().apply("out").metadata();
    assertEquals("{\"shape\":[3,96,96]}", m.getString(TensorColumns.EXTENSION_METADATA));
    Map<String, float[]> out = outputs(result, "out");
    in.forEach((id, v) -> assertArrayEquals(engine(v, shapeOf(id)), out.get(id), id));
    // the tensor column alone, no other column
    for (Row r : s[0].transform(df.select("data")).collectAsList()) {
      assertArrayEquals(engineOne(floats(r, "data")), floats(r, "up"));
    }
  }

  @Test
  void nullTensorsGetNullOutputsAndNullValuesFailNamingTheRecord() {
    List<Row> rows = new ArrayList<>();
    Map<String, float[]> in = records();
    rows.add(RowFactory.create("a", new int[] {3, 48, 48}, in.get("x#0")));
    rows.add(RowFactory.create("none", null, null));
    rows.add(RowFactory.create("b", new int[] {3, 48, 48}, in.get("x#2")));
    List<Row> out = stages(UPSAMPLE, UPSAMPLE_BIAS)[0].transform(spark.createDataFrame(rows, SCHEMA).coalesce(1))
        .collectAsList();
    assertEquals(List.of("a", "none", "b"), out.stream().map(r -> r.getString(0)).toList());
    assertNull(out.get(1).get(3));
    assertNull(out.get(1).get(4));

    StructType nullable = new StructType().add("id", DataTypes.StringType)
        .add("shape", DataTypes.createArrayType(DataTypes.IntegerType, true))
        .add("data", DataTypes.createArrayType(DataTypes.FloatType, true));
    float[] x0 = in.get("x#0");
    List<Float> holed = new ArrayList<>();
    for (float v : x0) {
      holed.add(v);
    }
    holed.set(7, null);
    Dataset<Row> withNull = spark.createDataFrame(List.of(RowFactory.create("ok", List.of(3, 48, 48), toList(x0)),
        RowFactory.create("holed", List.of(3, 48, 48), holed)), nullable);
    String m = failure(stages(UPSAMPLE, UPSAMPLE_BIAS)[0].transform(withNull)::collectAsList);
    assertTrue(m.contains("Bad record holed (null): column 'data' holds a null value"), m);
    Row ok = stages(UPSAMPLE, UPSAMPLE_BIAS)[0].transform(withNull.where("id = 'ok'")).first();
    assertArrayEquals(engineOne(x0), floats(ok, "up"));
  }

  static List<Float> toList(float[] v) {
    List<Float> l = new ArrayList<>();
    for (float f : v) {
      l.add(f);
    }
    return l;
  }

  /** The upsample layer alone on one 3x48x48 record. */
  static float[] engineOne(float[] chw) {
    try (RootAllocator a = new RootAllocator(); ImageBatch src = ImageBatch.allocate(a, 1, 48, 48, 3)) {
      src.writeCHW(0, chw);
      try (ImageBatch dst = Layer.open(LayerSpec.of(UPSAMPLE, UPSAMPLE_BIAS, WeightLayout.PYTORCH,
          TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1)))
          .apply(a, src)) {
        float[] out = new float[dst.imageSize()];
        dst.readCHW(0, out);
        return out;
      }
    }
  }

  static String failure(Runnable r) {
    Exception e = assertThrows(Exception.class, r::run);
    return SparkErrors.unwrap(e).getMessage();
  }

  @Test
  void onnxSamePadsPerRecordSizeEqualTheInferJobAndSurviveSaveLoad() throws Exception {
    Map<String, float[]> in = records(); // 48x48 records and 20x24 crops: each size gets its own pads
    // stride 3, kernel 4: same_upper's total pad is 1, put at the end
    ConvTransposeTransformer stage = new ConvTransposeTransformer().setWeights(UPSAMPLE.toString())
        .setBias(UPSAMPLE_BIAS.toString()).setWeightsLayout("pytorch").setStride(3, 3).setAutoPad("same_upper");
    Dataset<Row> result = stage.transform(frame(in));
    Map<String, float[]> staged = outputs(result, "output");
    assertArrayEquals(new int[] {3, 60, 72}, ints(result.where("id = 'crop#1'").first(), "output_shape"));
    assertArrayEquals(new int[] {3, 144, 144}, ints(result.where("id = 'x#0'").first(), "output_shape"));

    // convt-job infer --stride 3 --auto-pad same_upper over the same records (a Parquet tensor dataset)
    String dataset = tmp.resolve("in").toString();
    frame(in).write().parquet(dataset);
    LayerSpec spec = LayerSpec.of(UPSAMPLE, UPSAMPLE_BIAS, WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {3, 3}, new int[] {0, 0}, new int[] {0, 0}, new int[] {1, 1}, 1))
        .withOnnxSizing(io.convt.engine.layout.OnnxAutoPad.SAME_UPPER, null);
    String out = tmp.resolve("job").toString();
    io.convt.job.infer.InferJob.run(spark, spec,
        io.convt.job.JobConfig.load(null, List.of("progress.interval-seconds=0")), dataset, out);
    Map<String, float[]> job = outputs(spark.read().parquet(out + "/data"), "data");
    assertEquals(in.keySet(), job.keySet());
    job.forEach((id, v) -> assertArrayEquals(v, staged.get(id), id));

    // saved and loaded, the stage keeps its ONNX sizing (and its answers)
    String dir = tmp.resolve("stage").toString();
    stage.write().save(dir);
    ConvTransposeTransformer loaded = ConvTransposeTransformer.load(dir);
    assertEquals("same_upper", loaded.getOrDefault(loaded.autoPad()));
    Map<String, float[]> again = outputs(loaded.transform(frame(in)), "output");
    staged.forEach((id, v) -> assertArrayEquals(v, again.get(id), id));

    // output_shape too: a 20x24 crop asked for 62x73 (ONNX puts the extra pixels at the end), kept by save/load
    ConvTransposeTransformer shaped = new ConvTransposeTransformer().setWeights(UPSAMPLE.toString())
        .setWeightsLayout("pytorch").setStride(3, 3).setOutputShape(62, 73);
    Map<String, float[]> crops = new LinkedHashMap<>();
    crops.put("crop#1", in.get("crop#1"));
    Row r = shaped.transform(frame(crops)).first();
    assertArrayEquals(new int[] {3, 62, 73}, ints(r, "output_shape"));
    String shapedDir = tmp.resolve("shaped").toString();
    shaped.write().save(shapedDir);
    ConvTransposeTransformer shapedLoaded = ConvTransposeTransformer.load(shapedDir);
    assertArrayEquals(new int[] {62, 73}, shapedLoaded.getOrDefault(shapedLoaded.outputShape()));
    assertArrayEquals(floats(r, "output"), floats(shapedLoaded.transform(frame(crops)).first(), "output"));
  }

  @Test
  void badOnnxSizingFailsAtTransformWithTheJobsMessages() {
    Dataset<Row> df = frame(records());
    String mode = failure(() -> stages(UPSAMPLE, UPSAMPLE_BIAS)[0].setPadding(0, 0).setAutoPad("same")
        .transform(df));
    assertTrue(mode.startsWith("Invalid value for --auto-pad: 'same'"), mode);
    String pads = failure(() -> stages(UPSAMPLE, UPSAMPLE_BIAS)[0].setAutoPad("same_upper").transform(df));
    assertEquals("Invalid option: --padding 1,1 excludes --auto-pad same_upper (ONNX derives the pads)", pads);
  }

  @Test
  void badParamsFailAtTransformWithTheJobsMessages() {
    Dataset<Row> df = frame(records());
    String missing = failure(() -> stages(tmp.resolve("nope.npy"), UPSAMPLE_BIAS)[0].transform(df));
    assertEquals(tmp.resolve("nope.npy") + ": weights file does not exist", missing);

    String layout = failure(() -> stages(UPSAMPLE, UPSAMPLE_BIAS)[0].setWeightsLayout("nchw").transform(df));
    assertEquals("Invalid value for --weights-layout: 'nchw' (expected pytorch, mps or tensorflow)", layout);

    String unset = failure(() -> new ConvTransposeTransformer().setWeights(UPSAMPLE.toString()).transform(df));
    assertTrue(unset.startsWith("Cannot define layer: Missing required option: '--weights-layout=LAYOUT'"), unset);

    String neuron = failure(() -> stages(UPSAMPLE, UPSAMPLE_BIAS)[0].setNeuron("sigmoidish").transform(df));
    assertEquals("Invalid value for --neuron: unknown type 'sigmoidish'", neuron);

    String column = failure(() -> stages(UPSAMPLE, UPSAMPLE_BIAS)[0].setInputCol("pixels").transform(df));
    assertTrue(column.startsWith("Cannot read column 'pixels' (inputCol): no such column"), column);
  }

  @Test
  void channelMismatchFailsNamingTheWeightsOrTheRecord() {
    float[] gray = new float[8 * 8];
    // a fixed-shape column is checked on the driver, at transform
    Dataset<Row> fixed = spark.createDataFrame(List.of(RowFactory.create("g", gray)), new StructType()
        .add("id", DataTypes.StringType).add("data", DataTypes.createArrayType(DataTypes.FloatType, false), true,
            TensorColumns.tensorMetadata(new int[] {1, 8, 8})));
    String eager = failure(() -> stages(UPSAMPLE, UPSAMPLE_BIAS)[0].transform(fixed));
    assertEquals("Cannot read input column 'data': records have 1 channels, the weights " + UPSAMPLE + " expect 3",
        eager);
    // per-row shapes are known only when the rows run: the job's --fail-fast line names the record
    Dataset<Row> perRow = spark.createDataFrame(List.of(RowFactory.create("g", new int[] {1, 8, 8}, gray)), SCHEMA);
    Dataset<Row> lazy = stages(UPSAMPLE, UPSAMPLE_BIAS)[0].transform(perRow);
    assertEquals("Bad record g (channels): has 1 channels, the weights expect 3", failure(lazy::collectAsList));
    Dataset<Row> wrongSize = spark.createDataFrame(List.of(RowFactory.create("s", new int[] {3, 8, 8}, gray)), SCHEMA);
    assertEquals("Bad record s (shape): shape [3, 8, 8] does not match 64 values",
        failure(stages(UPSAMPLE, UPSAMPLE_BIAS)[0].transform(wrongSize)::collectAsList));
  }

  @Test
  void saveNamesAMissingWeightsFile() {
    ConvTransposeTransformer t = stages(tmp.resolve("gone.npy"), UPSAMPLE_BIAS)[0];
    String m = failure(() -> {
      try {
        t.write().save(tmp.resolve("stage").toString());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertEquals(tmp.resolve("gone.npy") + ": weights file does not exist or is not a regular file", m);
    assertTrue(Stream.of(tmp.toFile().list()).noneMatch("stage"::equals), "nothing written");
  }
}

package io.convt.job.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.cli.ConvtCli;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.job.ConvtJob;
import io.convt.job.gradients.TestSpark;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/convt-job infer} with {@code --weights-key}/{@code --bias-key} on a state dict and with ONNX
 * {@code --auto-pad}/{@code --output-shape} on inputs of two sizes: equal bit for bit to {@code scripts/convt
 * forward} with the same flags (run in-process), so the job and the CLI open the layer the same way; likewise
 * {@code --onnx-model}.
 */
public class StateDictAndOnnxPadsJobTest {
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

  /** A safetensors state dict: weights {@code [2,3,3,3]} (PyTorch layout) and bias under non-default keys. */
  private Path stateDict() throws IOException {
    Random r = new Random(19);
    float[] w = new float[2 * 3 * 3 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextFloat() - 0.5f;
    }
    float[] b = {0.25f, -0.5f, 0.125f};
    float[] decoy = new float[w.length]; // a 'weight' entry that must not be used
    String header = "{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3,3,3],\"data_offsets\":[0,216]},"
        + "\"decoder.up.weight\":{\"dtype\":\"F32\",\"shape\":[2,3,3,3],\"data_offsets\":[216,432]},"
        + "\"decoder.up.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[432,444]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 444).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(h.length).put(h);
    for (float[] t : new float[][] {decoy, w, b}) {
      for (float v : t) {
        buf.putFloat(v);
      }
    }
    Path p = tmp.resolve("model.safetensors");
    Files.write(p, buf.array());
    return p;
  }

  private Path input(Path dir, int h, int w, long seed) throws IOException {
    Files.createDirectories(dir);
    Random r = new Random(seed);
    float[] x = new float[2 * 2 * h * w];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat() * 2 - 1;
    }
    Path p = dir.resolve("x" + h + "x" + w + ".npy");
    Npy.writeFloat32(p, new int[] {2, 2, h, w}, x);
    return p;
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  /** {@code scripts/convt forward} in this JVM. */
  private NpyArray cli(Path x, String[] layer) {
    Path y = tmp.resolve("cli-" + x.getFileName());
    StringWriter err = new StringWriter();
    int rc = ConvtCli.run(concat(new String[] {"forward", "--input", x.toString(), "--output", y.toString()}, layer),
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(0, rc, err.toString());
    return Npy.read(y);
  }

  /** The job's output rows whose {@code shape} is {@code chw}, ordered by id, data concatenated. */
  private static float[] rowsOfShape(String dir, int[] chw) {
    List<Float> all = new ArrayList<>();
    for (Row row : spark.read().parquet(dir + "/data").orderBy("id").collectAsList()) {
      List<Integer> s = row.getList(row.fieldIndex("shape"));
      if (Arrays.equals(s.stream().mapToInt(Integer::intValue).toArray(), chw)) {
        all.addAll(row.getList(row.fieldIndex("data")));
      }
    }
    float[] r = new float[all.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = all.get(i);
    }
    return r;
  }

  private static String listing(String out) {
    try (var files = Files.walk(Path.of(out))) {
      return files.map(Path::toString).reduce("", (a, b) -> a + "\n" + b);
    } catch (IOException e) {
      return e.toString();
    }
  }

  private void jobEqualsCli(String[] layer, int[][] sizes, int[][] expectedOutputHw) throws IOException {
    Path in = tmp.resolve("in");
    List<Path> inputs = new ArrayList<>();
    List<Row> records = new ArrayList<>();
    for (int i = 0; i < sizes.length; i++) {
      inputs.add(input(in, sizes[i][0], sizes[i][1], 5 + i));
      NpyArray x = Npy.read(inputs.get(i));
      int per = x.size() / 2;
      for (int n = 0; n < 2; n++) {
        records.add(RowFactory.create("s" + i + "-" + n, new int[] {2, sizes[i][0], sizes[i][1]},
            Arrays.copyOfRange(x.floats(), n * per, (n + 1) * per)));
      }
    }
    // one dataset holding records of every size, so that one job (one broadcast) sees them all
    String dataset = tmp.resolve("dataset").toString();
    spark.createDataFrame(records, new StructType().add("id", DataTypes.StringType)
        .add("shape", DataTypes.createArrayType(DataTypes.IntegerType))
        .add("data", DataTypes.createArrayType(DataTypes.FloatType))).coalesce(1).write().parquet(dataset);
    String out = tmp.resolve("out").toString();
    StringWriter err = new StringWriter();
    StringWriter sout = new StringWriter();
    int rc = ConvtJob.run(new PrintWriter(sout, true), new PrintWriter(err, true),
        concat(new String[] {"infer", "--input", dataset, "--output", out, "--conf",
            "progress.interval-seconds=0"}, layer));
    assertEquals(0, rc, () -> err + "\n" + sout + "\n" + listing(out));
    for (int i = 0; i < inputs.size(); i++) {
      NpyArray expected = cli(inputs.get(i), layer);
      int[] s = expected.shape();
      assertArrayEquals(new int[] {2, 3, expectedOutputHw[i][0], expectedOutputHw[i][1]}, s);
      float[] got = rowsOfShape(out, new int[] {s[1], s[2], s[3]});
      assertTrue(got.length > 0, "no job rows of shape " + Arrays.toString(s));
      assertArrayEquals(expected.floats(), got, "input " + inputs.get(i).getFileName());
    }
  }

  @Test
  void weightsAndBiasKeysOfAStateDict() throws IOException {
    String[] layer = {"--weights", stateDict().toString(), "--weights-key", "decoder.up.weight", "--bias-key",
        "decoder.up.bias", "--weights-layout", "pytorch", "--stride", "2", "--padding", "1"};
    jobEqualsCli(layer, new int[][] {{5, 4}}, new int[][] {{9, 7}});
  }

  @Test
  void onnxSameUpperPadsAreDerivedPerInputSize() throws IOException {
    String[] layer = {"--weights", stateDict().toString(), "--weights-key", "decoder.up.weight", "--bias-key",
        "decoder.up.bias", "--weights-layout", "pytorch", "--stride", "2", "--auto-pad", "same_upper"};
    jobEqualsCli(layer, new int[][] {{5, 4}, {3, 6}}, new int[][] {{10, 8}, {6, 12}});
  }

  @Test
  void onnxOutputShapeInTheJob() throws IOException {
    String[] layer = {"--weights", stateDict().toString(), "--weights-key", "decoder.up.weight", "--weights-layout",
        "pytorch", "--stride", "2", "--output-shape", "10,9"};
    jobEqualsCli(layer, new int[][] {{5, 4}}, new int[][] {{10, 9}});
  }

  @Test
  void oneNodeOfAnOnnxModel() throws IOException {
    // exported by PyTorch (tools/fixtures/gen_onnx_convtranspose.py): stride 2, pads 1, output_padding 1, bias
    String[] layer = {"--onnx-model", "../engine/src/test/resources/onnx/convt.onnx"};
    jobEqualsCli(layer, new int[][] {{4, 5}, {3, 3}}, new int[][] {{8, 10}, {6, 6}});
  }
}

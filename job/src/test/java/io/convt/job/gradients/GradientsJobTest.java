package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.ConvTransposeGradient;
import io.convt.engine.ConvolutionTransposeGradientState;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layer.WeightGeometry;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import io.convt.engine.layout.WeightLayouts;
import io.convt.engine.train.Loss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gradients job on local[2] against PyTorch, the single-JVM engine, other partitionings and bad input. */
public class GradientsJobTest {
  static final Path FIX = Paths.get("src/test/resources/gradients");
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

  public static LayerSpec fixtureLayer() {
    return LayerSpec.of(FIX.resolve("w.npy"), FIX.resolve("b.npy"), WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1));
  }

  static float[] load(String name) {
    return Npy.read(FIX.resolve(name)).floats();
  }

  static void assertClose(float[] want, float[] got, double rel, String what) {
    assertEquals(want.length, got.length, what + " length");
    double scale = 0;
    for (float v : want) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], rel * scale, what + "[" + i + "]");
    }
  }

  private GradientOutputs.Result run(GradientsRequest r, String dir) {
    return GradientsJob.run(spark, fixtureLayer(), r, tmp.resolve(dir));
  }

  @Test
  void upstreamGradientsMatchPyTorchAutogradOverTheWholeStack() throws Exception {
    GradientOutputs.Result r = run(GradientsRequest.withGradOutput(FIX.resolve("x.npy"), FIX.resolve("gy.npy"), 3), "gy");
    assertClose(load("gw_gy.npy"), r.weightGradient(), 1e-5, "grad_weights");
    assertClose(load("gb_gy.npy"), r.biasGradient(), 1e-5, "grad_bias");
    assertArrayEquals(new int[] {2, 3, 3, 3}, r.weightShape());
    // The files say the same as the returned arrays.
    assertArrayEquals(r.weightGradient(), Npy.read(tmp.resolve("gy/grad_weights.npy")).floats());
    assertArrayEquals(r.biasGradient(), Npy.read(tmp.resolve("gy/grad_bias.npy")).floats());
    assertTrue(Files.readString(tmp.resolve("gy/run-summary.json")).contains("\"gradient_sha256\" : \"" + r.sha256()));
  }

  @Test
  void lossGradientsAndValuesMatchPyTorch() {
    GradientOutputs.Result mse = run(GradientsRequest.withTarget(FIX.resolve("x.npy"), FIX.resolve("t.npy"),
        Loss.parse("mse", "mean"), 2), "mse");
    assertClose(load("gw_mse_mean.npy"), mse.weightGradient(), 1e-5, "mse grad_weights");
    assertClose(load("gb_mse_mean.npy"), mse.biasGradient(), 1e-5, "mse grad_bias");
    double want = Npy.read(FIX.resolve("loss_mse_mean.npy")).floats()[0];
    assertEquals(want, (Double) mse.summary().get("loss"), 1e-5 * want);
    GradientOutputs.Result l1 = run(GradientsRequest.withTarget(FIX.resolve("x.npy"), FIX.resolve("t.npy"),
        Loss.parse("l1", "sum"), 4), "l1");
    assertClose(load("gw_l1_sum.npy"), l1.weightGradient(), 1e-5, "l1 grad_weights");
    assertClose(load("gb_l1_sum.npy"), l1.biasGradient(), 1e-5, "l1 grad_bias");
    double wantL1 = Npy.read(FIX.resolve("loss_l1_sum.npy")).floats()[0];
    assertEquals(wantL1, (Double) l1.summary().get("loss"), 1e-5 * wantL1);
  }

  @Test
  void bitIdenticalAcrossPartitionings() {
    GradientOutputs.Result one = null;
    for (int p : new int[] {1, 3, 7}) {
      GradientOutputs.Result r = run(GradientsRequest.withTarget(FIX.resolve("x.npy"), FIX.resolve("t.npy"),
          Loss.parse("mse", "mean"), p), "p" + p);
      if (one == null) {
        one = r;
        continue;
      }
      assertEquals(one.sha256(), r.sha256(), "gradient_sha256 with " + p + " partitions");
      assertArrayEquals(one.weightGradient(), r.weightGradient(), 0f);
      assertArrayEquals(one.biasGradient(), r.biasGradient(), 0f);
      assertEquals(one.summary().get("loss"), r.summary().get("loss"));
    }
  }

  @Test
  void equalsTheSingleJvmEngineGradientsAndWritesGradInput() throws Exception {
    Path dx = tmp.resolve("dx");
    GradientOutputs.Result r = run(GradientsRequest.withGradOutput(FIX.resolve("x.npy"), FIX.resolve("gy.npy"), 3)
        .writingGradInput(dx), "engine");
    Layer layer = Layer.open(fixtureLayer());
    try (RootAllocator alloc = new RootAllocator();
        ImageBatch x = NchwArrays.toBatch(alloc, Npy.read(FIX.resolve("x.npy")));
        ImageBatch gy = NchwArrays.toBatch(alloc, Npy.read(FIX.resolve("gy.npy")));
        ImageBatch y = layer.apply(alloc, x)) {
      List<ConvolutionTransposeGradientState> states = layer.kernel().resultStateBatch(x, null, y);
      try (ImageBatch gx = new ConvTransposeGradient(layer.kernel()).encodeBatch(alloc, gy, x, states)) {
        ConvolutionTransposeGradientState s = states.get(0);
        WeightGeometry g = layer.geometry();
        float[] dw = WeightLayouts.fromMps(WeightLayout.PYTORCH, s.gradientForWeights(), g.outputChannels(),
            g.kernelHeight(), g.kernelWidth(), g.inputChannels(), 1);
        assertClose(dw, r.weightGradient(), 1e-6, "grad_weights vs engine");
        assertClose(s.gradientForBiases(), r.biasGradient(), 1e-6, "grad_bias vs engine");
        // dL/dX is per record, so it is exactly the engine's, slice files in record order.
        float[] want = NchwArrays.fromBatch(gx);
        float[] got = new float[0];
        for (long[] slice : GradientPass.slices(0, 7, 3)) {
          NpyArray a = Npy.read(dx.resolve(PartitionGradients.gradInputFileName(slice[0], (int) slice[1])));
          float[] both = java.util.Arrays.copyOf(got, got.length + a.size());
          System.arraycopy(a.floats(), 0, both, got.length, a.size());
          got = both;
        }
        assertArrayEquals(want, got, 0f);
      }
    }
  }

  @Test
  void badInputIsAClearError() {
    // Target of the wrong shape: named with both shapes before any Spark work.
    Path badT = tmp.resolve("t_bad.npy");
    Npy.writeFloat32(badT, new int[] {7, 3, 9, 10}, new float[7 * 3 * 9 * 10]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(
        GradientsRequest.withTarget(FIX.resolve("x.npy"), badT, Loss.parse("mse", "mean"), 2), "bad1"));
    assertTrue(e.getMessage().contains("--target " + badT + " has shape [7, 3, 9, 10] but the layer's output"),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("is [7, 3, 10, 10]"), e.getMessage());
    // Empty dataset.
    Path emptyX = tmp.resolve("x_empty.npy");
    Npy.writeFloat32(emptyX, new int[] {0, 2, 5, 5}, new float[0]);
    e = assertThrows(IllegalArgumentException.class, () -> run(
        GradientsRequest.withGradOutput(emptyX, FIX.resolve("gy.npy"), 2), "bad2"));
    assertTrue(e.getMessage().contains("is an empty dataset"), e.getMessage());
    // NaN in a target: the executor's message (record and file) reaches the driver as one line.
    float[] t = load("t.npy");
    t[3 * 300 + 17] = Float.NaN;
    Path nanT = tmp.resolve("t_nan.npy");
    Npy.writeFloat32(nanT, new int[] {7, 3, 10, 10}, t);
    e = assertThrows(IllegalArgumentException.class, () -> run(
        GradientsRequest.withTarget(FIX.resolve("x.npy"), nanT, Loss.parse("mse", "mean"), 3), "bad3"));
    assertTrue(e.getMessage().startsWith("Cannot compute mse loss of record 3 of " + nanT
        + ": target element 17 is not finite"), e.getMessage());
    assertTrue(!Files.exists(tmp.resolve("bad3/grad_weights.npy")), "no output after a failed run");
  }
}

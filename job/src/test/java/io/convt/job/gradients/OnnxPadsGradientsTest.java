package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.cli.LayerOptions;
import io.convt.engine.io.Npy;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.train.Loss;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** ONNX sizing in gradients: {@code --auto-pad same_upper} gives the bits of the explicit pads ONNX derives. */
public class OnnxPadsGradientsTest {
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

  private LayerSpec spec(String... geometry) {
    LayerOptions o = new LayerOptions();
    String[] base = {"--weights", tmp.resolve("w.npy").toString(), "--bias", tmp.resolve("b.npy").toString(),
        "--weights-layout", "pytorch", "--stride", "2,2"};
    String[] all = java.util.Arrays.copyOf(base, base.length + geometry.length);
    System.arraycopy(geometry, 0, all, base.length, geometry.length);
    new CommandLine(o).parseArgs(all);
    return o.toSpec(); // what gradients and train call
  }

  @Test
  void sameUpperGivesTheBitsOfItsExplicitPads() throws Exception {
    Random r = new Random(11);
    float[] w = new float[3 * 2 * 3 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian() * 0.2f;
    }
    Npy.writeFloat32(tmp.resolve("w.npy"), new int[] {3, 2, 3, 3}, w);
    Npy.writeFloat32(tmp.resolve("b.npy"), new int[] {2}, new float[] {0.05f, -0.1f});
    LayerSpec auto = spec("--auto-pad", "same_upper");
    // ONNX SAME_UPPER for a 4x5 input, stride 2, kernel 3: output 8x10, total pads 1 and 1, the odd one at the end
    LayerSpec explicit = spec("--padding", "0,0,1,1");
    TorchConvTranspose2d derived = Layer.open(auto).forInput(4, 5).spec().geometry();
    assertArrayEquals(new int[] {0, 0, 1, 1},
        new int[] {derived.padTop(), derived.padLeft(), derived.padBottom(), derived.padRight()});

    List<TensorDatasetFiles.Tensor> xs = TensorDatasetFiles.records(TensorDatasetGradientsTest.ids(9),
        new int[] {3, 4, 5}, 12);
    List<TensorDatasetFiles.Tensor> ts = TensorDatasetFiles.records(TensorDatasetGradientsTest.ids(9),
        new int[] {2, 8, 10}, 13);
    TensorDatasetFiles.npy(xs, tmp.resolve("x.npy"));
    TensorDatasetFiles.npy(ts, tmp.resolve("t.npy"));
    TensorDatasetFiles.parquet(spark, xs, tmp.resolve("xp"), 2);
    TensorDatasetFiles.parquet(spark, ts, tmp.resolve("tp"), 2);
    Loss mse = Loss.parse("mse", "mean");
    GradientOutputs.Result byFlags = GradientsJob.run(spark, explicit,
        GradientsRequest.withTarget(tmp.resolve("x.npy"), tmp.resolve("t.npy"), mse, 3), tmp.resolve("explicit"));
    GradientOutputs.Result byAutoPad = GradientsJob.run(spark, auto,
        GradientsRequest.withTarget(tmp.resolve("x.npy"), tmp.resolve("t.npy"), mse, 3), tmp.resolve("auto"));
    GradientOutputs.Result parquet = GradientsJob.run(spark, auto,
        GradientsRequest.withTarget(tmp.resolve("xp"), tmp.resolve("tp"), mse, 2), tmp.resolve("auto-parquet"));
    assertEquals(byFlags.sha256(), byAutoPad.sha256());
    assertArrayEquals(byFlags.weightGradient(), byAutoPad.weightGradient(), 0f);
    assertArrayEquals(byFlags.biasGradient(), byAutoPad.biasGradient(), 0f);
    assertEquals(byFlags.summary().get("loss"), byAutoPad.summary().get("loss"));
    assertEquals(byFlags.sha256(), parquet.sha256(), "a Parquet dataset through the same derived layer");
  }
}

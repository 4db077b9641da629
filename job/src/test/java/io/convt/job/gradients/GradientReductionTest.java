package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.io.Npy;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import io.convt.engine.train.Loss;
import java.nio.file.Path;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executors' tree reduction: the gradient bits do not depend on the partitioning and equal those of the
 * driver-side merge it replaced, and the driver receives about one weight-sized vector whatever the partition
 * count.
 */
class GradientReductionTest {
  /**
   * gradient_sha256 of the driver-side merge (commit 2899f18) for the fixture with mse/mean and for
   * {@link #generated} with upstream gradients: the reduction must reproduce them bit for bit.
   */
  static final String FIXTURE_MSE_SHA = "6383b871f52a723b667aa9ff203c2dad3e01b5dbc92ee9af339c53904a194a17";
  static final String GENERATED_100_SHA = "481d8260b2bed03537b1ae8b4ea59ba8fcdbbcf60e0ed192464767c82bcefdda";

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

  /** {@code n} records of x {@code [2,5,5]} and dL/dY {@code [3,10,10]} for the fixture layer, seeded. */
  static GradientsRequest generated(Path dir, int n, int partitions) {
    Random rnd = new Random(42);
    float[] x = new float[n * 2 * 5 * 5];
    float[] gy = new float[n * 3 * 10 * 10];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    for (int i = 0; i < gy.length; i++) {
      gy[i] = (float) rnd.nextGaussian();
    }
    Npy.writeFloat32(dir.resolve("x.npy"), new int[] {n, 2, 5, 5}, x);
    Npy.writeFloat32(dir.resolve("gy.npy"), new int[] {n, 3, 10, 10}, gy);
    return GradientsRequest.withGradOutput(dir.resolve("x.npy"), dir.resolve("gy.npy"), partitions);
  }

  /**
   * A {@code cin → cout}, kernel 4, stride 2 layer with seeded weights and biases, and {@code n} records of x
   * {@code [cin,2,2]} ({@code dir/x.npy}) with dL/dY {@code [cout,4,4]} ({@code dir/gy.npy}).
   */
  static LayerSpec randomLayer(Path dir, int cin, int cout, int n, long seed) {
    Random rnd = new Random(seed);
    float[] w = new float[cin * cout * 16];
    float[] b = new float[cout];
    float[] x = new float[n * cin * 2 * 2];
    float[] gy = new float[n * cout * 4 * 4];
    for (float[] a : new float[][] {w, b, x, gy}) {
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) rnd.nextGaussian();
      }
    }
    Npy.writeFloat32(dir.resolve("w.npy"), new int[] {cin, cout, 4, 4}, w);
    Npy.writeFloat32(dir.resolve("b.npy"), new int[] {cout}, b);
    Npy.writeFloat32(dir.resolve("x.npy"), new int[] {n, cin, 2, 2}, x);
    Npy.writeFloat32(dir.resolve("gy.npy"), new int[] {n, cout, 4, 4}, gy);
    return LayerSpec.of(dir.resolve("w.npy"), dir.resolve("b.npy"), WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
  }

  @Test
  void bitsEqualTheDriverMergeForAnyPartitioning() {
    Path fix = GradientsJobTest.FIX;
    for (int p : new int[] {1, 3, 8}) {
      GradientOutputs.Result r = GradientsJob.run(spark, GradientsJobTest.fixtureLayer(), GradientsRequest.withTarget(
          fix.resolve("x.npy"), fix.resolve("t.npy"), Loss.parse("mse", "mean"), p), tmp.resolve("fix" + p));
      assertEquals(FIXTURE_MSE_SHA, r.sha256(), "fixture gradient_sha256 with " + p + " partitions");
    }
    GradientsRequest g = generated(tmp, 100, 1);
    for (int p : new int[] {1, 3, 8, 64}) {
      GradientOutputs.Result r = GradientsJob.run(spark, GradientsJobTest.fixtureLayer(),
          new GradientsRequest(g.input(), g.gradOutput(), null, null, p, null), tmp.resolve("gen" + p));
      assertEquals(GENERATED_100_SHA, r.sha256(), "100-record gradient_sha256 with " + p + " partitions");
      assertEquals(Math.min(p, 100), ((Number) r.summary().get("partitions")).intValue());
    }
  }

  @Test
  void theDriverReceivesOneVectorWhateverThePartitionCount() {
    // 32 -> 32 channels, 4x4 kernel: W = 16 416 weights + biases, so one double vector is 131 kB and the partials
    // of 32 slices are several MB: shipping them to the driver would break the bound below.
    LayerSpec spec = randomLayer(tmp, 32, 32, 64, 3);
    long weightsAndBiases = 32 * 32 * 16 + 32;
    long bound = 4 * 8 * weightsAndBiases + (1 << 20);
    GradientOutputs.Result first = null;
    for (int p : new int[] {4, 32}) {
      GradientOutputs.Result r = GradientsJob.run(spark, spec,
          GradientsRequest.withGradOutput(tmp.resolve("x.npy"), tmp.resolve("gy.npy"), p), tmp.resolve("p" + p));
      long received = ((Number) r.summary().get("driver_received_bytes")).longValue();
      assertTrue(received <= bound, p + " partitions: driver received " + received + " bytes > bound " + bound);
      assertTrue(received >= 4 * weightsAndBiases, p + " partitions: the root's floats must be counted, got "
          + received);
      if (p == 32) {
        long partials = ((Number) r.summary().get("partial_bytes")).longValue();
        assertTrue(partials > bound, "the partials (" + partials + " bytes) stay on the executors");
      }
      if (first == null) {
        first = r;
      } else {
        assertEquals(first.sha256(), r.sha256());
        assertArrayEquals(first.weightGradient(), r.weightGradient(), 0f);
      }
    }
  }
}

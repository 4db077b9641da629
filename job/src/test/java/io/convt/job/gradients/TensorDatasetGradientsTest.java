package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.train.Loss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gradients from Parquet and Arrow tensor datasets paired by id: the same bits for any partitioning, and the bits
 * of the {@code .npy} run over the same records when the sorted ids are the stack's index order (the ids here are
 * {@code r00..r10}, so they are); to float tolerance when they are not.
 */
public class TensorDatasetGradientsTest {
  static final int N = 11;
  static final int[] X = {3, ImageDatasets.H, ImageDatasets.W};
  static final int[] Y = {3, 2 * ImageDatasets.H, 2 * ImageDatasets.W};
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

  /** {@code r00 .. r<n-1>}: sorted ids in index order. */
  static List<String> ids(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(String.format("r%02d", i));
    }
    return ids;
  }

  private static GradientsRequest target(Path x, Path t, int partitions) {
    return GradientsRequest.withTarget(x.toString(), t.toString(), Loss.parse("mse", "mean"), partitions);
  }

  @Test
  void parquetPairGivesTheNpyBitsForAnyPartitioning() throws Exception {
    LayerSpec layer = ImageDatasets.upsampler(tmp);
    List<TensorDatasetFiles.Tensor> xs = TensorDatasetFiles.records(ids(N), X, 1);
    List<TensorDatasetFiles.Tensor> ts = TensorDatasetFiles.records(ids(N), Y, 2);
    TensorDatasetFiles.npy(xs, tmp.resolve("x.npy"));
    TensorDatasetFiles.npy(ts, tmp.resolve("t.npy"));
    TensorDatasetFiles.parquet(spark, xs, tmp.resolve("xp"), 3);
    TensorDatasetFiles.parquet(spark, ts, tmp.resolve("tp"), 2);

    GradientOutputs.Result npy = GradientsJob.run(spark, layer, target(tmp.resolve("x.npy"), tmp.resolve("t.npy"), 3),
        tmp.resolve("npy"));
    for (int p : new int[] {1, 3, 7}) {
      GradientOutputs.Result r = GradientsJob.run(spark, layer, target(tmp.resolve("xp"), tmp.resolve("tp"), p),
          tmp.resolve("p" + p));
      assertEquals(npy.sha256(), r.sha256(), p + " partitions vs the .npy run");
      assertArrayEquals(npy.weightGradient(), r.weightGradient(), 0f);
      assertArrayEquals(npy.biasGradient(), r.biasGradient(), 0f);
      assertEquals(npy.summary().get("loss"), r.summary().get("loss"));
    }
    JsonNode s = new ObjectMapper().readTree(tmp.resolve("p7/run-summary.json").toFile());
    assertEquals(N, s.get("records").asInt());
    assertEquals("id, sorted", s.get("paired_by").asText());
    assertEquals("parquet", s.get("input_format").asText());
    assertEquals(0, s.get("quarantined_unpaired").asInt());
  }

  @Test
  void parquetPairWritesTheNpyRunsDataGradientStacks() throws Exception {
    LayerSpec layer = ImageDatasets.upsampler(tmp);
    List<TensorDatasetFiles.Tensor> xs = TensorDatasetFiles.records(ids(N), X, 3);
    List<TensorDatasetFiles.Tensor> ts = TensorDatasetFiles.records(ids(N), Y, 4);
    TensorDatasetFiles.npy(xs, tmp.resolve("dx-x.npy"));
    TensorDatasetFiles.npy(ts, tmp.resolve("dx-t.npy"));
    TensorDatasetFiles.parquet(spark, xs, tmp.resolve("dx-xp"), 2);
    TensorDatasetFiles.parquet(spark, ts, tmp.resolve("dx-tp"), 3);
    GradientsJob.run(spark, layer, target(tmp.resolve("dx-x.npy"), tmp.resolve("dx-t.npy"), 3)
        .writingGradInput(tmp.resolve("npy-dx")), tmp.resolve("npy-dx-out"));
    GradientsJob.run(spark, layer, target(tmp.resolve("dx-xp"), tmp.resolve("dx-tp"), 3)
        .writingGradInput(tmp.resolve("parquet-dx")), tmp.resolve("parquet-dx-out"));
    List<String> stacks;
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(tmp.resolve("npy-dx"))) {
      stacks = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".npy")).sorted().toList();
    }
    assertEquals(3, stacks.size(), "one dL/dX stack per slice: " + stacks);
    for (String f : stacks) {
      assertArrayEquals(java.nio.file.Files.readAllBytes(tmp.resolve("npy-dx").resolve(f)),
          java.nio.file.Files.readAllBytes(tmp.resolve("parquet-dx").resolve(f)), f);
    }
    org.junit.jupiter.api.Assertions.assertTrue(java.nio.file.Files.exists(tmp.resolve("parquet-dx/_SUCCESS")));
  }

  @Test
  void arrowPairWithUpstreamGradientsGivesTheNpyBitsForAnyPartitioning() throws Exception {
    LayerSpec layer = ImageDatasets.upsampler(tmp);
    List<TensorDatasetFiles.Tensor> xs = TensorDatasetFiles.records(ids(N), X, 3);
    List<TensorDatasetFiles.Tensor> dys = TensorDatasetFiles.records(ids(N), Y, 4);
    TensorDatasetFiles.npy(xs, tmp.resolve("x.npy"));
    TensorDatasetFiles.npy(dys, tmp.resolve("dy.npy"));
    TensorDatasetFiles.arrow(xs, tmp.resolve("xa"), 3);
    TensorDatasetFiles.arrow(dys, tmp.resolve("dya"), 4);

    GradientOutputs.Result npy = GradientsJob.run(spark, layer,
        GradientsRequest.withGradOutput(tmp.resolve("x.npy"), tmp.resolve("dy.npy"), 2), tmp.resolve("npy"));
    for (int p : new int[] {1, 3, 7}) {
      GradientOutputs.Result r = GradientsJob.run(spark, layer,
          GradientsRequest.withGradOutput(tmp.resolve("xa"), tmp.resolve("dya"), p), tmp.resolve("a" + p));
      assertEquals(npy.sha256(), r.sha256(), p + " partitions vs the .npy run");
      assertArrayEquals(npy.weightGradient(), r.weightGradient(), 0f);
    }
    // a Parquet input paired with Arrow upstream gradients: the same records, the same bits
    TensorDatasetFiles.parquet(spark, xs, tmp.resolve("xp"), 2);
    GradientOutputs.Result mixed = GradientsJob.run(spark, layer,
        GradientsRequest.withGradOutput(tmp.resolve("xp"), tmp.resolve("dya"), 3), tmp.resolve("mixed"));
    assertEquals(npy.sha256(), mixed.sha256());
  }

  @Test
  void idOrderOtherThanTheStacksOrderSumsTheSameRecordsToFloatTolerance() throws Exception {
    LayerSpec layer = ImageDatasets.upsampler(tmp);
    List<String> reversed = new ArrayList<>(ids(N));
    java.util.Collections.reverse(reversed); // record i of the stack has the (N-1-i)-th id in sorted order
    List<TensorDatasetFiles.Tensor> xs = TensorDatasetFiles.records(reversed, X, 5);
    List<TensorDatasetFiles.Tensor> ts = TensorDatasetFiles.records(reversed, Y, 6);
    TensorDatasetFiles.npy(xs, tmp.resolve("x.npy"));
    TensorDatasetFiles.npy(ts, tmp.resolve("t.npy"));
    TensorDatasetFiles.parquet(spark, xs, tmp.resolve("xp"), 3);
    TensorDatasetFiles.arrow(ts, tmp.resolve("ta"), 2);
    GradientOutputs.Result npy = GradientsJob.run(spark, layer, target(tmp.resolve("x.npy"), tmp.resolve("t.npy"), 2),
        tmp.resolve("npy"));
    GradientOutputs.Result one = GradientsJob.run(spark, layer, target(tmp.resolve("xp"), tmp.resolve("ta"), 1),
        tmp.resolve("p1"));
    GradientOutputs.Result seven = GradientsJob.run(spark, layer, target(tmp.resolve("xp"), tmp.resolve("ta"), 7),
        tmp.resolve("p7"));
    assertEquals(one.sha256(), seven.sha256(), "1 vs 7 partitions");
    float[] want = npy.weightGradient();
    float[] got = one.weightGradient();
    double scale = 0;
    for (float v : want) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], 1e-5 * scale, "weight gradient " + i);
    }
    assertArrayEquals(npy.biasGradient(), one.biasGradient(), (float) (1e-5 * scale));
  }
}

package io.convt.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.layer.LayerSpec;
import io.convt.engine.train.Loss;
import io.convt.engine.train.TrainingOptimizer;
import io.convt.job.gradients.ImageDatasets;
import io.convt.job.gradients.TensorDatasetFiles;
import io.convt.job.gradients.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training from a Parquet tensor dataset pair, against the same records as .npy stacks in id order. */
public class TrainerTensorDatasetTest {
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

  private static TrainRequest request(String x, String t, Path out) {
    TrainingOptimizer.Settings d = TrainingOptimizer.Settings.defaults(TrainingOptimizer.Kind.ADAM);
    TrainingOptimizer.Settings adam = new TrainingOptimizer.Settings(d.kind(), 0.02f, 1f, false, 0f, 0f,
        d.regularization(), 0f, 0f, false, 0.9, 0.9, 0.999, 1e-8f, false);
    // 5 records in batches of 3: steps of 3 and 2 records
    return new TrainRequest(x, t, Loss.parse("mse", "mean"), adam, 1, 3, 2, out, null, 1, false, 0, false, false);
  }

  @Test
  void twoStepsFromAParquetPairEqualTheNpyRun() throws Exception {
    LayerSpec spec = ImageDatasets.upsampler(tmp);
    List<String> ids = List.of("a", "b", "c", "d", "e"); // sorted: the .npy stacks below are in id order
    List<TensorDatasetFiles.Tensor> xs = TensorDatasetFiles.records(ids, new int[] {3, 4, 5}, 31);
    List<TensorDatasetFiles.Tensor> ts = TensorDatasetFiles.records(ids, new int[] {3, 8, 10}, 32);
    TensorDatasetFiles.parquet(spark, xs, tmp.resolve("xp"), 2);
    TensorDatasetFiles.parquet(spark, ts, tmp.resolve("tp"), 3);
    TensorDatasetFiles.npy(xs, tmp.resolve("x.npy"));
    TensorDatasetFiles.npy(ts, tmp.resolve("t.npy"));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    io.convt.engine.train.TrainingResult parquet = new Trainer(new PrintStream(log, true)).run(spark, spec,
        request(tmp.resolve("xp").toString(), tmp.resolve("tp").toString(), tmp.resolve("pq")));
    io.convt.engine.train.TrainingResult npy = new Trainer(new PrintStream(log, true)).run(spark, spec,
        request(tmp.resolve("x.npy").toString(), tmp.resolve("t.npy").toString(), tmp.resolve("npy")));
    assertEquals(2, parquet.stepsDone());
    assertTrue(log.toString().contains("records 3-4"), log.toString());
    assertArrayEquals(npy.weightsMps(), parquet.weightsMps(), 0f);
    assertEquals(npy.summary().get("weights_sha256"), parquet.summary().get("weights_sha256"));
    assertEquals(Files.readAllLines(tmp.resolve("npy/loss.csv")), Files.readAllLines(tmp.resolve("pq/loss.csv")));
    String summary = Files.readString(tmp.resolve("pq/run-summary.json"));
    assertTrue(summary.contains("\"paired_by\" : \"id, sorted\""), summary);
  }
}

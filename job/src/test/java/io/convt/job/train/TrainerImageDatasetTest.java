package io.convt.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.train.TrainingResult;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.train.Loss;
import io.convt.engine.train.TrainingOptimizer;
import io.convt.job.gradients.ImageDatasets;
import io.convt.job.gradients.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training a 2x upsampler from an LR and an HR image directory, against the same pixels as .npy stacks. */
public class TrainerImageDatasetTest {
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
    // 5 records in batches of 2: steps of 2, 2, 1 records per epoch, 2 epochs
    return new TrainRequest(x, t, Loss.parse("mse", "mean"), adam, 2, 2, 2, out, null, 2, false, 0, false, false);
  }

  @Test
  void trainingFromImageDirectoriesEqualsTrainingFromTheSamePixelsAsNpy() throws Exception {
    LayerSpec spec = ImageDatasets.upsampler(tmp);
    Path lr = tmp.resolve("lr");
    Path hr = tmp.resolve("hr");
    List<String> ids = List.of("b", "d", "a", "e", "c");
    ImageDatasets.pairs(lr, hr, ids);
    List<String> sorted = ids.stream().sorted().collect(Collectors.toList());
    ImageDatasets.stack(sorted.stream().map(id -> lr.resolve(id + ".png")).collect(Collectors.toList()),
        tmp.resolve("x.npy"));
    ImageDatasets.stack(sorted.stream().map(id -> hr.resolve(id + ".jpg")).collect(Collectors.toList()),
        tmp.resolve("t.npy"));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    TrainingResult images = new Trainer(new PrintStream(log, true)).run(spark, spec,
        request(lr.toString(), hr.toString(), tmp.resolve("img")));
    TrainingResult npy = new Trainer(new PrintStream(log, true)).run(spark, spec,
        request(tmp.resolve("x.npy").toString(), tmp.resolve("t.npy").toString(), tmp.resolve("npy")));
    assertEquals(6, images.stepsDone());
    assertTrue(images.lastLoss() < images.firstLoss(), images.firstLoss() + " -> " + images.lastLoss());
    assertArrayEquals(npy.weightsMps(), images.weightsMps(), 0f);
    assertEquals(npy.summary().get("weights_sha256"), images.summary().get("weights_sha256"));
    assertEquals(Files.readAllLines(tmp.resolve("npy/loss.csv")), Files.readAllLines(tmp.resolve("img/loss.csv")));
    String summary = Files.readString(tmp.resolve("img/run-summary.json"));
    assertTrue(summary.contains("\"quarantined_unpaired\" : 0"), summary);
  }
}

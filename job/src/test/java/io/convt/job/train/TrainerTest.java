package io.convt.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.train.Checkpoint;
import io.convt.engine.train.TrainingResult;
import io.convt.engine.cli.SuperResolutionDemo;
import io.convt.engine.io.Npy;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import io.convt.engine.train.Loss;
import io.convt.engine.train.TrainingOptimizer;
import io.convt.job.gradients.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data-parallel training on local[2]: learning, checkpoints, bit-exact resume, Adam's time step, NaN safety. */
class TrainerTest {
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

  static LayerSpec layer() {
    return io.convt.job.gradients.GradientsJobTest.fixtureLayer();
  }

  static TrainRequest request(Path out, Path target, int epochs, int batch, long maxSteps, boolean resume) {
    TrainingOptimizer.Settings adam = TrainingOptimizer.Settings.defaults(TrainingOptimizer.Kind.ADAM);
    adam = new TrainingOptimizer.Settings(adam.kind(), 0.02f, 1f, false, 0f, 0f, adam.regularization(), 0f, 0f,
        false, 0.9, 0.9, 0.999, 1e-8f, false);
    return new TrainRequest(FIX.resolve("x.npy"), target, Loss.parse("mse", "mean"), adam, epochs, batch, 3, out,
        null, 2, resume, maxSteps);
  }

  private TrainingResult train(TrainRequest r, ByteArrayOutputStream log) {
    return new Trainer(new PrintStream(log, true)).run(spark, layer(), r);
  }

  @Test
  void fullBatchLossDecreasesAndTheCurveIsWritten() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Path out = tmp.resolve("learn");
    TrainingResult r = train(request(out, FIX.resolve("t.npy"), 8, 0, 0, false), log);
    assertEquals(8, r.stepsDone());
    assertTrue(r.lastLoss() < 0.9 * r.firstLoss(), r.firstLoss() + " -> " + r.lastLoss());
    List<String> csv = Files.readAllLines(out.resolve("loss.csv"));
    assertEquals("step,epoch,records,loss", csv.get(0));
    assertEquals(9, csv.size());
    assertTrue(Files.size(out.resolve("loss.png")) > 1000);
    assertTrue(log.toString().contains("train: step 8/8 epoch 8/8 records 0-6 loss"), log.toString());
    assertArrayEquals(new int[] {2, 3, 3, 3}, Npy.read(out.resolve("weights.npy")).shape());
  }

  @Test
  void resumeEqualsUninterruptedBitForBitAndAdamCountsEveryStepOnce() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    // 7 records in batches of 3: steps of 3, 3, 1 records; 2 epochs = 6 steps.
    TrainingResult whole = train(request(tmp.resolve("whole"), FIX.resolve("t.npy"), 2, 3, 0, false), log);
    assertEquals(6, whole.timeStep());
    Path out = tmp.resolve("split");
    TrainingResult part = train(request(out, FIX.resolve("t.npy"), 2, 3, 3, false), log);
    assertEquals(3, part.stepsDone());
    Checkpoint c = Checkpoint.readIfPresent(out.resolve("checkpoints"));
    assertEquals(3, c.stepsDone());
    assertEquals(3, c.timeStep());
    TrainingResult rest = train(request(out, FIX.resolve("t.npy"), 2, 3, 0, true), log);
    assertEquals(6, rest.stepsDone());
    assertEquals(6, rest.timeStep());
    assertArrayEquals(whole.weightsMps(), rest.weightsMps(), 0f);
    assertArrayEquals(whole.bias(), rest.bias(), 0f);
    assertEquals(whole.summary().get("weights_sha256"), rest.summary().get("weights_sha256"));
    assertEquals(Files.readAllLines(tmp.resolve("whole/loss.csv")), Files.readAllLines(out.resolve("loss.csv")));
  }

  @Test
  void aNanLossFailsTheStepAndLeavesTheLastCheckpointIntact() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Path out = tmp.resolve("nan");
    train(request(out, FIX.resolve("t.npy"), 2, 3, 2, false), log);
    Path ckpt = out.resolve("checkpoints").resolve(Checkpoint.FILE);
    byte[] before = Files.readAllBytes(ckpt);
    // Step 3 covers record 6: poison it.
    float[] t = Npy.read(FIX.resolve("t.npy")).floats();
    t[6 * 300 + 5] = Float.NaN;
    Path nanT = tmp.resolve("t_nan.npy");
    Npy.writeFloat32(nanT, new int[] {7, 3, 10, 10}, t);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> train(request(out, nanT, 2, 3, 0, true), log));
    assertTrue(e.getMessage().startsWith("Cannot compute mse loss of record 6 of " + nanT), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(ckpt));
    assertEquals(2, Checkpoint.readIfPresent(out.resolve("checkpoints")).stepsDone());
  }

  @Test
  void theSuperResolutionDemoLearns() throws Exception {
    Path res = Paths.get("src/test/resources/superres");
    Path high = Paths.get("../sample-data/x.npy");
    LayerSpec spec = LayerSpec.of(res.resolve("init.npy"), res.resolve("init_bias.npy"), WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
    TrainingOptimizer.Settings d = TrainingOptimizer.Settings.defaults(TrainingOptimizer.Kind.ADAM);
    TrainingOptimizer.Settings adam = new TrainingOptimizer.Settings(d.kind(), 0.01f, 1f, false, 0f, 0f,
        d.regularization(), 0f, 0f, false, 0.9, 0.9, 0.999, 1e-8f, false);
    Path out = tmp.resolve("demo");
    TrainRequest r = new TrainRequest(res.resolve("low.npy"), high, Loss.parse("mse", "mean"), adam, 12, 0, 2, out,
        null, 100, false, 0);
    TrainingResult result = new Trainer(new PrintStream(new ByteArrayOutputStream(), true)).run(spark, spec, r);
    assertTrue(result.lastLoss() < 0.5 * result.firstLoss(), result.firstLoss() + " -> " + result.lastLoss());
    java.util.Map<String, Object> s = SuperResolutionDemo.evaluate(res.resolve("low.npy"), high,
        res.resolve("bilinear.npy"), res.resolve("init.npy"), res.resolve("init_bias.npy"), out.resolve("weights.npy"),
        out.resolve("bias.npy"), out);
    assertTrue((Double) s.get("after_psnr_db") > (Double) s.get("before_psnr_db") + 3, s.toString());
    assertTrue(Files.size(out.resolve("superres.png")) > 10_000);
  }

  @Test
  void resumingWithOtherSettingsIsRefused() {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Path out = tmp.resolve("other");
    train(request(out, FIX.resolve("t.npy"), 1, 3, 1, false), log);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> train(request(out, FIX.resolve("t.npy"), 1, 2, 0, true), log));
    assertTrue(e.getMessage().contains("it was written with batch_size=3, this run has 2"), e.getMessage());
  }
}

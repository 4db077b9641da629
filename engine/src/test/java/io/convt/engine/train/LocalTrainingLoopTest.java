package io.convt.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.ArrayDataSource;
import io.convt.engine.ConvTranspose;
import io.convt.engine.ConvTransposeDescriptor;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.layout.WeightLayout;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's training loop with no Spark: the {@link LocalGradientSource} over records in memory, the outputs in a
 * {@link LocalTrainingStore}. It learns, a split run resumes to the bits of a straight one, and a checkpoint that
 * does not belong to the run is refused before any step.
 */
class LocalTrainingLoopTest {
  private static final ConvTransposeDescriptor LAYER = ConvTransposeDescriptor.builder(3, 3, 2, 2).stride(2, 2)
      .build();
  private static final int RECORDS = 7;

  @TempDir Path tmp;

  /** 7 records of 2x4x4 and the 2x8x8 outputs of a random teacher kernel. */
  private static NpyArray[] data() {
    Random r = new Random(11);
    float[] x = random(r, RECORDS * 2 * 4 * 4);
    NpyArray xs = new NpyArray("<f4", new int[] {RECORDS, 2, 4, 4}, x, null);
    ConvTranspose teacher = new ConvTranspose(new ArrayDataSource(LAYER, random(r, LAYER.weightCount()),
        random(r, 2), "teacher"));
    try (RootAllocator a = new RootAllocator(); ImageBatch in = NchwArrays.toBatch(a, xs);
        ImageBatch out = teacher.encodeBatch(a, in)) {
      return new NpyArray[] {xs, new NpyArray("<f4", new int[] {RECORDS, 2, out.height(), out.width()},
          NchwArrays.fromBatch(out), null)};
    }
  }

  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian() * 0.5f;
    }
    return a;
  }

  private static TrainingRun run(int batch, int epochs, long maxSteps, TrainingOptimizer.Kind kind) {
    TrainingOptimizer.Settings d = TrainingOptimizer.Settings.defaults(kind);
    TrainingOptimizer.Settings s = new TrainingOptimizer.Settings(kind, 0.05f, 1f, false, 0f, 0f,
        d.regularization(), 0f, 0f, false, 0.9, 0.9, 0.999, 1e-8f, false);
    return new TrainingRun(LAYER, "student", new float[LAYER.weightCount()], new float[2],
        new TrainedWeights(WeightLayout.MPS, 2, 3, 3, 2, 1), Loss.parse("mse", "mean"), s,
        new TrainingSchedule(RECORDS, batch, epochs), 2 * 8 * 8, 1, maxSteps, Map.of("where", "test"), Map.of("stride", "2,2"));
  }

  private static LocalGradientSource source() {
    NpyArray[] d = data();
    return new LocalGradientSource(w -> new ConvTranspose(new ArrayDataSource(LAYER, w.weights(), w.biases(), "s")),
        Loss.parse("mse", "mean"), d[0], d[1], "targets");
  }

  private static TrainingResult train(TrainingRun run, TrainingStore out, TrainingStore ckpt, boolean resume,
      ByteArrayOutputStream log) {
    Checkpoint from = resume ? TrainingLoop.resumePoint(run, ckpt) : null;
    return new TrainingLoop(run, source(), out, ckpt, new PrintStream(log, true),
        (points, title) -> (title + " " + points.size()).getBytes(StandardCharsets.UTF_8)).run(from);
  }

  @Test
  void theLoopLearnsAndWritesEveryOutput() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Path out = tmp.resolve("learn");
    LocalTrainingStore store = new LocalTrainingStore(out);
    TrainingResult r = train(run(RECORDS, 30, 0, TrainingOptimizer.Kind.ADAM), store,
        new LocalTrainingStore(out.resolve("checkpoints")), false, log);
    assertEquals(30, r.stepsDone());
    assertEquals(30, r.timeStep());
    assertTrue(r.lastLoss() < 0.5 * r.firstLoss(), r.firstLoss() + " -> " + r.lastLoss());
    List<String> csv = Files.readAllLines(out.resolve(LossHistory.FILE));
    assertEquals("step,epoch,records,loss", csv.get(0));
    assertEquals(31, csv.size());
    assertEquals("convt train: mse/mean loss, adam, batch 7 30", Files.readString(out.resolve("loss.png")));
    NpyArray w = Npy.read(out.resolve(TrainingLoop.WEIGHTS_FILE));
    assertArrayEquals(new int[] {2, 3, 3, 2}, w.shape());
    assertArrayEquals(r.weightsMps(), w.floats(), 0f);
    assertArrayEquals(r.bias(), Npy.read(out.resolve(TrainingLoop.BIAS_FILE)).floats(), 0f);
    String summary = Files.readString(out.resolve(TrainingLoop.SUMMARY_FILE));
    assertTrue(summary.contains("\"status\" : \"ok\"") && summary.contains("\"where\" : \"test\""), summary);
    assertEquals(TrainingLoop.sha256(w.floats(), r.bias()), r.summary().get("weights_sha256"));
    assertTrue(log.toString().contains("train: step 30/30 epoch 30/30 records 0-6 loss"), log.toString());
  }

  @Test
  void twoStepsThenAResumeToFourEqualFourStraightBitForBit() throws Exception {
    // 7 records in batches of 3: steps of 3, 3, 1 records, so step 4 starts the second epoch
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Path straight = tmp.resolve("straight");
    TrainingResult whole = train(run(3, 2, 4, TrainingOptimizer.Kind.ADAM), new LocalTrainingStore(straight),
        new LocalTrainingStore(straight.resolve("checkpoints")), false, log);
    Path split = tmp.resolve("split");
    LocalTrainingStore out = new LocalTrainingStore(split);
    LocalTrainingStore ckpt = new LocalTrainingStore(split.resolve("checkpoints"));
    TrainingResult part = train(run(3, 2, 2, TrainingOptimizer.Kind.ADAM), out, ckpt, false, log);
    assertEquals(2, part.stepsDone());
    assertTrue(Files.readString(split.resolve(TrainingLoop.SUMMARY_FILE)).contains("\"status\" : \"stopped\""));
    TrainingResult rest = train(run(3, 2, 4, TrainingOptimizer.Kind.ADAM), out, ckpt, true, log);
    assertTrue(log.toString().contains("train: resumed from " + ckpt.location(Checkpoint.FILE)
        + " after step 2 (optimizer time step 2)"), log.toString());
    assertEquals(4, rest.stepsDone());
    assertEquals(4, rest.timeStep());
    assertArrayEquals(whole.weightsMps(), rest.weightsMps(), 0f);
    assertArrayEquals(whole.bias(), rest.bias(), 0f);
    for (String f : List.of(TrainingLoop.WEIGHTS_FILE, TrainingLoop.BIAS_FILE, LossHistory.FILE,
        "checkpoints/" + Checkpoint.FILE)) {
      assertArrayEquals(Files.readAllBytes(straight.resolve(f)), Files.readAllBytes(split.resolve(f)), f);
    }
  }

  @Test
  void theLoopNeedsOnlyTheStoreInterface() {
    Map<String, byte[]> files = new HashMap<>();
    TrainingStore memory = new TrainingStore() {
      @Override
      public byte[] read(String name) {
        return files.get(name);
      }

      @Override
      public void replace(String name, byte[] bytes) {
        files.put(name, bytes.clone());
      }

      @Override
      public String location(String name) {
        return "memory:" + name;
      }
    };
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    TrainingResult local = train(run(3, 1, 0, TrainingOptimizer.Kind.SGD), new LocalTrainingStore(tmp),
        new LocalTrainingStore(tmp), false, log);
    TrainingResult inMemory = train(run(3, 1, 0, TrainingOptimizer.Kind.SGD), memory, memory, false, log);
    assertArrayEquals(local.weightsMps(), inMemory.weightsMps(), 0f);
    assertEquals(Checkpoint.readIfPresent(tmp).stepsDone(), Checkpoint.readIfPresent(memory).stepsDone());
    assertNull(Checkpoint.readIfPresent(tmp.resolve("none")));
  }

  @Test
  void aCheckpointOfAnotherRunIsRefusedBeforeAnyStep() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    LocalTrainingStore out = new LocalTrainingStore(tmp);
    LocalTrainingStore ckpt = new LocalTrainingStore(tmp.resolve("checkpoints"));
    train(run(3, 2, 2, TrainingOptimizer.Kind.ADAM), out, ckpt, false, log);
    byte[] before = Files.readAllBytes(tmp.resolve("checkpoints").resolve(Checkpoint.FILE));
    String file = ckpt.location(Checkpoint.FILE);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainingLoop.resumePoint(run(2, 2, 0, TrainingOptimizer.Kind.ADAM), ckpt));
    assertEquals("Cannot resume from " + file + ": it was written with batch_size=3, this run has 2", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> TrainingLoop.resumePoint(run(3, 2, 0, TrainingOptimizer.Kind.SGD), ckpt));
    assertEquals("Cannot resume from " + file + ": it was written with optimizer=adam, this run has sgd",
        e.getMessage());
    TrainingRun other = run(3, 2, 0, TrainingOptimizer.Kind.ADAM);
    TrainingRun noBias = new TrainingRun(other.descriptor(), "nb", other.initialWeightsMps(), null, other.weights(),
        other.loss(), other.optimizer(), other.schedule(), 128, 1, 0, Map.of(), Map.of());
    e = assertThrows(IllegalArgumentException.class, () -> TrainingLoop.resumePoint(noBias, ckpt));
    assertEquals("checkpoint " + file + " is corrupt: tensor 'bias' has 2 values, the layer has 0 output channels "
        + "and no bias", e.getMessage());
    TrainingRun oneEpoch = run(3, 1, 0, TrainingOptimizer.Kind.ADAM); // 3 steps in all: 2 done is fine
    assertEquals(2, TrainingLoop.resumePoint(oneEpoch, ckpt).stepsDone());

    byte[] flipped = before.clone();
    flipped[flipped.length - 2] ^= 0x08;
    ckpt.replace(Checkpoint.FILE, flipped);
    e = assertThrows(IllegalArgumentException.class,
        () -> TrainingLoop.resumePoint(run(3, 2, 0, TrainingOptimizer.Kind.ADAM), ckpt));
    assertEquals("checkpoint " + file + " is corrupt: its SHA-256 digest does not match its contents (changed after "
        + "it was written)", e.getMessage());
    ckpt.replace(Checkpoint.FILE, java.util.Arrays.copyOf(before, 40));
    e = assertThrows(IllegalArgumentException.class,
        () -> TrainingLoop.resumePoint(run(3, 2, 0, TrainingOptimizer.Kind.ADAM), ckpt));
    assertTrue(e.getMessage().startsWith("checkpoint " + file + " is corrupt: "), e.getMessage());
    assertTrue(e.getMessage().indexOf('\n') < 0, e.getMessage());
  }
}

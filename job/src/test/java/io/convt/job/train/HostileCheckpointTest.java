package io.convt.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.train.Checkpoint;
import io.convt.engine.io.Safetensors;
import io.convt.engine.train.Loss;
import io.convt.engine.train.TrainingOptimizer;
import io.convt.job.ConvtJob;
import io.convt.job.gradients.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tampered checkpoints, generated at test time from one real one: nothing resumes from a checkpoint it cannot prove
 * intact. Each case checks the one-line "checkpoint FILE is corrupt: ..." error and that the file is left as it was.
 */
class HostileCheckpointTest {
  static final Path FIX = Paths.get("src/test/resources/gradients");
  static SparkSession spark;
  @TempDir static Path shared;
  static Path good;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
    good = shared.resolve("good");
    new Trainer(new PrintStream(new ByteArrayOutputStream(), true)).run(spark, TrainerTest.layer(),
        request(good, 2, false));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  static TrainRequest request(Path out, long maxSteps, boolean resume) {
    TrainingOptimizer.Settings adam = TrainingOptimizer.Settings.defaults(TrainingOptimizer.Kind.ADAM);
    return new TrainRequest(FIX.resolve("x.npy"), FIX.resolve("t.npy"), Loss.parse("mse", "mean"), adam, 2, 3, 2, out,
        null, 1, resume, maxSteps);
  }

  /** A copy of the good run's output with its checkpoint changed by {@code tamper}; returns the output dir. */
  private Path tampered(String name, Consumer<Path> tamper) throws Exception {
    Path out = tmp.resolve(name);
    Files.createDirectories(out.resolve("checkpoints"));
    Path file = out.resolve("checkpoints").resolve(Checkpoint.FILE);
    Files.copy(good.resolve("checkpoints").resolve(Checkpoint.FILE), file);
    tamper.accept(file);
    return out;
  }

  /** Rewrites the checkpoint through {@code edit} of its tensors and metadata, with a correct digest. */
  private static Consumer<Path> rewritten(Consumer<Map<String, float[]>> tensors, Consumer<Map<String, int[]>> shapes,
      Consumer<Map<String, String>> meta) {
    return file -> {
      Safetensors.Contents c = Safetensors.read(file);
      Map<String, float[]> t = new LinkedHashMap<>();
      Map<String, int[]> s = new LinkedHashMap<>();
      c.tensors().forEach((k, v) -> {
        t.put(k, v.floats());
        s.put(k, v.shape());
      });
      Map<String, String> m = new LinkedHashMap<>(c.metadata());
      tensors.accept(t);
      shapes.accept(s);
      meta.accept(m);
      m.put(Checkpoint.DIGEST, Checkpoint.digest(t, s, m));
      Safetensors.writeFloat32(file, t, s, m);
    };
  }

  private void assertCorrupt(Path out, String why) throws Exception {
    Path file = out.resolve("checkpoints").resolve(Checkpoint.FILE);
    byte[] before = Files.readAllBytes(file);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Trainer.plan(TrainerTest.layer(), request(out, 0, true)));
    assertEquals("checkpoint " + file + " is corrupt: " + why, e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(file));
  }

  @Test
  void theUntamperedCheckpointVerifies() {
    Trainer.Plan p = Trainer.plan(TrainerTest.layer(), request(good, 0, true));
    assertEquals(2, p.checkpoint().stepsDone());
  }

  @Test
  void aFlippedStepsDoneFailsTheDigest() throws Exception {
    Path out = tampered("steps", f -> {
      try {
        byte[] b = Files.readAllBytes(f);
        String s = new String(b, StandardCharsets.ISO_8859_1);
        int at = s.indexOf("\"steps_done\":\"2\"");
        assertTrue(at > 0, s.substring(0, 200));
        b[at + "\"steps_done\":\"".length()] = '5';
        Files.write(f, b);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertCorrupt(out, "its SHA-256 digest does not match its contents (changed after it was written)");
  }

  @Test
  void aBitFlipInTheWeightsFailsTheDigest() throws Exception {
    Path out = tampered("bit", f -> {
      try {
        byte[] b = Files.readAllBytes(f);
        b[b.length - 3] ^= 0x10; // inside the last tensor's data
        Files.write(f, b);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertCorrupt(out, "its SHA-256 digest does not match its contents (changed after it was written)");
  }

  @Test
  void consistentlyRewrittenLiesAreCaught() throws Exception {
    assertCorrupt(tampered("v", rewritten(t -> t.get("optimizer.v.0")[3] = -1f, s -> { }, m -> { })),
        "optimizer vector 'v.0' (a running mean of squares) holds -1.0 at index 3");
    int[] w = Safetensors.read(good.resolve("checkpoints").resolve(Checkpoint.FILE)).tensors().get("weight").shape();
    int[] permuted = {w[3], w[1], w[2], w[0]};
    assertCorrupt(tampered("shape", rewritten(t -> { }, s -> s.put("weight", permuted), m -> { })),
        "tensor 'weight' has shape " + java.util.Arrays.toString(permuted) + ", the layer's is "
            + java.util.Arrays.toString(w));
    assertCorrupt(tampered("abc", rewritten(t -> { }, s -> { }, m -> m.put("steps_done", "abc"))),
        "steps_done 'abc' is not a whole number");
    assertCorrupt(tampered("ahead", rewritten(t -> { }, s -> { }, m -> m.put("steps_done", "5"))),
        "steps_done 5 and the optimizer's time_step 2 disagree (every step advances both)");
    assertCorrupt(tampered("beyond", rewritten(t -> { }, s -> { }, m -> {
      m.put("steps_done", "600");
      m.put("time_step", "600");
    })), "steps_done 600 is outside 0..6 (this run's total steps)");
    assertCorrupt(tampered("nan", rewritten(t -> t.get("weight")[0] = Float.NaN, s -> { }, m -> { })),
        "tensor 'weight' holds NaN at index 0");
    assertCorrupt(tampered("nodigest", f -> {
      Safetensors.Contents c = Safetensors.read(f);
      Map<String, float[]> t = new LinkedHashMap<>();
      Map<String, int[]> s = new LinkedHashMap<>();
      c.tensors().forEach((k, v) -> {
        t.put(k, v.floats());
        s.put(k, v.shape());
      });
      Map<String, String> m = new LinkedHashMap<>(c.metadata());
      m.remove(Checkpoint.DIGEST);
      Safetensors.writeFloat32(f, t, s, m);
    }), "it carries no sha256 digest (written by an older convt?), so it cannot be verified");
  }

  @Test
  void theCommandRefusesACorruptCheckpointOrAnExistingOutputInOneLine() throws Exception {
    Path out = tampered("cli", rewritten(t -> { }, s -> { }, m -> m.put("steps_done", "abc")));
    String[] base = {"train", "--input", FIX.resolve("x.npy").toString(), "--target", FIX.resolve("t.npy").toString(),
        "--weights", FIX.resolve("w.npy").toString(), "--bias", FIX.resolve("b.npy").toString(),
        "--weights-layout", "pytorch", "--stride", "2,2", "--padding", "1,1", "--output-padding", "1,1",
        "--epochs", "2", "--batch-size", "3"};
    String[] r = cli(concat(base, "--resume", "--output", out.toString()));
    assertEquals("2", r[0]);
    assertEquals("train: checkpoint " + out.resolve("checkpoints").resolve(Checkpoint.FILE)
        + " is corrupt: steps_done 'abc' is not a whole number", r[1]);
    r = cli(concat(base, "--output", out.toString()));
    assertEquals("2", r[0]);
    assertEquals("train: Cannot write output " + out + ": it already exists (use --mode overwrite to replace it, or "
        + "--resume to continue training from its checkpoint)", r[1]);
    r = cli(concat(base, "--output", out.toString(), "--mode", "overwrite", "--max-steps", "1"));
    assertEquals("0", r[0], r[1]);
    assertEquals(1, Checkpoint.readIfPresent(out.resolve("checkpoints")).stepsDone()); // a fresh, verified run
    try (java.util.stream.Stream<Path> left = Files.list(tmp)) { // the replaced output was deleted at the end
      assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith(".cli.convt-old-")));
    }
    r = cli(concat(base, "--resume", "--output", FIX.resolve("t.npy").toString()));
    assertEquals("2", r[0]);
    assertTrue(r[1].startsWith("train: Cannot write output " + FIX.resolve("t.npy") + ": it is --target "), r[1]);
  }

  @Test
  void aNanInTheTrainingInputIsBlamedOnTheInputFile() throws Exception {
    io.convt.engine.io.NpyArray x = io.convt.engine.io.Npy.read(FIX.resolve("x.npy"));
    float[] v = x.floats();
    v[v.length - 1] = Float.NaN; // record 6
    Path nanX = tmp.resolve("x_nan.npy");
    io.convt.engine.io.Npy.writeFloat32(nanX, x.shape(), v);
    TrainRequest r = new TrainRequest(nanX, FIX.resolve("t.npy"), Loss.parse("mse", "mean"),
        TrainingOptimizer.Settings.defaults(TrainingOptimizer.Kind.ADAM), 1, 0, 2, tmp.resolve("nanx"), null, 1, false,
        0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Trainer(new PrintStream(new ByteArrayOutputStream(), true)).run(spark, TrainerTest.layer(), r));
    assertTrue(e.getMessage().startsWith("Cannot compute gradients: record 6 of --input " + nanX + " holds NaN"),
        e.getMessage());
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static String[] cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = ConvtJob.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new String[] {Integer.toString(code), err.toString().trim()};
  }
}

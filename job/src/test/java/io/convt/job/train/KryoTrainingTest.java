package io.convt.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.layer.LayerSpec;
import io.convt.engine.train.Loss;
import io.convt.engine.train.TrainingOptimizer;
import io.convt.engine.train.TrainingResult;
import io.convt.job.JobKryoRegistrator;
import io.convt.job.KryoSerializerTest;
import io.convt.job.gradients.GradientsJobTest;
import io.convt.job.gradients.ImageDatasets;
import io.convt.job.gradients.TensorDatasetFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train} under {@code spark.serializer=KryoSerializer} with {@code spark.kryo.registrationRequired=true} and
 * the job's {@link JobKryoRegistrator}: from {@code .npy} stacks, image directories and a Parquet tensor pair, each
 * split by {@code --max-steps} and resumed, the weights equal the Java serializer's run bit for bit.
 */
class KryoTrainingTest {
  static final Path FIX = Path.of("src/test/resources/gradients");

  @TempDir Path tmp;

  static TrainRequest request(String x, String t, Path out, int epochs, int batch, long maxSteps, boolean resume) {
    TrainingOptimizer.Settings d = TrainingOptimizer.Settings.defaults(TrainingOptimizer.Kind.ADAM);
    TrainingOptimizer.Settings adam = new TrainingOptimizer.Settings(d.kind(), 0.02f, 1f, false, 0f, 0f,
        d.regularization(), 0f, 0f, false, 0.9, 0.9, 0.999, 1e-8f, false);
    return new TrainRequest(x, t, Loss.parse("mse", "mean"), adam, epochs, batch, 3, out, null, 1, resume, maxSteps,
        false, false);
  }

  /** Trains {@code steps} steps, then resumes to the end; the resumed run's result. */
  static TrainingResult splitRun(SparkSession spark, LayerSpec spec, String x, String t, Path out, int epochs,
      int batch, long steps) {
    Trainer trainer = new Trainer(new PrintStream(new ByteArrayOutputStream(), true));
    assertEquals(steps, trainer.run(spark, spec, request(x, t, out, epochs, batch, steps, false)).stepsDone());
    return trainer.run(spark, spec, request(x, t, out, epochs, batch, 0, true));
  }

  /** Every dataset kind's resumed training under {@code settings}, by name. */
  Map<String, TrainingResult> trainAll(Map<String, String> settings, String name) throws Exception {
    SparkSession spark = KryoSerializerTest.session(settings);
    try {
      assertEquals(settings.getOrDefault("spark.serializer", "org.apache.spark.serializer.JavaSerializer"),
          spark.sparkContext().env().serializer().getClass().getName(), "the session's serializer");
      Path data = tmp.resolve("data");
      LayerSpec upsampler = ImageDatasets.upsampler(data);
      if (!Files.exists(data.resolve("lr"))) {
        ImageDatasets.pairs(data.resolve("lr"), data.resolve("hr"), List.of("b", "d", "a", "e", "c"));
        List<String> ids = List.of("a", "b", "c", "d", "e");
        TensorDatasetFiles.parquet(spark, TensorDatasetFiles.records(ids, new int[] {3, 4, 5}, 31),
            data.resolve("xp"), 2);
        TensorDatasetFiles.parquet(spark, TensorDatasetFiles.records(ids, new int[] {3, 8, 10}, 32),
            data.resolve("tp"), 3);
      }
      Path out = tmp.resolve(name);
      Map<String, TrainingResult> r = new LinkedHashMap<>();
      // 7 records in batches of 3, 2 epochs: 6 steps, stopped after 4
      r.put("npy", splitRun(spark, GradientsJobTest.fixtureLayer(), FIX.resolve("x.npy").toString(),
          FIX.resolve("t.npy").toString(), out.resolve("npy"), 2, 3, 4));
      // 5 image pairs in batches of 2, 2 epochs: 6 steps, stopped after 2
      r.put("images", splitRun(spark, upsampler, data.resolve("lr").toString(), data.resolve("hr").toString(),
          out.resolve("images"), 2, 2, 2));
      // 5 Parquet records in batches of 3, 2 epochs: 4 steps, stopped after 1
      r.put("parquet", splitRun(spark, upsampler, data.resolve("xp").toString(), data.resolve("tp").toString(),
          out.resolve("parquet"), 2, 3, 1));
      return r;
    } finally {
      spark.stop();
    }
  }

  @Test
  void resumedTrainingUnderKryoHasTheJavaSerializersBits() throws Exception {
    Map<String, TrainingResult> java = trainAll(Map.of(), "java");
    Map<String, TrainingResult> kryo = trainAll(Map.of(
        "spark.serializer", "org.apache.spark.serializer.KryoSerializer",
        "spark.kryo.registrationRequired", "true",
        "spark.kryo.registrator", JobKryoRegistrator.class.getName()), "kryo");
    assertEquals(java.keySet(), kryo.keySet());
    for (String k : java.keySet()) {
      TrainingResult j = java.get(k);
      TrainingResult y = kryo.get(k);
      assertEquals(j.stepsDone(), y.stepsDone(), k + " steps");
      assertArrayEquals(j.weightsMps(), y.weightsMps(), 0f, k + " weights");
      assertArrayEquals(j.bias(), y.bias(), 0f, k + " bias");
      assertEquals(j.summary().get("weights_sha256"), y.summary().get("weights_sha256"), k + " weights_sha256");
      assertEquals(Files.readAllLines(tmp.resolve("java").resolve(k).resolve("loss.csv")),
          Files.readAllLines(tmp.resolve("kryo").resolve(k).resolve("loss.csv")), k + " loss curve");
    }
  }
}

package io.convt.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import io.convt.engine.train.Loss;
import io.convt.job.gradients.GradientsJob;
import io.convt.job.gradients.GradientsJobTest;
import io.convt.job.gradients.GradientsRequest;
import io.convt.job.gradients.ImageDatasets;
import io.convt.job.infer.InferJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Users set {@code spark.serializer=org.apache.spark.serializer.KryoSerializer}: infer and gradients must give the
 * same output bytes and {@code gradient_sha256} as under Spark's default Java serializer, including with
 * {@code spark.kryo.registrationRequired=true} and the job's {@link JobKryoRegistrator}.
 */
public class KryoSerializerTest {
  static final Path FIX = Path.of("src/test/resources/gradients");
  static final Path X = Path.of("../sample-data/x.npy");

  @TempDir Path tmp;
  Path images;
  Path lr;
  Path hr;

  @BeforeEach
  void images() throws IOException {
    images = tmp.resolve("images");
    lr = images.resolve("lr");
    hr = images.resolve("hr");
    ImageDatasets.pairs(lr, hr, List.of("b", "a", "d", "c", "e"));
  }

  /** A local[2] session like {@code TestSpark}'s, with extra settings; the caller stops it. */
  public static SparkSession session(Map<String, String> settings) {
    SparkSession.Builder b = SparkSession.builder().master("local[2]").appName("convt-kryo-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1");
    settings.forEach(b::config);
    return b.getOrCreate();
  }

  static LayerSpec upsample() {
    return LayerSpec.of(Path.of("../sample-data/upsample2x_pytorch.npy"), Path.of("../sample-data/upsample2x_bias.npy"),
        WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
  }

  /** What one session produced: every output file's bytes, and the two gradient_sha256. */
  record Outputs(Map<String, byte[]> files, String gradOutputSha, String lossSha, String pairsSha) {}

  Outputs runAll(Map<String, String> settings, String name) throws IOException {
    SparkSession spark = session(settings);
    try {
      // getOrCreate would hand back a session some other test left running, with its own serializer
      assertEquals(settings.getOrDefault("spark.serializer", "org.apache.spark.serializer.JavaSerializer"),
          spark.sparkContext().env().serializer().getClass().getName(), "the session's serializer");
      Path root = tmp.resolve(name);
      for (String format : List.of("parquet", "arrow", "png")) {
        JobConfig conf = JobConfig.load(null, List.of("partitions=3", "batch.size=2", "output.format=" + format))
            .with("progress.interval-seconds", "0");
        InferJob.run(spark, upsample(), conf, X.toString(), root.resolve("npy-" + format).toString());
      }
      // an image directory: records numbered by a broadcast map of ids
      InferJob.run(spark, ImageDatasets.upsampler(images), JobConfig.load(null, List.of("partitions=2"))
          .with("progress.interval-seconds", "0"), lr.toString(), root.resolve("images-parquet").toString());
      String gy = GradientsJob.run(spark, GradientsJobTest.fixtureLayer(),
          GradientsRequest.withGradOutput(FIX.resolve("x.npy"), FIX.resolve("gy.npy"), 3), root.resolve("gy")).sha256();
      String mse = GradientsJob.run(spark, GradientsJobTest.fixtureLayer(),
          GradientsRequest.withTarget(FIX.resolve("x.npy"), FIX.resolve("t.npy"), Loss.parse("mse", "mean"), 4),
          root.resolve("mse")).sha256();
      String pairs = GradientsJob.run(spark, ImageDatasets.upsampler(images),
          GradientsRequest.withTarget(lr.toString(), hr.toString(), Loss.parse("mse", "mean"), 3),
          root.resolve("pairs")).sha256();
      return new Outputs(dataFiles(root), gy, mse, pairs);
    } finally {
      spark.stop();
    }
  }

  /**
   * The data files under {@code root} by relative path; the run summaries (times, application ids), the manifests
   * (which give the summaries' sizes) and commit markers are left out.
   */
  static Map<String, byte[]> dataFiles(Path root) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        String name = f.getFileName().toString();
        // the manifest lists run-summary.json's size, which varies with the times in it
        if (name.equals("run-summary.json") || name.equals("manifest.json") || name.startsWith("_")
            || name.startsWith(".")) {
          continue;
        }
        out.put(root.relativize(f).toString(), Files.readAllBytes(f));
      }
    }
    return out;
  }

  @Test
  void kryoGivesTheSameBytesAsJavaSerialization() throws IOException {
    Outputs java = runAll(Map.of(), "java");
    Outputs kryo = runAll(Map.of(
        "spark.serializer", "org.apache.spark.serializer.KryoSerializer",
        "spark.kryo.registrationRequired", "true",
        "spark.kryo.registrator", JobKryoRegistrator.class.getName()), "kryo");
    assertSame(java, kryo);
    // a session the job starts itself (scripts/convt-job, spark-submit) registers the job's classes on its own
    SparkSession started;
    try (JobSession js = JobSession.open("convt-kryo-test", Map.of("spark.master", "local[2]",
        "spark.ui.enabled", "false", "spark.serializer", "org.apache.spark.serializer.KryoSerializer",
        "spark.kryo.registrationRequired", "true"))) {
      started = js.spark();
      assertEquals(JobKryoRegistrator.class.getName(), started.conf().get("spark.kryo.registrator"));
      assertSame(java, runAll(Map.of("spark.serializer", "org.apache.spark.serializer.KryoSerializer"), "session"));
    }
  }

  static void assertSame(Outputs java, Outputs kryo) {
    assertEquals(java.gradOutputSha(), kryo.gradOutputSha(), "gradient_sha256 with upstream gradients");
    assertEquals(java.lossSha(), kryo.lossSha(), "gradient_sha256 with targets and a loss");
    assertEquals(java.pairsSha(), kryo.pairsSha(), "gradient_sha256 from an LR/HR image pair");
    assertEquals(java.files().keySet(), kryo.files().keySet(), "output files");
    java.files().forEach((name, bytes) -> assertArrayEquals(bytes, kryo.files().get(name), name));
  }
}

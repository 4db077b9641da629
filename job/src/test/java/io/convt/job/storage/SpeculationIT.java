package io.convt.job.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.layer.Layer;
import io.convt.job.infer.InferJob;
import io.convt.job.infer.SlowFirstAttempt;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Speculative execution on a standalone cluster: a master on 127.0.0.1:17077 and two workers, on 127.0.0.1 and
 * 127.0.0.2 (Spark never runs a speculative copy on the host of the original), one executor each, running the
 * application jar. The first attempt of one partition writes its files and stalls ({@link SlowFirstAttempt}, in a
 * jar of its own); Spark's speculative copy wins
 * and the stalled attempt is killed. The output has exactly one attempt's file per partition, equals the engine
 * alone bit for bit, and its manifest lists exactly the files there are.
 */
class SpeculationIT {
  static final int PORT = 17077;
  static final List<Process> daemons = new ArrayList<>();
  static SparkSession spark;
  static final Set<String> speculativeWins = ConcurrentHashMap.newKeySet();
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    Path jar;
    try (Stream<Path> s = Files.list(Path.of("target"))) {
      jar = s.filter(p -> p.getFileName().toString().matches("convt-job-.*-all\\.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no application jar in job/target (ITs run after package)"))
          .toAbsolutePath();
    }
    String url = "spark://127.0.0.1:" + PORT;
    daemons.add(daemon("master", "127.0.0.1", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
        "--port", String.valueOf(PORT), "--webui-port", "0"));
    await("master", "I have been elected leader");
    for (String host : List.of("127.0.0.1", "127.0.0.2")) {
      String name = "worker-" + host;
      daemons.add(daemon(name, host, "org.apache.spark.deploy.worker.Worker", "--host", host, "--cores", "1",
          "--memory", "1g", "--webui-port", "0", "--work-dir", dir.resolve(name).toString(), url));
      await(name, "Successfully registered with master");
    }
    spark = SparkSession.builder().master(url).appName("convt-speculation-it")
        .config("spark.jars", jar + "," + hooksJar())
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executor.cores", "1")
        .config("spark.executor.memory", "768m")
        .config("spark.locality.wait", "0")
        .config("spark.speculation", "true")
        .config("spark.speculation.interval", "200ms")
        .config("spark.speculation.quantile", "0.5")
        .config("spark.speculation.multiplier", "2")
        .getOrCreate();
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (spark.sparkContext().statusTracker().getExecutorInfos().length < 3) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("two executors did not register within 120 s");
      }
      Thread.sleep(200);
    }
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.taskInfo().speculative() && end.taskInfo().successful()) {
          speculativeWins.add(end.taskInfo().index() + "@" + end.taskInfo().host());
        }
      }
    });
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (spark != null) {
      spark.stop();
    }
    for (Process p : daemons) {
      p.destroy();
      if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void speculativeCopyWinsAndTheOutputIsTheUndisturbedOne() throws IOException {
    NpyArray x = stack(dir, 8);
    String out = dir.resolve("out").toString();
    Map<String, Object> summary;
    SlowFirstAttempt.install(1);
    try {
      summary = InferJob.run(spark, StorageMatrix.upsample(), StorageMatrix.conf("partitions=4", "batch.size=2"),
          dir.resolve("x.npy").toString(), out).summary();
    } finally {
      SlowFirstAttempt.uninstall();
    }
    assertTrue(speculativeWins.stream().anyMatch(w -> w.startsWith("1@")), "a speculative copy of partition 1 won: "
        + speculativeWins);
    assertEquals(8L, summary.get("records_out"));
    // one attempt's file per partition: the stalled attempt's own file was deleted at commit
    List<String> parts = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of(out, "data"))) {
      s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet")).sorted().forEach(parts::add);
    }
    Set<Integer> partitions = new TreeSet<>();
    parts.forEach(p -> partitions.add(TaskAttempt.ofFileName(p).partition()));
    assertEquals(Set.of(0, 1, 2, 3), partitions, parts.toString());
    assertEquals(4, parts.size(), parts.toString());
    JsonNode manifest = new ObjectMapper().readTree(Path.of(out, "manifest.json").toFile());
    List<String> listed = new ArrayList<>();
    manifest.get("files").forEach(f -> {
      if (f.get("path").asText().endsWith(".parquet")) {
        listed.add(f.get("path").asText().substring("data/".length()));
      }
    });
    assertEquals(parts, listed);
    // bit for bit the engine alone, no record missing or twice
    Map<String, String> want = new TreeMap<>();
    float[] y = engine(x);
    int per = y.length / 8;
    for (int i = 0; i < 8; i++) {
      List<Float> d = new ArrayList<>();
      for (int j = 0; j < per; j++) {
        d.add(y[i * per + j]);
      }
      want.put(String.valueOf(i), bits(d));
    }
    Map<String, String> got = new TreeMap<>();
    StorageMatrix.parquetRows(spark, out + "/data").forEach(got::put);
    assertEquals(want, got);
  }

  private static String bits(List<Float> d) {
    StringBuilder b = new StringBuilder();
    for (Float f : d) {
      b.append(Integer.toHexString(Float.floatToRawIntBits(f))).append(' ');
    }
    return b.toString();
  }

  private static float[] engine(NpyArray x) {
    try (RootAllocator a = new RootAllocator(); ImageBatch src = NchwArrays.toBatch(a, x);
        ImageBatch dst = Layer.open(StorageMatrix.upsample()).apply(a, src)) {
      return NchwArrays.fromBatch(dst);
    }
  }

  private static NpyArray stack(Path d, int n) {
    StorageMatrix.stack(d, n);
    return Npy.read(d.resolve("x.npy"));
  }

  private static Process daemon(String name, String host, String main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(sparkFlags());
    cmd.addAll(List.of("-Xmx256m", "-cp", Path.of("target/spark-home/jars").toAbsolutePath() + "/*", main));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_LOCAL_IP", host);
    pb.environment().put("SPARK_HOME", Path.of("target/spark-home").toAbsolutePath().toString());
    return pb.start();
  }

  /** A jar of {@link SlowFirstAttempt} (a test class, not in the application jar) for the executors. */
  private static String hooksJar() throws IOException {
    Path jar = dir.resolve("convt-test-hooks.jar");
    String entry = SlowFirstAttempt.class.getName().replace('.', '/') + ".class";
    try (InputStream in = SlowFirstAttempt.class.getClassLoader().getResourceAsStream(entry);
        JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new JarEntry(entry));
      in.transferTo(out);
      out.closeEntry();
    }
    return jar.toAbsolutePath().toString();
  }

  private static void await(String name, String line) throws Exception {
    Path log = dir.resolve(name + ".log");
    for (int i = 0; i < 240; i++) {
      if (Files.exists(log) && Files.readString(log).contains(line)) {
        return;
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException(name + " not up after 120 s: " + Files.readString(log));
  }

  /** The parent pom's {@code spark.jvm.flags}, as scripts/lib/common.sh reads them. */
  private static List<String> sparkFlags() throws IOException {
    Matcher m = Pattern.compile("<spark.jvm.flags>(.*)</spark.jvm.flags>").matcher(Files.readString(Path.of("../pom.xml")));
    if (!m.find()) {
      throw new IllegalStateException("no <spark.jvm.flags> in ../pom.xml");
    }
    return List.of(m.group(1).trim().split("\\s+"));
  }
}

package io.convt.job.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convt.engine.io.Npy;
import io.convt.job.ConvtJob;
import io.convt.job.JobConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster's configuration reaches executors: {@code --conf spark.hadoop.*} through the CLI, the session and the
 * broadcast into the executor-side readers and writers; {@code --conf spark.*} keys go to Spark, unknown keys fail
 * sorted; the commit keeps one attempt per partition and its manifest lists exactly the files there are;
 * {@code .npy} inputs give as many tasks as {@code --partitions} asks.
 */
class ClusterConfTest {
  static final String IMPL = "spark.hadoop.fs.file.impl=" + MarkingLocalFileSystem.class.getName();
  @TempDir Path tmp;

  static String[] layer() {
    return new String[] {"--weights", "../sample-data/upsample2x_pytorch.npy", "--bias",
        "../sample-data/upsample2x_bias.npy", "--weights-layout", "pytorch", "--stride", "2,2", "--padding", "1,1"};
  }

  static String[] args(String... a) {
    List<String> all = new ArrayList<>(List.of("infer", "--master", "local[2]", "--conf", "spark.ui.enabled=false",
        "--conf", "progress.interval-seconds=0"));
    all.addAll(List.of(a));
    all.addAll(List.of(layer()));
    return all.toArray(new String[0]);
  }

  static Path stack(Path dir, int n) {
    Random r = new Random(7);
    float[] x = new float[n * 3 * 6 * 6];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat();
    }
    Path p = dir.resolve("x.npy");
    Npy.writeFloat32(p, new int[] {n, 3, 6, 6}, x);
    return p;
  }

  @Test
  void sparkHadoopSettingReachesExecutorReadersAndWriters() throws IOException {
    MarkingLocalFileSystem.TASK_OPENED.clear();
    MarkingLocalFileSystem.TASK_CREATED.clear();
    assertEquals(0, ConvtJob.run(args("--input", "../sample-data/images", "--output", tmp.resolve("plain").toString(),
        "--format", "png")));
    assertEquals(Set.of(), MarkingLocalFileSystem.TASK_OPENED, "not used unless configured");
    // the settings exist only as --conf spark.hadoop.*: the CLI, the session and the broadcast carry them to the
    // tasks' image reader and PNG writer
    assertEquals(0, ConvtJob.run(args("--input", "../sample-data/images", "--output", tmp.resolve("out").toString(),
        "--format", "png", "--conf", IMPL, "--conf", "spark.hadoop.fs.file.impl.disable.cache=true")));
    Set<String> images;
    try (Stream<Path> s = Files.list(Path.of("../sample-data/images"))) {
      images = s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
    }
    assertEquals(6, images.size());
    assertTrue(MarkingLocalFileSystem.TASK_OPENED.containsAll(images), MarkingLocalFileSystem.TASK_OPENED.toString());
    List<String> written;
    try (Stream<Path> s = Files.list(tmp.resolve("out/images"))) {
      written = s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
    }
    assertEquals(6, written.size());
    assertTrue(MarkingLocalFileSystem.TASK_CREATED.containsAll(written), MarkingLocalFileSystem.TASK_CREATED.toString());
  }

  @Test
  void npyInputGivesAsManyTasksAsPartitionsAndOneAttemptsFiles() throws IOException {
    Path in = stack(tmp, 40);
    Path out = tmp.resolve("out");
    assertEquals(0, ConvtJob.run(args("--input", in.toString(), "--output", out.toString(), "--partitions", "8")));
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
    JsonNode summary = new ObjectMapper().readTree(out.resolve("run-summary.json").toFile());
    assertEquals(40, summary.get("records_out").asLong());
    // 40 records, --partitions 8: eight tasks (slices no longer stop at batch.size when that leaves cores idle)
    assertEquals(8, summary.get("tasks").asInt());
    List<String> parts = list(out.resolve("data"));
    assertEquals(8, parts.size(), parts.toString());
    TreeSet<Integer> partitions = new TreeSet<>();
    for (String p : parts) {
      TaskAttempt a = TaskAttempt.ofFileName(p);
      assertTrue(a != null && a.attempt() >= 0, p);
      partitions.add(a.partition());
    }
    assertEquals(8, partitions.size(), "one file per partition: " + parts);
    // the manifest lists exactly the files there are
    JsonNode manifest = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
    List<String> listed = new ArrayList<>();
    manifest.get("files").forEach(f -> listed.add(f.get("path").asText()));
    List<String> present = new ArrayList<>();
    try (Stream<Path> s = Files.walk(out)) {
      s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")) // Hadoop's .crc
          .map(p -> out.relativize(p).toString())
          .filter(p -> !p.equals("_SUCCESS") && !p.equals("manifest.json")).sorted().forEach(present::add);
    }
    assertEquals(present, listed);
  }

  @Test
  void sparkKeysGoToSparkAndUnknownKeysFailSorted() {
    JobConfig c = JobConfig.load(null, List.of("spark.sql.shuffle.partitions=4", "spark.hadoop.fs.s3a.endpoint=x",
        "batch.size=3"));
    assertEquals(Map.of("spark.sql.shuffle.partitions", "4", "spark.hadoop.fs.s3a.endpoint", "x"), c.sparkSettings());
    assertEquals("3", c.string("batch.size"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JobConfig.load(null, List.of("zeta=1", "spark.executor.cores=1", "alpha=2")));
    String m = e.getMessage();
    assertTrue(m.startsWith("Unknown configuration keys 'alpha' in --conf, 'zeta' in --conf"), m);
    String known = m.substring(m.indexOf("(known: ") + 8, m.indexOf(';'));
    List<String> keys = List.of(known.split(", "));
    assertEquals(new ArrayList<>(new TreeSet<>(keys)), keys, "known keys listed sorted");
    assertFalse(m.contains("\n"));
  }

  @Test
  void commitKeepsOneAttemptPerPartition() throws IOException {
    Path root = tmp.resolve("r");
    for (String f : List.of("data/part-00000-a1.parquet", "data/part-00000-a5.parquet", "data/part-00001-a2.parquet",
        "data/.part-00001-a2.parquet.crc", "data/.part-00001-a9.parquet.crc", "data/part-00001-a9.parquet",
        "data/part-00002-a3-000.arrow", "data/part-00002-a3-001.arrow", "data/part-00002-a4-000.arrow",
        "quarantine/part-00000-a5.json", "quarantine/part-00001-a9.json", "data/_SUCCESS",
        "images/_attempts/part-00000-a1/x.png", "images/_attempts/part-00000-a5/x.png",
        "images/_attempts/part-00001-a9/y.png")) {
      Files.createDirectories(root.resolve(f).getParent());
      Files.writeString(root.resolve(f), f);
    }
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.getLocal(conf).getRaw();
    CommitFiles files = new CommitFiles(fs, new org.apache.hadoop.fs.Path(root.toUri()));
    files.keepOnly(List.of(new TaskAttempt(0, 1), new TaskAttempt(1, 2), new TaskAttempt(2, 3)));
    List<String> left = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().forEach(left::add);
    }
    assertEquals(List.of("data/.part-00001-a2.parquet.crc", "data/_SUCCESS", "data/part-00000-a1.parquet",
        "data/part-00001-a2.parquet", "data/part-00002-a3-000.arrow", "data/part-00002-a3-001.arrow", "images/x.png"),
        left);
    assertEquals("images/_attempts/part-00000-a1/x.png", Files.readString(root.resolve("images/x.png")));
    String manifest = files.manifestJson();
    assertTrue(manifest.contains("\"data/part-00000-a1.parquet\"") && !manifest.contains(".crc"), manifest);
    assertThrows(IllegalStateException.class,
        () -> files.keepOnly(List.of(new TaskAttempt(0, 1), new TaskAttempt(0, 5))));
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet")).sorted().toList();
    }
  }
}

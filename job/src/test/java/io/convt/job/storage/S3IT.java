package io.convt.job.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convt.job.CrashBeforeCommitStep;
import io.convt.job.infer.InferJob;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code infer}, {@code gradients} and {@code train} on S3: S3Proxy on 127.0.0.1 (a child JVM), objects uploaded through the S3 API (the AWS SDK),
 * {@code s3a://} paths with endpoint and credentials given only as {@code spark.hadoop.fs.s3a.*}. The infer matrix
 * equals the local run bit for bit; {@code scripts/convt-job} run as a user would leaves {@code _SUCCESS},
 * {@code run-summary.json} and a manifest of exactly the objects there are; a driver killed mid-commit (exit 70,
 * {@link CrashBeforeCommitStep}) leaves no {@code _SUCCESS}, on S3 and on the local file system.
 */
class S3IT extends StorageMatrix {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static S3ProxyServer server;
  static S3Client s3;
  static SparkSession spark;
  static Path dir;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("convt-s3-it");
    server = S3ProxyServer.start(dir);
    s3 = S3Client.builder().endpointOverride(URI.create(server.endpoint())).region(Region.US_EAST_1)
        .forcePathStyle(true)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
        .build();
    for (String b : List.of("input", "output", "work")) {
      s3.createBucket(r -> r.bucket(b));
    }
    SparkSession.Builder b = SparkSession.builder().master("local[2]").appName("convt-s3-it")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1");
    for (String kv : server.s3aSettings()) {
      b.config(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
    }
    spark = b.getOrCreate();
  }

  @AfterAll
  static void stop() throws Exception {
    if (spark != null) {
      spark.stop();
    }
    if (s3 != null) {
      s3.close();
    }
    if (server != null) {
      server.close();
    }
    org.apache.commons.io.FileUtils.deleteQuietly(dir.toFile());
  }

  @Override
  String root() {
    return "s3a://work";
  }

  @Override
  Configuration storeConf(SparkSession s) {
    return HadoopConf.driverConf(s);
  }

  /** Through the S3 API, as any producer of the data would. */
  @Override
  void upload(Path local, String remote) throws IOException {
    URI u = URI.create(remote);
    String key = u.getPath().replaceFirst("^/", "");
    if (Files.isDirectory(local)) {
      try (var s = Files.list(local)) {
        for (Path p : s.sorted().toList()) {
          s3.putObject(r -> r.bucket(u.getHost()).key(key + "/" + p.getFileName()), RequestBody.fromFile(p));
        }
      }
    } else {
      s3.putObject(r -> r.bucket(u.getHost()).key(key), RequestBody.fromFile(local));
    }
  }

  @Test
  void inferMatrixOnS3EqualsLocal() throws IOException {
    runMatrix(spark, tmp);
  }

  @Test
  void trainWithEveryPathOnS3EqualsLocal() throws IOException {
    trainWithEveryPathRemoteEqualsLocal(spark, tmp);
  }

  @Test
  void gradientsWriteEveryOutputToS3() throws IOException {
    gradientsWriteEveryOutputRemotely(spark, tmp);
  }

  @Test
  void scriptOnS3AsAUserRunsIt() throws Exception {
    upload(IMAGES, "s3a://input/images");
    InferJob.run(spark, upsample(), conf(), IMAGES.toString(), tmp.resolve("local").toString());
    assertEquals(0, script(Map.of(), "--input", "s3a://input/images", "--output", "s3a://output/run1"));
    Set<String> keys = keys("output", "run1/");
    assertTrue(keys.contains("run1/_SUCCESS") && keys.contains("run1/run-summary.json"), keys.toString());
    // the manifest lists exactly the objects there are (besides itself and _SUCCESS)
    JsonNode manifest = new ObjectMapper().readTree(s3.getObjectAsBytes(r -> r.bucket("output")
        .key("run1/manifest.json")).asByteArray());
    Set<String> listed = new TreeSet<>();
    manifest.get("files").forEach(f -> listed.add("run1/" + f.get("path").asText()));
    Set<String> files = new TreeSet<>(keys);
    files.removeIf(k -> k.endsWith("/") || k.equals("run1/_SUCCESS") || k.equals("run1/manifest.json"));
    assertEquals(files, listed);
    assertEquals(parquetRows(spark, tmp.resolve("local/data").toString()), parquetRows(spark, "s3a://output/run1/data"));
  }

  @Test
  void driverKilledMidCommitLeavesNoSuccess() throws Exception {
    upload(IMAGES, "s3a://input/crash-images");
    // on S3: the manifest is written, the driver dies before _SUCCESS
    assertEquals(70, crashed("success",
        "--input", "s3a://input/crash-images", "--output", "s3a://output/crashed"));
    Set<String> keys = keys("output", "crashed/");
    assertTrue(keys.contains("crashed/manifest.json"), "the crash came mid-commit: " + keys);
    assertFalse(keys.contains("crashed/_SUCCESS"), keys.toString());
    // replacing a committed output: its _SUCCESS goes before anything else, so a crash never leaves a _SUCCESS
    // over a mix of old and new objects
    InferJob.run(spark, upsample(), conf(), "s3a://input/crash-images", "s3a://output/replaced");
    assertTrue(keys("output", "replaced/").contains("replaced/_SUCCESS"));
    assertEquals(70, crashed("manifest",
        "--input", "s3a://input/crash-images", "--output", "s3a://output/replaced", "--mode", "overwrite"));
    assertFalse(keys("output", "replaced/").contains("replaced/_SUCCESS"));
    // on the local file system: nothing under the output's name at all
    Path local = tmp.resolve("local-crash");
    assertEquals(70, crashed("success",
        "--input", IMAGES.toAbsolutePath().toString(), "--output", local.toString()));
    assertFalse(Files.exists(local));
  }

  private Set<String> keys(String bucket, String prefix) {
    Set<String> out = new TreeSet<>();
    for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix)).contents()) {
      out.add(o.key());
    }
    return out;
  }

  /** {@code scripts/convt-job infer ...} with the layer flags and this server's settings, as a user runs it. */
  private int script(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("scripts/convt-job").toString()));
    cmd.addAll(jobArgs(args));
    return run(cmd, env);
  }

  /**
   * The same job in a JVM launched as {@code scripts/convt-job} launches it (its flags and classpath, plus the test
   * classes), through {@link CrashBeforeCommitStep}: the driver halts (exit 70) just before the {@code step} of the
   * commit ({@code manifest} or {@code success}).
   */
  private int crashed(String step, String... args) throws Exception {
    Path spark = Path.of("target/spark-home").toAbsolutePath();
    String picocli = Arrays.stream(Files.readString(ROOT.resolve("engine/target/runtime-classpath.txt")).trim()
        .split(java.io.File.pathSeparator)).filter(e -> e.contains("/picocli-")).findFirst().orElseThrow();
    String cp = String.join(java.io.File.pathSeparator, Path.of("target/test-classes").toAbsolutePath().toString(),
        Path.of("target/classes").toAbsolutePath().toString(), ROOT.resolve("engine/target/classes").toString(),
        spark.resolve("conf").toString(), spark.resolve("jars") + "/*", picocli);
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    Matcher m = Pattern.compile("<spark.jvm.flags>(.*)</spark.jvm.flags>").matcher(
        Files.readString(ROOT.resolve("pom.xml")));
    if (!m.find()) {
      throw new IllegalStateException("no <spark.jvm.flags> in the parent pom");
    }
    cmd.addAll(List.of(m.group(1).trim().split("\\s+")));
    cmd.addAll(List.of("-Xmx1g", "-Dlog4j2.configurationFile=" + ROOT.resolve("conf/log4j2.properties"), "-cp", cp,
        CrashBeforeCommitStep.class.getName(), step));
    cmd.addAll(jobArgs(args));
    return run(cmd, Map.of("SPARK_HOME", spark.toString(), "SPARK_LOCAL_IP", "127.0.0.1"));
  }

  /** {@code infer}'s arguments: the layer flags, this server's settings, then {@code args}. */
  private List<String> jobArgs(String... args) {
    List<String> cmd = new ArrayList<>(List.of("infer",
        "--master", "local[2]", "--conf", "progress.interval-seconds=0", "--conf", "spark.ui.enabled=false",
        "--weights", ROOT.resolve("sample-data/upsample2x_pytorch.npy").toString(),
        "--bias", ROOT.resolve("sample-data/upsample2x_bias.npy").toString(),
        "--weights-layout", "pytorch", "--stride", "2,2", "--padding", "1,1"));
    for (String kv : server.s3aSettings()) {
      cmd.add("--conf");
      cmd.add(kv);
    }
    cmd.addAll(List.of(args));
    return cmd;
  }

  private int run(List<String> cmd, Map<String, String> env) throws Exception {
    Path log = Files.createTempFile(dir, "convt-job-", ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("CONVT_NO_BUILD", "1");
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("convt-job did not finish in 300 s: " + Files.readString(log));
    }
    if (p.exitValue() != 0) {
      System.err.println("convt-job exit " + p.exitValue() + ":\n" + Files.readString(log));
    }
    return p.exitValue();
  }
}

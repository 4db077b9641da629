package io.convt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.io.Npy;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/convt} hides the log's WARN lines, so a run that falls back to the scalar kernel (10-50x slower)
 * must say so itself: one line on stderr. Each case runs the CLI in a child JVM started as the script starts it
 * (its flags and log level; the backend is chosen once per JVM).
 */
class ScalarFallbackNoticeTest {
  private static final String NOTICE = "convt: SIMD kernel unavailable (";

  @TempDir Path dir;

  private record Run(int exit, List<String> stderr) {}

  private Run forward(String... jvmFlags) throws IOException, InterruptedException {
    Path x = dir.resolve("x.npy");
    Path w = dir.resolve("w.npy");
    if (!Files.exists(x)) {
      Npy.writeFloat32(x, new int[] {1, 2, 3, 3}, new float[18]);
      Npy.writeFloat32(w, new int[] {2, 2, 2, 2}, new float[16]);
    }
    Path y = dir.resolve("y" + System.nanoTime() + ".npy");
    // the CLI's classpath (no test-classes: their simplelogger.properties would show WARN lines), its module flags
    String classpath = Stream.of(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
        .split(File.pathSeparator)).filter(e -> !e.endsWith("test-classes")).collect(Collectors.joining(
            File.pathSeparator));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--") || a.equals("-XX:+IgnoreUnrecognizedVMOptions") || a.startsWith("-Dio.netty"))
        .forEach(cmd::add);
    cmd.addAll(List.of("-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=error"));
    cmd.addAll(List.of(jvmFlags));
    cmd.addAll(List.of("-cp", classpath, ConvtCli.class.getName(), "forward", "--input", x.toString(), "--weights",
        w.toString(), "--weights-layout", "pytorch", "--stride", "2,2", "--quiet", "--output", y.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().remove("CONVT_ENGINE_IMPL");
    Path err = dir.resolve("err" + System.nanoTime() + ".txt");
    Process p = pb.redirectError(err.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the CLI finished");
    List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
    lines.removeIf(l -> l.startsWith("WARNING: Using incubator modules"));
    return new Run(p.exitValue(), lines);
  }

  @Test
  void aBadSimdPropertyFallsBackWithOneLineNamingTheReason() throws Exception {
    Run r = forward("-Dconvt.simd.cacheBytes=lots");
    assertEquals(0, r.exit(), "auto still runs, on the scalar kernel: " + r.stderr());
    List<String> notices = r.stderr().stream().filter(l -> l.startsWith(NOTICE)).toList();
    assertEquals(1, notices.size(), "one notice line: " + r.stderr());
    String line = notices.get(0);
    assertTrue(line.contains("-Dconvt.simd.cacheBytes=lots") && line.endsWith(
        "); running the scalar reference kernel (10-50x slower)"), line);
  }

  @Test
  void theNormalCaseAndAForcedScalarKernelSayNothing() throws Exception {
    Run normal = forward();
    assertEquals(0, normal.exit(), normal.stderr().toString());
    assertFalse(normal.stderr().stream().anyMatch(l -> l.contains("SIMD kernel unavailable")), normal.stderr()
        .toString());
    Run scalar = forward("-Dconvt.simd.cacheBytes=lots", "-Dconvt.engine.impl=scalar");
    assertEquals(0, scalar.exit(), scalar.stderr().toString());
    assertFalse(scalar.stderr().stream().anyMatch(l -> l.contains("SIMD kernel unavailable")), "asked for scalar: "
        + scalar.stderr());
  }
}

package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every vectorised kernel compiles with C1. HotSpot compiles a hot method with C1 (tier 3, profiled) before C2; a
 * method C1 cannot compile (too many live vectors and masks: "out of virtual registers in LIR generator") is left at
 * tier 2, and when C2 then compiles its caller without inlining it, the kernel runs as C1 code for the JVM's life: the
 * Vector API is only intrinsified by C2, so such a kernel ran 50× slower in some JVMs and not in others
 * ({@code MicroPointwise.grad3x4}, {@code Micro.dot4x3}; docs/benchmark-log.md).
 *
 * <p>A child JVM with C1 only ({@code -XX:TieredStopAtLevel=3}) runs {@link C1Probe} (the twin tests' geometries up to
 * a size, all three passes) with {@code -XX:+PrintCompilation}, and the kernels' compile thresholds scaled down so
 * each kernel method it reaches is compiled at its first call; a second child does the same with 256-bit
 * vectors (the kernels chosen for narrower registers). No method of the engine may be reported skipped or not
 * compilable (on-stack replacements aside: a failed one only leaves one long call to C2's OSR compile), and every
 * {@code Micro*} kernel class must have been compiled (the probe reaches every kernel family).
 */
class C1CompilabilityTest {
  /** Largest problem the probe runs (multiply-adds per pass): C1's Vector API code is ~1000× slower than C2's. */
  private static final long PROBE_MAX_MACS = 200_000;
  private static final Pattern COMPILED = Pattern.compile(
      "^\\s*\\d+\\s+\\d+\\s+[%sbn! ]{5,6}\\s*3\\s+io\\.convt\\.engine\\.internal\\.simd\\.(\\w+)::(\\S+)");

  @Test
  void everyKernelCompilesWithC1() throws Exception {
    List<Process> children = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    for (String width : new String[] {"", "-XX:MaxVectorSize=32"}) {
      Path log = Files.createTempFile("c1probe", ".log");
      logs.add(log);
      children.add(child(width, log));
    }
    Set<String> compiledClasses = new TreeSet<>();
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < children.size(); i++) {
      Process child = children.get(i);
      boolean done = child.waitFor(10, TimeUnit.MINUTES);
      if (!done) {
        children.forEach(Process::destroyForcibly);
      }
      List<String> lines = Files.readAllLines(logs.get(i));
      Files.delete(logs.get(i));
      assertTrue(done, "C1 probe did not finish in 10 minutes");
      assertEquals(0, child.exitValue(), () -> "C1 probe failed:\n" + tail(lines));
      assertTrue(lines.stream().anyMatch(l -> l.startsWith("C1Probe ran ")),
          () -> "probe did not run:\n" + tail(lines));
      for (String line : lines) {
        // an on-stack-replacement compile (flag %) that fails only delays one long call until C2's OSR compile
        boolean osr = line.matches("^\\s*\\d+\\s+\\d+\\s+%.*");
        if (!osr && line.contains("io.convt.")
            && (line.contains("COMPILE SKIPPED") || line.contains("not compilable"))) {
          failures.add(line.trim());
        }
        Matcher m = COMPILED.matcher(line);
        if (m.find()) {
          compiledClasses.add(m.group(1));
        }
      }
    }
    assertEquals(List.of(), failures, "kernel methods C1 cannot compile (split them: fewer live vectors and masks)");
    Set<String> kernels = kernelClasses();
    kernels.removeAll(compiledClasses);
    assertEquals(Set.of(), kernels, "kernel classes the probe never reached (add a geometry to a twin test)");
  }

  private static Process child(String vectorWidth, Path log) throws IOException {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+IgnoreUnrecognizedVMOptions", "--add-modules=jdk.incubator.vector", "-Xmx512m",
        "-XX:TieredStopAtLevel=3", "-Xbatch", "-XX:+PrintCompilation", "-XX:CompileCommand=quiet",
        "-XX:CompileCommand=CompileThresholdScaling,io.convt.engine.internal.simd.*::*,0.0001"));
    if (!vectorWidth.isEmpty()) {
      cmd.add(vectorWidth);
    }
    cmd.addAll(List.of("-cp", classpath, C1Probe.class.getName(), "1", Long.toString(PROBE_MAX_MACS)));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** The {@code Micro*} classes of the kernel package (nested classes hold no kernels). */
  private static Set<String> kernelClasses() throws IOException, URISyntaxException {
    Path dir = Path.of(SimdBackend.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolve(SimdBackend.class.getPackageName().replace('.', '/'));
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.map(f -> f.getFileName().toString())
          .filter(f -> f.startsWith("Micro") && f.endsWith(".class") && !f.contains("$"))
          .forEach(f -> names.add(f.substring(0, f.length() - ".class".length())));
    }
    return names;
  }

  private static String tail(List<String> lines) {
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}

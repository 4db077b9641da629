package io.convt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.ConvTranspose;
import io.convt.engine.ConvTransposeGradient;
import io.convt.engine.KernelOptions;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.golden.GoldenCase;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.NpyArray;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chunked passes of {@code convt backward} against one whole-stack forward encode with a gradient state and
 * one whole-stack gradient encode: bit for bit, on every golden geometry, both kernels, one and two threads, with a
 * stack that is not a multiple of the chunk.
 */
class BackwardPassesTest {
  static final int RECORDS = 37;
  static final BackwardPasses.Reporting SILENT =
      new BackwardPasses.Reporting(ConsoleProgress.Style.OFF, 1000, System.err);

  static Stream<Arguments> cases() {
    return Stream.of("scalar", "auto").flatMap(impl -> Stream.of(1, 2).flatMap(threads ->
        GoldenCase.names().stream().map(n -> Arguments.of(n, impl, threads))));
  }

  @ParameterizedTest(name = "{0} [{1}, {2} threads]")
  @MethodSource("cases")
  void chunkedPassesAreBitIdenticalToTheWholeStackCalls(String name, String impl, int threads) {
    GoldenCase c = GoldenCase.load(name);
    KernelOptions options = KernelOptions.defaults().withImpl(impl).withThreads(threads);
    int[] xs = c.x().shape();
    NpyArray x = random(new int[] {RECORDS, xs[1], xs[2], xs[3]}, 1);
    try (RootAllocator alloc = new RootAllocator()) {
      ConvTranspose whole = c.kernel(options);
      NpyArray gy = random(outputShape(alloc, whole, x), 2);
      float[][] want = wholeStack(alloc, whole, x, gy);
      for (int chunk : new int[] {1, 8, RECORDS, 64}) {
        BackwardPasses.Gradients got = new BackwardPasses(c.kernel(options), chunk, SILENT, done -> { })
            .run(alloc, x, gy, "x.npy", "gy.npy");
        String at = name + " chunk " + chunk + " ";
        assertArrayEquals(bits(want[0]), bits(got.input()), at + "gx");
        assertArrayEquals(bits(want[1]), bits(got.weightsMps()), at + "gw");
        assertArrayEquals(bits(want[2]), bits(got.biases()), at + "gb");
      }
    }
  }

  @Test
  void linesShowRecordsDoneOfTotalWithAnEtaForEachChunkedPass() {
    GoldenCase c = GoldenCase.load("s2_k4_p1_dcgan");
    int[] xs = c.x().shape();
    NpyArray x = random(new int[] {RECORDS, xs[1], xs[2], xs[3]}, 3);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    try (RootAllocator alloc = new RootAllocator()) {
      ConvTranspose k = c.kernel(KernelOptions.defaults());
      NpyArray gy = random(outputShape(alloc, k, x), 4);
      // Each chunk made slow, so the 50 ms poll sees counts move in both chunked passes.
      new BackwardPasses(k, 8, new BackwardPasses.Reporting(ConsoleProgress.Style.LINES, 50, out), done -> sleep(40))
          .run(alloc, x, gy, "x.npy", "gy.npy");
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    for (String pass : new String[] {"forward pass", "data gradient"}) {
      String prefix = "convt backward (" + pass + "): ";
      assertTrue(text.lines().anyMatch(l -> l.startsWith(prefix) && l.contains("/" + RECORDS + " records (")
          && l.contains(" records/s, ETA ")), text);
      assertTrue(text.lines().anyMatch(l -> l.startsWith(prefix + RECORDS + "/" + RECORDS
          + " records (100%), ") && l.endsWith(", ETA 0 s")), text);
    }
  }

  @Test
  void weightGradientLineSaysTimeElapsedAndTimeLeftAsEstimated() {
    try (EstimatedProgress p = EstimatedProgress.start("convt backward (weight gradient)", 8.2, 1000,
        ConsoleProgress.Style.OFF, System.err)) {
      assertEquals("convt backward (weight gradient): 3 s elapsed, ~5 s left (estimated)", p.text(3.1, false));
      assertEquals("convt backward (weight gradient): 9 s elapsed, taking longer than estimated", p.text(9, false));
      assertEquals("convt backward (weight gradient): done in 1 min 05 s", p.text(65, true));
    }
  }

  @Test
  void estimatedProgressPrintsPlainLinesWhileThePassRuns() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    try (EstimatedProgress p = EstimatedProgress.start("convt backward (weight gradient)", 100, 50,
        ConsoleProgress.Style.LINES, out)) {
      sleep(200);
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(text.lines().anyMatch(l -> l.matches("convt backward \\(weight gradient\\): 0 s elapsed, "
        + "~1 min 40 s left \\(estimated\\)")), text);
    assertTrue(text.lines().reduce((a, b) -> b).orElse("").startsWith("convt backward (weight gradient): done in"),
        text);
  }

  /** Today's path: one forward encode with a gradient state over the stack, one gradient encode over it. */
  static float[][] wholeStack(RootAllocator alloc, ConvTranspose k, NpyArray x, NpyArray gy) {
    try (ImageBatch src = NchwArrays.toBatch(alloc, x)) {
      ConvTranspose.StatefulResult fwd = k.encodeBatchWithState(alloc, src, null, false);
      try (ImageBatch y = fwd.image(); ImageBatch g = NchwArrays.toBatch(alloc, gy);
          ImageBatch gx = new ConvTransposeGradient(k).encode(alloc, g, src, fwd.state())) {
        return new float[][] {NchwArrays.fromBatch(gx), fwd.state().gradientForWeights().clone(),
            fwd.state().gradientForBiases().clone()};
      }
    }
  }

  static int[] outputShape(RootAllocator alloc, ConvTranspose k, NpyArray x) {
    int[] s = x.shape();
    try (ImageBatch one = ImageBatch.allocate(alloc, 1, s[2], s[3], s[1]); ImageBatch y = k.encodeBatch(alloc, one)) {
      return new int[] {s[0], y.channels(), y.height(), y.width()};
    }
  }

  static NpyArray random(int[] shape, long seed) {
    Random r = new Random(seed);
    float[] v = new float[shape[0] * shape[1] * shape[2] * shape[3]];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return new NpyArray("<f4", shape, v, null);
  }

  static int[] bits(float[] a) {
    int[] b = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = Float.floatToRawIntBits(a[i]);
    }
    return b;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

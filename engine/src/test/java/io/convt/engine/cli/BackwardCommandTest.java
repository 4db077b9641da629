package io.convt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.golden.GoldenCase;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.NpyFloat32Writer;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layer.WeightGeometry;
import io.convt.engine.layout.WeightLayouts;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import org.junit.jupiter.api.io.TempDir;

/** {@code scripts/convt backward} in-process: PyTorch autograd parity through files, and one-line errors. */
class BackwardCommandTest {
  @TempDir Path tmp;
  final StringWriter err = new StringWriter();

  int run(String... args) {
    return ConvtCli.run(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
  }

  @Test
  void reproducesAutogradWithPytorchLayout() {
    GoldenCase c = GoldenCase.load("groups2");
    Path d = c.dir();
    int rc = run("backward", "--input", d.resolve("x.npy").toString(), "--weights", d.resolve("w.npy").toString(),
        "--bias", d.resolve("b.npy").toString(), "--weights-layout", "pytorch", "--stride", "2,2", "--padding", "1,1",
        "--output-padding", "1,1", "--groups", "2", "--grad-output", d.resolve("gy.npy").toString(),
        "--grad-input", tmp.resolve("gx.npy").toString(), "--grad-weights", tmp.resolve("gw.npy").toString(),
        "--grad-bias", tmp.resolve("gb.npy").toString());
    assertEquals(0, rc, err.toString());
    for (String k : new String[] {"gx", "gw", "gb"}) {
      NpyArray ref = c.array(k);
      NpyArray got = Npy.read(tmp.resolve(k + ".npy"));
      assertArrayEquals(ref.shape(), got.shape(), k);
      assertTrue(GoldenCase.maxDiff(ref.floats(), got.floats()) <= 1e-4 * GoldenCase.maxAbs(ref.floats()), k);
    }
  }

  @Test
  void mismatchedGradOutputIsOneLineNamingTheFile() {
    GoldenCase c = GoldenCase.load("s1_k3_basic");
    Path d = c.dir();
    assertEquals(2, run("backward", "--input", d.resolve("x.npy").toString(), "--weights", d.resolve("w.npy").toString(),
        "--weights-layout", "pytorch", "--grad-output", d.resolve("x.npy").toString(),
        "--grad-input", tmp.resolve("gx.npy").toString(), "--grad-weights", tmp.resolve("gw.npy").toString()));
    String e = err.toString().trim();
    assertEquals(1, e.lines().count(), e);
    assertTrue(e.contains("x.npy: has shape [1, 3, 6, 7] but the output Y"), e);
  }

  /**
   * A stack split into record chunks (40 records: 16 + 16 + 8) gives the same files, byte for byte, as the
   * whole-stack engine calls for the same flags.
   */
  @ParameterizedTest
  @ValueSource(strings = {"scalar", "simd"})
  void chunkedStackWritesTheFilesOfTheWholeStackCalls(String impl) throws IOException {
    int n = 40;
    assertEquals(16, BackwardPasses.defaultChunkRecords(n));
    Path x = write("x.npy", BackwardPassesTest.random(new int[] {n, 4, 5, 7}, 11));
    Path w = write("w.npy", BackwardPassesTest.random(new int[] {4, 3, 3, 4}, 12));
    Path b = write("b.npy", BackwardPassesTest.random(new int[] {1, 1, 1, 6}, 13).floats(), new int[] {6});
    Path gy = write("gy.npy", BackwardPassesTest.random(new int[] {n, 6, 9, 14}, 14));
    String[] layerFlags = {"--weights", w.toString(), "--bias", b.toString(), "--weights-layout", "pytorch",
        "--stride", "2,2", "--padding", "1,1", "--groups", "2", "--impl", impl, "--threads", "2"};
    String[] files = {"--input", x.toString(), "--grad-output", gy.toString(), "--grad-input",
        tmp.resolve("gx.npy").toString(), "--grad-weights", tmp.resolve("gw.npy").toString(), "--grad-bias",
        tmp.resolve("gb.npy").toString()};
    String[] args = concat(new String[] {"backward", "--quiet"}, concat(files, layerFlags));
    assertEquals(0, run(args), err.toString());

    BackwardCommand parsed = new BackwardCommand();
    new CommandLine(parsed).parseArgs(concat(files, layerFlags));
    LayerSpec spec = parsed.layer.validate();
    Layer l = parsed.layer.open(spec, 5, 7);
    spec = l.spec();
    float[][] want;
    try (RootAllocator alloc = new RootAllocator()) {
      want = BackwardPassesTest.wholeStack(alloc, l.kernel(), Npy.readFloat(x), Npy.readFloat(gy));
    }
    WeightGeometry geo = l.geometry();
    float[] gw = WeightLayouts.fromMps(spec.layout(), want[1], geo.outputChannels(), geo.kernelHeight(),
        geo.kernelWidth(), geo.inputChannels(), 2);
    write("ref-gx.npy", want[0], new int[] {n, 4, 5, 7});
    write("ref-gw.npy", gw, new int[] {4, 3, 3, 4});
    write("ref-gb.npy", want[2], new int[] {6});
    for (String k : new String[] {"gx", "gw", "gb"}) {
      assertArrayEquals(Files.readAllBytes(tmp.resolve("ref-" + k + ".npy")), Files.readAllBytes(tmp.resolve(k
          + ".npy")), k + " [" + impl + "]");
    }
  }

  Path write(String name, NpyArray a) {
    return write(name, a.floats(), a.shape());
  }

  Path write(String name, float[] values, int[] shape) {
    Path p = tmp.resolve(name);
    try (NpyFloat32Writer out = NpyFloat32Writer.open(p, shape)) {
      out.append(values, 0, values.length);
      out.commit();
    }
    return p;
  }

  static String[] concat(String[] a, String[] b) {
    String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}

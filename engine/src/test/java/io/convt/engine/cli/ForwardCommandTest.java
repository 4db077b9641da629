package io.convt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.golden.GoldenCase;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.layout.WeightLayout;
import io.convt.engine.layout.WeightLayouts;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code scripts/convt forward} in-process: PyTorch parity through files, and one-line errors. */
class ForwardCommandTest {
  @TempDir Path tmp;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  int run(String... args) {
    return ConvtCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void reproducesPyTorchOnAGoldenCaseWithPytorchLayout() {
    GoldenCase c = GoldenCase.load("dil2_k3_s2_p2");
    Path y = tmp.resolve("y.npy");
    int rc = run("forward", "--input", c.dir().resolve("x.npy").toString(), "--weights", c.dir().resolve("w.npy").toString(),
        "--bias", c.dir().resolve("b.npy").toString(), "--weights-layout", "pytorch", "--stride", "2,2",
        "--padding", "2,2", "--output-padding", "1,1", "--dilation", "2,2", "--output", y.toString());
    assertEquals(0, rc, err.toString());
    NpyArray got = Npy.read(y);
    NpyArray ref = c.array("y");
    assertArrayEquals(ref.shape(), got.shape());
    assertTrue(GoldenCase.maxDiff(got.floats(), ref.floats()) <= 1e-4 * GoldenCase.maxAbs(ref.floats()));
  }

  @Test
  void mpsLayoutWithTheSameGeometryGivesTheSameOutput() {
    GoldenCase c = GoldenCase.load("groups2");
    int[] sh = c.w().shape();
    Path wm = tmp.resolve("w_mps.npy");
    int[] g = WeightLayouts.geometry(WeightLayout.PYTORCH, sh, 2);
    Npy.writeFloat32(wm, new int[] {g[0], g[1], g[2], g[3] / 2}, WeightLayouts.toMps(WeightLayout.PYTORCH, c.w().floats(), sh, 2));
    Path y = tmp.resolve("y.npy");
    int rc = run("forward", "--input", c.dir().resolve("x.npy").toString(), "--weights", wm.toString(),
        "--bias", c.dir().resolve("b.npy").toString(), "--weights-layout", "mps", "--stride", "2",
        "--padding", "1,1", "--output-padding", "1,1", "--groups", "2", "--output", y.toString());
    assertEquals(0, rc, err.toString());
    NpyArray ref = c.array("y");
    assertTrue(GoldenCase.maxDiff(Npy.read(y).floats(), ref.floats()) <= 1e-4 * GoldenCase.maxAbs(ref.floats()));
  }

  @Test
  void mpsManualModeAndPaddingPolicyAreAvailable() {
    GoldenCase c = GoldenCase.load("s1_k3_basic");
    Path w = c.dir().resolve("w.npy"); // [3,5,3,3] read as MPS [Cout=3,kH=5,kW=3,Cin=3]: only the shape matters here
    Path y = tmp.resolve("y.npy");
    assertEquals(0, run("forward", "--input", c.dir().resolve("x.npy").toString(), "--weights", w.toString(),
        "--weights-layout", "mps", "--padding-policy", "same", "--output", y.toString()), err.toString());
    assertArrayEquals(new int[] {1, 3, 6, 7}, Npy.read(y).shape()); // same: (W-1)*1+1
    assertEquals(0, run("forward", "--input", c.dir().resolve("x.npy").toString(), "--weights", w.toString(),
        "--weights-layout", "mps", "--output-size", "4,5", "--offset", "1,0", "--kernel-offset", "0,-1",
        "--clip", "1,1,2,2", "--neuron", "relu", "--output", y.toString()), err.toString());
    NpyArray m = Npy.read(y);
    assertArrayEquals(new int[] {1, 3, 4, 5}, m.shape());
    for (float v : m.floats()) {
      assertTrue(v >= 0, "relu output");
    }
  }

  @Test
  void badInputIsOneLineNamingTheFileOrFlag() throws Exception {
    GoldenCase c = GoldenCase.load("s1_k3_basic");
    String x = c.dir().resolve("x.npy").toString();
    String w = c.dir().resolve("w.npy").toString();
    String y = tmp.resolve("y.npy").toString();
    expectError(2, "missing.npy", "does not exist", "forward", "--input", x, "--weights", tmp.resolve("missing.npy").toString(),
        "--weights-layout", "pytorch", "--output", y);
    expectError(2, "--weights-layout", "nchw", "forward", "--input", x, "--weights", w, "--weights-layout", "nchw", "--output", y);
    expectError(2, "--stride", "a,b", "forward", "--input", x, "--weights", w, "--weights-layout", "pytorch", "--stride", "a,b",
        "--output", y);
    expectError(2, "Unknown option", "--strid", "forward", "--input", x, "--weights", w, "--weights-layout", "pytorch",
        "--strid", "2", "--output", y);
    Path junk = Files.write(tmp.resolve("junk.npy"), new byte[] {1, 2, 3});
    expectError(2, "junk.npy", "too short", "forward", "--input", junk.toString(), "--weights", w, "--weights-layout", "pytorch",
        "--output", y);
    // weights expect 3 input channels; feed the 5-channel output of the case as input
    expectError(2, "y.npy", "expect 3", "forward", "--input", c.dir().resolve("y.npy").toString(), "--weights", w,
        "--weights-layout", "pytorch", "--output", y);
    expectError(2, "b.npy", "output channels", "forward", "--input", x, "--weights", w, "--bias",
        GoldenCase.load("s1_k1").dir().resolve("b.npy").toString(), "--weights-layout", "pytorch", "--output", y);
    assertFalse(Files.exists(Path.of(y)), "no output on failure");
  }

  private void expectError(int code, String a, String b, String... args) {
    err.getBuffer().setLength(0);
    assertEquals(code, run(args), err.toString());
    String e = err.toString().trim();
    assertEquals(1, e.lines().count(), "one line: " + e);
    assertTrue(e.contains(a) && e.contains(b), e);
  }
}

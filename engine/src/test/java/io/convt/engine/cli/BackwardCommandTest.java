package io.convt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.golden.GoldenCase;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
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
}

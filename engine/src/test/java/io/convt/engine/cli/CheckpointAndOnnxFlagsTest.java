package io.convt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.io.Npy;
import io.convt.engine.layer.LayerSpec;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The local CLI's state-dict keys ({@code --weights-key}/{@code --bias-key}, PyTorch checkpoints) and ONNX geometry
 * flags ({@code --auto-pad}/{@code --output-shape}): each run equals the run with the same tensors and pads given
 * the plain way, and what cannot work is a one-line error.
 */
class CheckpointAndOnnxFlagsTest {
  @TempDir Path tmp;
  final StringWriter err = new StringWriter();

  int run(String... args) {
    return ConvtCli.run(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
  }

  static String res(String path) {
    try {
      return Path.of(CheckpointAndOnnxFlagsTest.class.getResource(path).toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private Path input(int n, int c, int h, int w) {
    Random r = new Random(7);
    float[] x = new float[n * c * h * w];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat() * 2 - 1;
    }
    Path p = tmp.resolve("x" + h + "x" + w + ".npy");
    Npy.writeFloat32(p, new int[] {n, c, h, w}, x);
    return p;
  }

  @Test
  void checkpointKeysGiveTheSameOutputAsTheExportedTensors() {
    Path x = input(2, 2, 5, 4);
    Path a = tmp.resolve("a.npy");
    Path b = tmp.resolve("b.npy");
    String[] geo = {"--weights-layout", "pytorch", "--stride", "2", "--padding", "1,1", "--output-padding", "1,1"};
    assertEquals(0, run(concat(new String[] {"forward", "--input", x.toString(), "--output", a.toString(),
        "--weights", res("/checkpoints/checkpoint.pth"), "--weights-key", "state_dict.decoder.up.weight",
        "--bias-key", "state_dict.decoder.up.bias"}, geo)), err.toString());
    assertEquals(0, run(concat(new String[] {"forward", "--input", x.toString(), "--output", b.toString(),
        "--weights", res("/checkpoints/decoder__decoder.up.weight.npy"),
        "--bias", res("/checkpoints/decoder__decoder.up.bias.npy")}, geo)), err.toString());
    assertArrayEquals(Npy.read(b).floats(), Npy.read(a).floats());
    assertArrayEquals(new int[] {2, 3, 10, 8}, Npy.read(a).shape());
  }

  @Test
  void aMissingKeyIsOneLineListingTheTensors() {
    Path y = tmp.resolve("y.npy");
    int rc = run("forward", "--input", input(1, 2, 3, 3).toString(), "--output", y.toString(),
        "--weights", res("/checkpoints/decoder.pt"), "--weights-layout", "pytorch");
    assertEquals(2, rc);
    String e = err.toString().strip();
    assertFalse(e.contains("\n"), e);
    assertTrue(e.contains("has no 'weight' entry for the weights (float tensors: decoder.up.weight"), e);
    assertFalse(Files.exists(y));
  }

  @Test
  void onnxFlagsEqualTheirTranslatedPads() {
    Path x = input(1, 2, 5, 4);
    Path w = tmp.resolve("w.npy");
    Random r = new Random(3);
    float[] wt = new float[2 * 3 * 3 * 3];
    for (int i = 0; i < wt.length; i++) {
      wt[i] = r.nextFloat() - 0.5f;
    }
    Npy.writeFloat32(w, new int[] {2, 3, 3, 3}, wt);
    // in 5x4, k 3, s 2: full 11x9. SAME_UPPER: 10x8, total 1 -> pads (0,0,1,1).
    // output_shape 12,9 (NOTSET): height total -1 -> start 0, end -1 (one zero row via output padding),
    // width total 0.
    String[][] cases = {
        {"--auto-pad", "same_upper"}, {"--padding", "0,0,1,1"},
        {"--auto-pad", "same_lower"}, {"--padding", "1,1,0,0"},
        {"--output-shape", "12,9"}, {"--output-padding", "1,0"},
        {"--output-shape", "9,6"}, {"--padding", "1,2,1,1"}};
    for (int i = 0; i < cases.length; i += 2) {
      Path a = tmp.resolve("a" + i + ".npy");
      Path b = tmp.resolve("b" + i + ".npy");
      String[] base = {"forward", "--input", x.toString(), "--weights", w.toString(), "--weights-layout", "pytorch",
          "--stride", "2"};
      assertEquals(0, run(concat(concat(base, cases[i]), new String[] {"--output", a.toString()})), err.toString());
      assertEquals(0, run(concat(concat(base, cases[i + 1]), new String[] {"--output", b.toString()})), err.toString());
      assertArrayEquals(Npy.read(b).shape(), Npy.read(a).shape(), cases[i][1]);
      assertArrayEquals(Npy.read(b).floats(), Npy.read(a).floats(), cases[i][1]);
    }
  }

  @Test
  void backwardWithOnnxFlagsReproducesAutograd() {
    // golden groups2 is PyTorch's stride 2, padding 1, output_padding 1: output 2H, which is ONNX SAME_UPPER
    // (target in*stride, total = 2 -> pads 1 and 1) with the same output_padding
    io.convt.engine.golden.GoldenCase c = io.convt.engine.golden.GoldenCase.load("groups2");
    Path d = c.dir();
    int rc = run("backward", "--input", d.resolve("x.npy").toString(), "--weights", d.resolve("w.npy").toString(),
        "--bias", d.resolve("b.npy").toString(), "--weights-layout", "pytorch", "--stride", "2,2",
        "--auto-pad", "same_upper", "--output-padding", "1,1", "--groups", "2",
        "--grad-output", d.resolve("gy.npy").toString(), "--grad-input", tmp.resolve("gx.npy").toString(),
        "--grad-weights", tmp.resolve("gw.npy").toString(), "--grad-bias", tmp.resolve("gb.npy").toString());
    assertEquals(0, rc, err.toString());
    for (String k : new String[] {"gx", "gw", "gb"}) {
      float[] ref = c.array(k).floats();
      float[] got = Npy.read(tmp.resolve(k + ".npy")).floats();
      assertTrue(io.convt.engine.golden.GoldenCase.maxDiff(ref, got)
          <= 1e-4 * io.convt.engine.golden.GoldenCase.maxAbs(ref), k);
    }
  }

  @Test
  void sizeDependentFlagsReachTheJobCommandsSpec() {
    // gradients and train derive the pads per input size (Layer.forInput), so toSpec keeps them
    LayerOptions o = new LayerOptions();
    new CommandLine(o).parseArgs("--weights", "w.pt", "--weights-layout", "pytorch", "--output-shape", "8,8",
        "--auto-pad", "same_lower");
    LayerSpec viaToSpec = o.toSpec();
    assertArrayEquals(new int[] {8, 8}, viaToSpec.outputShape());
    assertTrue(viaToSpec.inputDependentPads());
    assertArrayEquals(new int[] {8, 8}, o.validate().outputShape());
    LayerOptions k = new LayerOptions();
    new CommandLine(k).parseArgs("--weights", "w.pt", "--weights-layout", "pytorch", "--weights-key", "up.weight",
        "--bias-key", "up.bias");
    LayerSpec spec = k.toSpec();
    assertEquals("up.weight", spec.weightsKey());
    assertEquals("up.bias", spec.biasKey());
  }

  @Test
  void mpsSizingFlagsWithPytorchWeightsWarnOnce() {
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      LayerOptions o = new LayerOptions();
      new CommandLine(o).parseArgs("--weights", "w.npy", "--weights-layout", "pytorch", "--output-size", "6,6");
      o.toSpec();
    } finally {
      System.setErr(saved);
    }
    String text = captured.toString(StandardCharsets.UTF_8).strip();
    assertFalse(text.contains("\n"), text);
    assertTrue(text.startsWith("convt: warning: --output-size sizes and places the output with MPS semantics"), text);
  }

  private static String[] concat(String[] a, String[] b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}

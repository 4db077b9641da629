package io.convt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.io.Npy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and mistaken inputs to {@code scripts/convt}, generated here at test time (no binary fixtures) and run
 * in-process through {@link ConvtCli#run}. Each case asserts the exit code, the one-line message, and that no file
 * in the working directory changed, appeared (no half output, no temporary file) or vanished.
 */
class HostileCliInputsTest {
  static final int N = 2;
  static final int CIN = 3;
  static final int COUT = 4;
  static final int H = 5;
  static final int W = 5;

  @TempDir Path tmp;
  Path x;
  Path w;
  Path b;
  final StringWriter err = new StringWriter();

  @BeforeEach
  void writeInputs() {
    Random r = new Random(17);
    x = tmp.resolve("x.npy");
    w = tmp.resolve("w.npy");
    b = tmp.resolve("b.npy");
    Npy.writeFloat32(x, new int[] {N, CIN, H, W}, gaussian(r, N * CIN * H * W));
    Npy.writeFloat32(w, new int[] {CIN, COUT, 3, 3}, gaussian(r, CIN * COUT * 9));
    Npy.writeFloat32(b, new int[] {COUT}, gaussian(r, COUT));
  }

  static float[] gaussian(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  int run(String... args) {
    err.getBuffer().setLength(0);
    return ConvtCli.run(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
  }

  /** forward with the generated layer, {@code extra} flags appended. */
  String[] forward(Path input, Path output, String... extra) {
    return Stream.concat(Stream.of("forward", "--input", input.toString(), "--weights", w.toString(), "--bias",
        b.toString(), "--weights-layout", "pytorch", "--output", output.toString()), Arrays.stream(extra))
        .toArray(String[]::new);
  }

  /**
   * Runs {@code args}, expecting exit code {@code code} and one line on stderr starting with {@code firstLine},
   * and that every file under the working directory is byte-for-byte as before (nothing written or removed).
   */
  String refuse(int code, String firstLine, String... args) throws IOException {
    Map<String, String> before = snapshot();
    int rc = run(args);
    String e = err.toString();
    assertEquals(code, rc, e);
    List<String> lines = e.lines().toList();
    assertEquals(1, lines.size(), "one line: " + e);
    assertTrue(lines.get(0).startsWith(firstLine), "want a line starting with\n  " + firstLine + "\ngot\n  " + e);
    assertEquals(before, snapshot(), "no file changed, appeared or vanished");
    return lines.get(0);
  }

  /** Every entry under tmp: regular files by content, anything else by its kind (never opened). */
  Map<String, String> snapshot() throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(tmp)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String key = tmp.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          m.put(key, "link -> " + Files.readSymbolicLink(p));
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          m.put(key, Arrays.toString(Files.readAllBytes(p)));
        } else {
          m.put(key, Files.isDirectory(p) ? "dir" : "other");
        }
      }
    }
    return m;
  }

  /** A .npy file of any dtype, written byte by byte (for dtypes and damage the writer under test never makes). */
  static byte[] npy(String descr, int[] shape, byte[] data) {
    StringBuilder dims = new StringBuilder();
    for (int d : shape) {
      dims.append(d).append(shape.length == 1 ? "," : ", ");
    }
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims.toString().replaceAll(", $", "")
        + "), }";
    int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
    byte[] text = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(10 + text.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
        .put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) text.length).put(text)
        .put(data).array();
  }

  // ---- geometry flags -------------------------------------------------------------------------------------

  @Test
  void paddingNextToAPaddingPolicyIsRefused() throws IOException {
    refuse(2, "forward: Cannot combine --padding with --padding-policy: --padding-policy sizes and places the "
        + "destination itself", forward(x, tmp.resolve("y.npy"), "--padding", "1,1", "--padding-policy", "same"));
  }

  @Test
  void outputPaddingNextToAnOutputSizeIsRefused() throws IOException {
    refuse(2, "forward: Cannot combine --output-padding with --output-size",
        forward(x, tmp.resolve("y.npy"), "--output-padding", "1", "--stride", "2", "--output-size", "9,9"));
    refuse(2, "forward: Cannot combine --padding with --output-size",
        forward(x, tmp.resolve("y.npy"), "--padding", "0", "--output-size", "9,9"));
  }

  @Test
  void oneValueOfPaddingMeansBoth() throws IOException {
    Path one = tmp.resolve("one.npy");
    Path two = tmp.resolve("two.npy");
    assertEquals(0, run(forward(x, one, "--padding", "1", "--stride", "2", "--output-padding", "1")), err.toString());
    assertEquals(0, run(forward(x, two, "--padding", "1,1", "--stride", "2,2", "--output-padding", "1,1")),
        err.toString());
    assertArrayEquals(new int[] {N, COUT, 10, 10}, Npy.read(one).shape());
    assertArrayEquals(Files.readAllBytes(two), Files.readAllBytes(one));
    refuse(2, "forward: Invalid value for --padding: expected P, PH,PW or T,L,B,R (got '1,2,3')",
        forward(x, tmp.resolve("y.npy"), "--padding", "1,2,3"));
  }

  // ---- .npy inputs --------------------------------------------------------------------------------------

  @Test
  void uint8InputIsScaledAsDocumented() throws IOException {
    byte[] pixels = new byte[N * CIN * H * W];
    new Random(5).nextBytes(pixels);
    Path u8 = Files.write(tmp.resolve("x_u8.npy"), npy("|u1", new int[] {N, CIN, H, W}, pixels));
    float[] unit = new float[pixels.length];
    float[] signed = new float[pixels.length];
    for (int i = 0; i < pixels.length; i++) {
      unit[i] = (pixels[i] & 0xff) / 255f;
      signed[i] = 2f * (pixels[i] & 0xff) / 255f - 1f;
    }
    Path xUnit = tmp.resolve("x_unit.npy");
    Path xSigned = tmp.resolve("x_signed.npy");
    Npy.writeFloat32(xUnit, new int[] {N, CIN, H, W}, unit);
    Npy.writeFloat32(xSigned, new int[] {N, CIN, H, W}, signed);
    List<String[]> runs = new ArrayList<>();
    runs.add(forward(u8, tmp.resolve("y_u8.npy")));
    runs.add(forward(xUnit, tmp.resolve("y_unit.npy")));
    runs.add(forward(u8, tmp.resolve("y_u8s.npy"), "--input-scaling", "signed"));
    runs.add(forward(xSigned, tmp.resolve("y_signed.npy")));
    for (String[] a : runs) {
      assertEquals(0, run(a), err.toString());
    }
    assertArrayEquals(Files.readAllBytes(tmp.resolve("y_unit.npy")), Files.readAllBytes(tmp.resolve("y_u8.npy")));
    assertArrayEquals(Files.readAllBytes(tmp.resolve("y_signed.npy")), Files.readAllBytes(tmp.resolve("y_u8s.npy")));
    refuse(2, "forward: Invalid value for --input-scaling: 'percent' (expected unit, signed or raw)",
        forward(u8, tmp.resolve("y.npy"), "--input-scaling", "percent"));
  }

  @Test
  void bytesAfterTheDataAreRefusedNamingTheFileAndTheByteCounts() throws IOException {
    byte[] good = Files.readAllBytes(x);
    Path longer = Files.write(tmp.resolve("long.npy"), Arrays.copyOf(good, good.length + 7));
    refuse(2, "forward: " + longer + ": is " + (good.length + 7) + " bytes but its header (128 bytes) and shape "
        + "[2, 3, 5, 5] of <f4 (600 bytes) account for " + good.length + ": 7 bytes after the data",
        forward(longer, tmp.resolve("y.npy")));
    refuse(2, "backward: " + longer + ": is " + (good.length + 7) + " bytes", "backward", "--input", longer.toString(),
        "--weights", w.toString(), "--weights-layout", "pytorch", "--grad-output", x.toString(), "--grad-input",
        tmp.resolve("gx.npy").toString(), "--grad-weights", tmp.resolve("gw.npy").toString());
  }

  // ---- output paths ----------------------------------------------------------------------------------------

  String[] backward(Path gx, Path gw, Path gb) {
    List<String> a = new ArrayList<>(List.of("backward", "--input", x.toString(), "--weights", w.toString(), "--bias",
        b.toString(), "--weights-layout", "pytorch", "--grad-output", gy().toString(), "--grad-input", gx.toString(),
        "--grad-weights", gw.toString()));
    if (gb != null) {
      a.addAll(List.of("--grad-bias", gb.toString()));
    }
    return a.toArray(String[]::new);
  }

  /** An upstream gradient shaped like this layer's output for x ([2,4,7,7]), written once. */
  Path gy() {
    Path p = tmp.resolve("gy.npy");
    if (!Files.exists(p)) {
      Npy.writeFloat32(p, new int[] {N, COUT, H + 2, W + 2}, gaussian(new Random(3), N * COUT * (H + 2) * (W + 2)));
    }
    return p;
  }

  @Test
  void anOutputThatIsAnInputIsRefusedHoweverItIsSpelled() throws IOException {
    refuse(2, "forward: Invalid value for --output: '" + x + "' is the --input '" + x + "' (it would be overwritten)",
        forward(x, x));
    Files.createDirectories(tmp.resolve("sub"));
    Path dotted = tmp.resolve("sub/../x.npy");
    refuse(2, "forward: Invalid value for --output: '" + dotted + "' is the --input", forward(x, dotted));
    Path link = Files.createSymbolicLink(tmp.resolve("link.npy"), x);
    refuse(2, "forward: Invalid value for --output: '" + link + "' is the --input", forward(x, link));
    Path hard = Files.createLink(tmp.resolve("hard.npy"), x);
    refuse(2, "forward: Invalid value for --output: '" + hard + "' is the --input", forward(x, hard));
    refuse(2, "forward: Invalid value for --output: '" + w + "' is the --weights '" + w + "'", forward(x, w));
    refuse(2, "forward: Invalid value for --output: '" + b + "' is the --bias '" + b + "'", forward(x, b));
    Path relative = Path.of("").toAbsolutePath().relativize(b);
    refuse(2, "forward: Invalid value for --output: '" + relative + "' is the --bias", forward(x, relative));
  }

  @Test
  void backwardRefusesAnOutputOnAnyOfItsInputs() throws IOException {
    Path gy = gy();
    refuse(2, "backward: Invalid value for --grad-input: '" + gy + "' is the --grad-output '" + gy + "'",
        backward(gy, tmp.resolve("gw.npy"), null));
    refuse(2, "backward: Invalid value for --grad-weights: '" + w + "' is the --weights",
        backward(tmp.resolve("gx.npy"), w, null));
    refuse(2, "backward: Invalid value for --grad-bias: '" + b + "' is the --bias",
        backward(tmp.resolve("gx.npy"), tmp.resolve("gw.npy"), b));
  }

  @Test
  void twoOutputsOnOnePathAreRefused() throws IOException {
    gy();
    Path same = tmp.resolve("g.npy");
    refuse(2, "backward: Invalid value for --grad-weights: '" + same + "' is the --grad-input output '" + same
        + "' (one would replace the other)", backward(same, same, null));
    refuse(2, "backward: Invalid value for --grad-bias: '" + same + "' is the --grad-weights output",
        backward(tmp.resolve("gx.npy"), same, same));
    // and the three distinct outputs are all written when nothing is wrong
    assertEquals(0, run(backward(tmp.resolve("gx.npy"), tmp.resolve("gw.npy"), tmp.resolve("gb.npy"))), err.toString());
    assertArrayEquals(new int[] {CIN, COUT, 3, 3}, Npy.read(tmp.resolve("gw.npy")).shape());
    assertArrayEquals(new int[] {COUT}, Npy.read(tmp.resolve("gb.npy")).shape());
  }

  @Test
  void anExistingFifoDeviceOrDirectoryAtTheOutputIsNotReplaced() throws Exception {
    Path fifo = mkfifo(tmp.resolve("fifo.npy"));
    refuse(2, "forward: Invalid value for --output: '" + fifo + "' exists and is a FIFO, not a regular file; "
        + "refusing to replace it", forward(x, fifo));
    Path toNull = Files.createSymbolicLink(tmp.resolve("null.npy"), Path.of("/dev/null"));
    refuse(2, "forward: Invalid value for --output: '" + toNull + "' exists and is a character device", forward(x, toNull));
    refuse(2, "forward: Invalid value for --output: '/dev/null' exists and is a character device",
        forward(x, Path.of("/dev/null")));
    assertTrue(Files.exists(Path.of("/dev/null")) && !Files.isRegularFile(Path.of("/dev/null")));
    Path dir = Files.createDirectories(tmp.resolve("out"));
    refuse(2, "forward: Invalid value for --output: '" + dir + "' is a directory; give a file name", forward(x, dir));
    refuse(2, "forward: Invalid value for --output: '" + x.resolve("y.npy") + "' lies under '" + x
        + "', which is not a directory", forward(x, x.resolve("y.npy")));
    refuse(2, "backward: Invalid value for --grad-bias: '" + fifo + "' exists and is a FIFO",
        backward(tmp.resolve("gx.npy"), tmp.resolve("gw.npy"), fifo));
  }

  @Test
  void anEmptyPathIsRefusedNamingTheFlag() throws IOException {
    refuse(2, "forward: Invalid value for --output: the path is empty", forward(x, Path.of("")));
    refuse(2, "forward: Invalid value for --input: the path is empty", forward(Path.of(""), tmp.resolve("y.npy")));
    refuse(2, "forward: Invalid value for --weights: the path is empty",
        replace(forward(x, tmp.resolve("y.npy")), w.toString(), ""));
    gy();
    refuse(2, "backward: Invalid value for --grad-weights: the path is empty",
        backward(tmp.resolve("gx.npy"), Path.of(""), null));
  }

  @Test
  void aFailedRunLeavesAnEarlierOutputAsItWas() throws IOException {
    Path y = tmp.resolve("y.npy");
    assertEquals(0, run(forward(x, y)), err.toString());
    byte[] good = Files.readAllBytes(x);
    Path truncated = Files.write(tmp.resolve("trunc.npy"), Arrays.copyOf(good, good.length - 9));
    refuse(2, "forward: " + truncated + ": shape [2, 3, 5, 5] of <f4 needs 600 data bytes but the file has 591",
        forward(truncated, y));
  }

  static Path mkfifo(Path p) throws IOException, InterruptedException {
    Process pr = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
    assertEquals(0, pr.waitFor(), "mkfifo");
    return p;
  }

  // ---- non-regular and hostile input files --------------------------------------------------------------------

  @Test
  void aFifoOrDeviceInputIsRefusedWithoutBlocking() throws Exception {
    Path fifo = mkfifo(tmp.resolve("fifo.npy"));
    Path zero = Files.createSymbolicLink(tmp.resolve("zero.npy"), Path.of("/dev/zero"));
    Path y = tmp.resolve("y.npy");
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      refuse(2, "forward: " + fifo + ": is a FIFO, not a regular file; refusing to open it", forward(fifo, y));
      refuse(2, "forward: " + zero + ": is a character device, not a regular file", forward(zero, y));
      refuse(2, "forward: " + zero + ": weights file is a character device", replace(forward(x, y), w.toString(), zero.toString()));
      refuse(2, "forward: " + fifo + ": bias file is a FIFO", replace(forward(x, y), b.toString(), fifo.toString()));
      Path dir = Files.createDirectories(tmp.resolve("dir.npy"));
      refuse(2, "forward: " + dir + ": is a directory, not a file", forward(dir, y));
      String[] backward = backward(tmp.resolve("gx.npy"), tmp.resolve("gw.npy"), null);
      refuse(2, "backward: " + fifo + ": is a FIFO", replace(backward, gy().toString(), fifo.toString()));
    });
  }

  static String[] replace(String[] args, String from, String to) {
    return Arrays.stream(args).map(a -> a.equals(from) ? to : a).toArray(String[]::new);
  }

  @Test
  void hostileWeightFilesAreOneLine() throws IOException {
    Path y = tmp.resolve("y.npy");
    byte[] good = Files.readAllBytes(w);
    Path truncated = Files.write(tmp.resolve("w_trunc.npy"), Arrays.copyOf(good, good.length - 1));
    refuse(2, "forward: " + truncated + ": shape [3, 4, 3, 3] of <f4 needs 432 data bytes but the file has 431 "
        + "(truncated?)", replace(forward(x, y), w.toString(), truncated.toString()));
    Path huge = Files.write(tmp.resolve("w_huge.npy"),
        npy("<f4", new int[] {2147483647, 2147483647, 2147483647, 3}, new byte[64]));
    refuse(2, "forward: " + huge + ": shape [2147483647, 2147483647, 2147483647, 3] is too large",
        replace(forward(x, y), w.toString(), huge.toString()));
    Path wide = Files.write(tmp.resolve("w_wide.npy"), npy("<f4", new int[] {3, 4, 10000, 10000}, new byte[64]));
    refuse(2, "forward: " + wide + ": shape [3, 4, 10000, 10000] of <f4 needs 4800000000 data bytes but the file "
        + "has 64 (truncated?)", replace(forward(x, y), w.toString(), wide.toString()));
    Path negative = Files.write(tmp.resolve("w_neg.npy"),
        new String(npy("<f4", new int[] {3, 4, 3, 3}, new byte[432]), StandardCharsets.ISO_8859_1)
            .replace("(3, 4, 3, 3)", "(3, -4, 3, 3)").getBytes(StandardCharsets.ISO_8859_1));
    refuse(2, "forward: " + negative + ": malformed .npy header: shape must be a tuple of non-negative integers",
        replace(forward(x, y), w.toString(), negative.toString()));
    Path st = Files.write(tmp.resolve("w_neg.safetensors"), safetensors(
        "{\"weight\":{\"dtype\":\"F32\",\"shape\":[3,-4,3,3],\"data_offsets\":[0,16]}}", 16));
    refuse(2, "forward: " + st + ": tensor 'weight' has an invalid dimension -4", replace(forward(x, y), w.toString(), st.toString()));
    Path stHuge = Files.write(tmp.resolve("w_huge.safetensors"), safetensors(
        "{\"weight\":{\"dtype\":\"F32\",\"shape\":[65536,65536,3,3],\"data_offsets\":[0,16]}}", 16));
    refuse(2, "forward: " + stHuge + ": tensor 'weight' shape [65536,65536,3,3] is too large",
        replace(forward(x, y), w.toString(), stHuge.toString()));
  }

  static byte[] safetensors(String json, int dataBytes) {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h)
        .array();
  }

  // ---- messages in the user's terms --------------------------------------------------------------------------

  @Test
  void aNanWeightIsReportedAtItsIndexInTheUsersLayout() throws IOException {
    float[] v = Npy.read(w).floats();
    v[((1 * COUT + 2) * 3 + 0) * 3 + 2] = Float.NaN; // PyTorch [ci=1, co=2, ky=0, kx=2]
    Path nan = tmp.resolve("w_nan.npy");
    Npy.writeFloat32(nan, new int[] {CIN, COUT, 3, 3}, v);
    refuse(2, "forward: " + nan + ": weights[1, 2, 0, 2] is NaN (index in the file's shape [3, 4, 3, 3]); NaN and "
        + "infinite weights are rejected", replace(forward(x, tmp.resolve("y.npy")), w.toString(), nan.toString()));
  }

  @Test
  void aNanBiasIsBlamedOnTheBiasFile() throws IOException {
    Path bad = tmp.resolve("b_inf.npy");
    Npy.writeFloat32(bad, new int[] {COUT}, new float[] {0, 0, 0, Float.NEGATIVE_INFINITY});
    refuse(2, "forward: " + bad + ": bias[3] is -Infinity (index in the file's shape [4]); NaN and infinite bias are "
        + "rejected", replace(forward(x, tmp.resolve("y.npy")), b.toString(), bad.toString()));
    // a bias entry inside a weights archive is named as the bias of that archive
    Path npz = tmp.resolve("layer.npz");
    Map<String, float[]> arrays = new java.util.LinkedHashMap<>();
    arrays.put("weight", Npy.read(w).floats());
    arrays.put("bias", new float[] {0, Float.NaN, 0, 0});
    io.convt.engine.io.Npz.writeFloat32(npz, arrays, Map.of("weight", new int[] {CIN, COUT, 3, 3}, "bias",
        new int[] {COUT}));
    refuse(2, "forward: " + npz + ": bias[1] is NaN (index in the file's shape [4])", "forward", "--input", x.toString(),
        "--weights", npz.toString(), "--weights-layout", "pytorch", "--output", tmp.resolve("y.npy").toString());
  }

  // ---- sizes beyond memory -----------------------------------------------------------------------------------

  @Test
  void anOutputRecordBeyondTheHeapIsRefusedBeforeAnythingIsAllocated() throws IOException {
    Path y = tmp.resolve("y.npy");
    refuse(2, "forward: Cannot run the layer: one output record [4, 100000, 100000] is 152588 MB; running it needs",
        forward(x, y, "--output-size", "100000,100000"));
    refuse(2, "forward: Cannot run the layer: one output record [4, 400003, 400003] is ",
        forward(x, y, "--stride", "100000"));
    gy();
    refuse(2, "backward: Cannot run the layer: one output record [4, 400003, 400003] is ",
        Stream.concat(Arrays.stream(backward(tmp.resolve("gx.npy"), tmp.resolve("gw.npy"), null)),
            Stream.of("--stride", "100000")).toArray(String[]::new));
  }

  @Test
  void aBatchBeyondTheHeapNamesABatchSizeThatFits() throws IOException {
    String line = refuse(2, "forward: Invalid value for --batch-size: 1000000 records of [3, 5, 5] -> [4, 2000, 2000]"
        + " need ", forward(x, tmp.resolve("y.npy"), "--output-size", "2000,2000", "--batch-size", "1000000"));
    int fits = Integer.parseInt(line.replaceAll(".*use --batch-size (\\d+) .*", "$1"));
    assertTrue(fits >= 1 && fits < 1000000, line);
  }
}

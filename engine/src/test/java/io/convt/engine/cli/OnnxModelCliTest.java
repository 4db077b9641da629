package io.convt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.golden.GoldenCase;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --onnx-model}: a ConvTranspose node exported by PyTorch ({@code tools/fixtures/gen_onnx_convtranspose.py})
 * gives PyTorch's output with no other layer flag; hostile or unusable models give one-line errors.
 */
class OnnxModelCliTest {
  @TempDir Path tmp;
  final StringWriter err = new StringWriter();

  static String res(String path) {
    try {
      return Path.of(OnnxModelCliTest.class.getResource(path).toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  int run(String... args) {
    return ConvtCli.run(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
  }

  String forwardError(String model, String... more) {
    String[] args = {"forward", "--input", res("/onnx/convt_x.npy"), "--output", tmp.resolve("y.npy").toString(),
        "--onnx-model", model};
    String[] all = Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    assertEquals(2, run(all), err.toString());
    String e = err.toString().strip();
    assertFalse(e.contains("\n"), e);
    assertFalse(Files.exists(tmp.resolve("y.npy")));
    return e;
  }

  @Test
  void aConvTransposeNodeGivesPyTorchsOutput() {
    Path y = tmp.resolve("y.npy");
    assertEquals(0, run("forward", "--input", res("/onnx/convt_x.npy"), "--output", y.toString(), "--onnx-model",
        res("/onnx/convt.onnx")), err.toString());
    NpyArray expected = Npy.read(Path.of(res("/onnx/convt_y.npy")));
    NpyArray got = Npy.read(y);
    assertArrayEquals(expected.shape(), got.shape());
    assertArrayEquals(new int[] {2, 3, 8, 10}, got.shape());
    assertTrue(GoldenCase.maxDiff(expected.floats(), got.floats()) <= 1e-5 * GoldenCase.maxAbs(expected.floats()));
  }

  @Test
  void twoNodesNeedOnnxNode() {
    String e = forwardError(res("/onnx/two_nodes.onnx"));
    assertTrue(e.contains("has 2 ConvTranspose nodes (/0/ConvTranspose, /1/ConvTranspose): choose one with"
        + " --onnx-node"), e);
    err.getBuffer().setLength(0);
    Path y = tmp.resolve("y.npy");
    assertEquals(0, run("forward", "--input", res("/onnx/convt_x.npy"), "--output", y.toString(), "--onnx-model",
        res("/onnx/two_nodes.onnx"), "--onnx-node", "/0/ConvTranspose"), err.toString());
    assertArrayEquals(new int[] {2, 2, 6, 7}, Npy.read(y).shape());
  }

  @Test
  void geometryFlagsAreRefusedWithAModel() {
    String e = forwardError(res("/onnx/convt.onnx"), "--stride", "2");
    assertTrue(e.contains("--stride with --onnx-model"), e);
  }

  @Test
  void truncatedModelIsOneLine() throws IOException {
    byte[] b = Files.readAllBytes(Path.of(res("/onnx/convt.onnx")));
    Path cut = tmp.resolve("cut.onnx");
    Files.write(cut, Arrays.copyOf(b, b.length - 40));
    String e = forwardError(cut.toString());
    assertTrue(e.contains("cut.onnx") && e.contains("truncated"), e);
  }

  @Test
  void notAModelAndWrongNodeAreOneLine() throws IOException {
    Path junk = tmp.resolve("junk.onnx");
    Files.write(junk, "hello, not protobuf\n".getBytes());
    String e = forwardError(junk.toString());
    assertTrue(e.contains("junk.onnx"), e);
    err.getBuffer().setLength(0);
    e = forwardError(res("/onnx/convt.onnx"), "--onnx-node", "nope");
    assertTrue(e.contains("has no node 'nope'"), e);
  }

  /** A serialised message from {@code (field, value)} pairs: String/ByteString are length-delimited, Long varint. */
  static ByteString msg(Object... fieldValues) throws IOException {
    ByteString.Output out = ByteString.newOutput();
    CodedOutputStream c = CodedOutputStream.newInstance(out);
    for (int k = 0; k < fieldValues.length; k += 2) {
      int f = (Integer) fieldValues[k];
      Object v = fieldValues[k + 1];
      if (v instanceof String s) {
        c.writeString(f, s);
      } else if (v instanceof ByteString b) {
        c.writeBytes(f, b);
      } else {
        c.writeInt64(f, (Long) v);
      }
    }
    c.flush();
    return out.toByteString();
  }

  /** A model whose graph has one node {@code op} over x and W, and an initializer W of {@code dims}. */
  static byte[] model(String op, long... dims) throws IOException {
    ByteString node = msg(1, "x", 1, "W", 2, "y", 3, "n", 4, op);
    Object[] t = new Object[dims.length * 2 + 6];
    for (int k = 0; k < dims.length; k++) {
      t[2 * k] = 1;
      t[2 * k + 1] = dims[k];
    }
    int j = dims.length * 2;
    t[j] = 2;
    t[j + 1] = 1L;
    t[j + 2] = 8;
    t[j + 3] = "W";
    t[j + 4] = 9;
    t[j + 5] = ByteString.copyFrom(new byte[16]);
    return msg(7, msg(1, node, 5, msg(t))).toByteArray();
  }

  @Test
  void hugeDimsAndWrongOpsAreOneLine() throws IOException {
    Path huge = tmp.resolve("huge.onnx");
    Files.write(huge, model("ConvTranspose", 2, 3, 3, 1L << 40));
    String e = forwardError(huge.toString());
    assertTrue(e.contains("huge.onnx"), e);
    err.getBuffer().setLength(0);
    Path small = tmp.resolve("small.onnx");
    Files.write(small, model("ConvTranspose", 2, 3, 3, 1));
    e = forwardError(small.toString());
    assertTrue(e.contains("small.onnx") && e.contains("need 18 values"), e);
    err.getBuffer().setLength(0);
    Path conv = tmp.resolve("conv.onnx");
    Files.write(conv, model("Conv", 2, 3, 3, 1));
    e = forwardError(conv.toString());
    assertTrue(e.contains("has no ConvTranspose node (ops: Conv)"), e);
  }
}

package io.convt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.internal.Half;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.NpyRecordReader;
import io.convt.engine.io.TensorFormatException;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code convt forward} streams the stack in batches: the output bytes equal the whole-stack path's (the code the
 * command ran before streaming) for any batch size and every input dtype the reader takes; bad files still fail
 * with one line and leave no output; Arrow memory is bounded by the batch.
 */
class StreamingForwardTest {
  static final int N = 37;
  static final int CIN = 5;
  static final int COUT = 3;
  static final int H = 6;
  static final int W = 7;

  @TempDir Path tmp;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();
  Path weights;
  Path bias;

  int run(String... args) {
    return ConvtCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  void writeLayerFiles() {
    Random r = new Random(11);
    float[] w = new float[CIN * COUT * 3 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian() * 0.2f;
    }
    weights = tmp.resolve("w.npy");
    bias = tmp.resolve("b.npy");
    Npy.writeFloat32(weights, new int[] {CIN, COUT, 3, 3}, w);
    Npy.writeFloat32(bias, new int[] {COUT}, new float[] {0.5f, -0.25f, 1f});
  }

  List<String> layerArgs(int threads) {
    return List.of("--weights", weights.toString(), "--bias", bias.toString(), "--weights-layout", "pytorch",
        "--stride", "2,2", "--padding", "1,1", "--output-padding", "1,1", "--threads", Integer.toString(threads));
  }

  static float[] values(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n * CIN * H * W];
    for (int i = 0; i < x.length; i++) {
      x[i] = (r.nextInt(2049) - 1024) / 256f; // exact in float16, so every dtype carries the same values
    }
    return x;
  }

  /** The output of the whole-stack path {@code convt forward} ran before streaming, as bytes. */
  byte[] wholeStack(Path input, int threads) throws IOException {
    ForwardCommand fc = new ForwardCommand();
    List<String> args = Stream.concat(Stream.of("--input", "x", "--output", "y"), layerArgs(threads).stream()).toList();
    new CommandLine(fc).parseArgs(args.toArray(String[]::new));
    LayerSpec spec = fc.layer.toSpec();
    NpyArray x = Npy.readFloat(input).requireRank(input.toString(), 4);
    Layer l = Layer.open(spec);
    Path ref = tmp.resolve("ref-" + input.getFileName());
    try (RootAllocator alloc = new RootAllocator();
        ImageBatch src = NchwArrays.toBatch(alloc, x);
        ImageBatch dst = l.apply(alloc, src)) {
      Npy.writeFloat32(ref, new int[] {dst.count(), dst.channels(), dst.height(), dst.width()},
          NchwArrays.fromBatch(dst));
    }
    return Files.readAllBytes(ref);
  }

  byte[] streamed(Path input, int batchSize, int threads) throws IOException {
    Path y = tmp.resolve("y-" + batchSize + "-" + input.getFileName());
    List<String> args = Stream.concat(Stream.of("forward", "--input", input.toString(), "--output", y.toString(),
        "--batch-size", Integer.toString(batchSize)), layerArgs(threads).stream()).toList();
    assertEquals(0, run(args.toArray(String[]::new)), err.toString());
    return Files.readAllBytes(y);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4, 36, 37, 64, 1000})
  void everyBatchSizeWritesTheWholeStackBytes(int batchSize) throws IOException {
    writeLayerFiles();
    Path x = tmp.resolve("x.npy");
    Npy.writeFloat32(x, new int[] {N, CIN, H, W}, values(N, 3));
    byte[] ref = wholeStack(x, 2);
    assertArrayEquals(ref, streamed(x, batchSize, 2), "batch size " + batchSize);
    assertArrayEquals(ref, streamed(x, batchSize, 1), "batch size " + batchSize + ", 1 thread");
    assertArrayEquals(new int[] {N, COUT, 2 * H, 2 * W}, Npy.readHeader(tmp.resolve("y-" + batchSize + "-x.npy")).shape());
    assertNoTemporaryFiles();
  }

  @ParameterizedTest
  @ValueSource(strings = {"<f2", ">f2", "<f4", ">f4", "<f8", ">f8", "v2:<f4", "v3:>f8"})
  void everyInputDtypeTheReaderTakesStreamsToTheSameBytes(String dtype) throws IOException {
    writeLayerFiles();
    int version = dtype.startsWith("v") ? dtype.charAt(1) - '0' : 1;
    String descr = dtype.substring(dtype.indexOf(':') + 1);
    Path x = tmp.resolve("x.npy");
    Files.write(x, npy(descr, version, new int[] {N, CIN, H, W}, values(N, 5)));
    byte[] ref = wholeStack(x, 2);
    assertArrayEquals(ref, streamed(x, 8, 2), dtype);
    assertArrayEquals(ref, streamed(x, 64, 2), dtype);
  }

  @Test
  void anEmptyStackGivesAnEmptyOutputWithTheOutputShape() throws IOException {
    writeLayerFiles();
    Path x = tmp.resolve("x.npy");
    Npy.writeFloat32(x, new int[] {0, CIN, H, W}, new float[0]);
    streamed(x, 4, 2);
    NpyArray y = Npy.read(tmp.resolve("y-4-x.npy"));
    assertArrayEquals(new int[] {0, COUT, 2 * H, 2 * W}, y.shape());
  }

  /** The count a progress display polls: records appended to the output, batch by batch, all of them at the end. */
  @Test
  void countsTheRecordsWritten() throws IOException {
    writeLayerFiles();
    Path x = tmp.resolve("xc.npy");
    Npy.writeFloat32(x, new int[] {11, CIN, H, W}, values(11, 3));
    AtomicLong written = new AtomicLong();
    try (RootAllocator alloc = new RootAllocator(); NpyRecordReader in = NpyRecordReader.open(x, 4)) {
      assertEquals(11, StreamingForward.run(alloc, layer(), in, tmp.resolve("yc.npy"), 4, written));
    }
    assertEquals(11, written.get());
  }

  @Test
  void arrowMemoryIsBoundedByTheBatchNotByTheStack() throws IOException {
    writeLayerFiles();
    int[] sizes = {4, 8, 80};
    long[] peaks = new long[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      Path x = tmp.resolve("x" + i + ".npy");
      Npy.writeFloat32(x, new int[] {sizes[i], CIN, H, W}, values(sizes[i], i));
      Layer l = layer();
      try (RootAllocator alloc = new RootAllocator()) {
        assertEquals(sizes[i], StreamingForward.run(alloc, l, x, tmp.resolve("y" + i + ".npy"), 4));
        peaks[i] = alloc.getPeakMemoryAllocation();
      }
    }
    // one batch of 4 holds one input and one output batch; with the writer thread at most one more output batch is
    // alive (being written while the next is computed), however many records the stack has
    assertTrue(peaks[0] > 0);
    for (int i = 1; i < sizes.length; i++) {
      assertTrue(peaks[i] <= 2 * peaks[0], "peak Arrow memory for " + sizes[i] + " records, batches of 4: "
          + peaks[i] + " bytes, one batch alone " + peaks[0]);
    }
  }

  @Test
  void aFailureMidStreamLeavesTheOldOutputAndNoTemporaryFile() throws IOException {
    writeLayerFiles();
    Path x = tmp.resolve("x.npy");
    Npy.writeFloat32(x, new int[] {N, CIN, H, W}, values(N, 3));
    Path y = tmp.resolve("y.npy");
    Files.write(y, "old".getBytes(StandardCharsets.US_ASCII));
    Layer l = layer();
    try (RootAllocator alloc = new RootAllocator(); NpyRecordReader in = NpyRecordReader.open(x, 4)) {
      // The file loses its last records after the header was checked: the read of a later batch fails.
      try (FileChannel ch = FileChannel.open(x, StandardOpenOption.WRITE)) {
        ch.truncate(Files.size(x) - 10L * CIN * H * W * 4);
      }
      TensorFormatException e = assertThrows(TensorFormatException.class,
          () -> StreamingForward.run(alloc, l, in, y, 4));
      assertTrue(e.getMessage().contains("x.npy") && e.getMessage().contains("truncated"), e.getMessage());
    }
    assertEquals("old", Files.readString(y));
    assertNoTemporaryFiles();
  }

  @Test
  void badStacksFailWithOneLineNamingTheFileAndWriteNothing() throws Exception {
    writeLayerFiles();
    byte[] good = npy("<f4", 1, new int[] {N, CIN, H, W}, values(N, 1));
    expectBadInput("trunc.npy", Arrays.copyOf(good, good.length - 5), "truncated");
    expectBadInput("long.npy", Arrays.copyOf(good, good.length + 4), "4 bytes after the data");
    expectBadInput("junk.npy", new byte[] {1, 2, 3}, "too short");
    expectBadInput("fortran_f4.npy", Files.readAllBytes(fixture("fortran_f4.npy")), "Fortran-order");
    expectBadInput("object.npy", Files.readAllBytes(fixture("object.npy")), "object arrays");
    expectBadInput("u1_5.npy", Files.readAllBytes(fixture("u1_5.npy")), "expected a 4-d array");
    expectBadInput("f4_2x3x4.npy", Files.readAllBytes(fixture("f4_2x3x4.npy")), "expected a 4-d array");
    expectBadInput("i4.npy", npy("<i4", 1, new int[] {1}, new float[1]), "unsupported dtype '<i4'");
    expectBadInput("channels.npy", npy("<f4", 1, new int[] {2, CIN + 1, H, W}, new float[2 * (CIN + 1) * H * W]),
        "expect " + CIN);
    expectBadInput("missing.npy", null, "does not exist");
    err.getBuffer().setLength(0);
    Path x = tmp.resolve("x.npy");
    Files.write(x, good);
    assertEquals(2, run(Stream.concat(Stream.of("forward", "--input", x.toString(), "--output",
        tmp.resolve("y.npy").toString(), "--batch-size", "0"), layerArgs(1).stream()).toArray(String[]::new)));
    assertTrue(err.toString().trim().lines().count() == 1 && err.toString().contains("--batch-size"), err.toString());
    assertFalse(Files.exists(tmp.resolve("y.npy")));
  }

  @Test
  void helpDocumentsTheBatchSize() {
    assertEquals(0, run("forward", "--help"));
    assertTrue(out.toString().contains("--batch-size"), out.toString());
  }

  private void expectBadInput(String name, byte[] bytes, String problem) throws IOException {
    Path x = tmp.resolve(name);
    if (bytes != null) {
      Files.write(x, bytes);
    }
    Path y = tmp.resolve("y-" + name);
    err.getBuffer().setLength(0);
    List<String> args = Stream.concat(Stream.of("forward", "--input", x.toString(), "--output", y.toString(),
        "--batch-size", "4"), layerArgs(1).stream()).toList();
    assertEquals(2, run(args.toArray(String[]::new)), err.toString());
    String e = err.toString().trim();
    assertEquals(1, e.lines().count(), "one line: " + e);
    assertTrue(e.contains(name) && e.contains(problem), e);
    assertFalse(Files.exists(y), "no output for " + name);
    assertNoTemporaryFiles();
  }

  private Layer layer() {
    ForwardCommand fc = new ForwardCommand();
    new CommandLine(fc).parseArgs(Stream.concat(Stream.of("--input", "x", "--output", "y"), layerArgs(2).stream())
        .toArray(String[]::new));
    return Layer.open(fc.layer.toSpec());
  }

  private void assertNoTemporaryFiles() throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      List<Path> hidden = s.filter(p -> p.getFileName().toString().startsWith(".")).toList();
      assertTrue(hidden.isEmpty(), "temporary files left: " + hidden);
    }
  }

  static Path fixture(String name) {
    try {
      return Path.of(StreamingForwardTest.class.getResource("/npy/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A {@code .npy} file of {@code values} in dtype {@code descr} (f2/f4/f8/i4, either order), format version 1-3. */
  static byte[] npy(String descr, int version, int[] shape, float[] values) {
    StringBuilder dims = new StringBuilder();
    for (int d : shape) {
      dims.append(d).append(", ");
    }
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
    int prefix = version == 1 ? 10 : 12;
    int pad = (64 - (prefix + dict.length() + 1) % 64) % 64;
    byte[] text = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
    int item = Integer.parseInt(descr.substring(2));
    ByteBuffer b = ByteBuffer.allocate(prefix + text.length + item * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'}).put((byte) version).put((byte) 0);
    if (version == 1) {
      b.putShort((short) text.length);
    } else {
      b.putInt(text.length);
    }
    b.put(text);
    b.order(descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      switch (descr.substring(1)) {
        case "f2" -> b.putShort(Half.fromFloat(v));
        case "f4" -> b.putFloat(v);
        case "f8" -> b.putDouble(v);
        default -> b.putInt((int) v);
      }
    }
    return b.array();
  }
}

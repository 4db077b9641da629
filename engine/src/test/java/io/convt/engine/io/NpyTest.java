package io.convt.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Npy} against files NumPy wrote ({@code tools/fixtures/gen_npy.py}) and against hostile bytes. */
class NpyTest {
  @TempDir Path tmp;

  static Path fixture(String name) {
    try {
      return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static float[] expected() {
    float[] a = new float[24];
    for (int i = 0; i < 24; i++) {
      a[i] = i / 8f;
    }
    return a;
  }

  @ParameterizedTest
  @ValueSource(strings = {"f4_2x3x4.npy", "f8_2x3x4.npy", "f2_2x3x4.npy", "be_f4_2x3x4.npy"})
  void readsNumPyFloatFiles(String file) {
    NpyArray a = Npy.readFloat(fixture(file));
    assertArrayEquals(new int[] {2, 3, 4}, a.shape());
    assertArrayEquals(expected(), a.floats(), 0f, file); // all values are exact in fp16
    assertNull(a.bytes());
  }

  @Test
  void readsUint8AsBytesAndFloats() {
    NpyArray a = Npy.read(fixture("u1_5.npy"));
    assertArrayEquals(new byte[] {0, 1, 127, (byte) 128, (byte) 255}, a.bytes());
    assertArrayEquals(new float[] {0, 1, 127, 128, 255}, a.floats(), 0f);
    TensorFormatException e = assertThrows(TensorFormatException.class, () -> Npy.readFloat(fixture("u1_5.npy")));
    assertTrue(e.getMessage().contains("u1_5.npy") && e.getMessage().contains("not a float type"), e.getMessage());
  }

  @Test
  void readsUint8AsPixelsWithTheDocumentedScaling() {
    NpyArray unit = Npy.readFloat(fixture("u1_5.npy"), PixelScaling.UNIT);
    assertNull(unit.bytes());
    assertArrayEquals(new float[] {0, 1 / 255f, 127 / 255f, 128 / 255f, 1}, unit.floats(), 1e-7f);
    assertArrayEquals(new float[] {-1, 2 / 255f - 1, 254 / 255f - 1, 256 / 255f - 1, 1},
        Npy.readFloat(fixture("u1_5.npy"), PixelScaling.SIGNED).floats(), 1e-6f);
    assertArrayEquals(new float[] {0, 1, 127, 128, 255},
        Npy.readFloat(fixture("u1_5.npy"), PixelScaling.RAW).floats(), 0f);
    float[][] records = Npy.readRecordArrays(fixture("u1_5.npy"), Npy.readHeader(fixture("u1_5.npy")), 1, 3,
        PixelScaling.UNIT);
    assertArrayEquals(new float[] {1 / 255f}, records[0], 1e-7f);
    assertArrayEquals(new float[] {128 / 255f}, records[2], 1e-7f);
  }

  @Test
  void theHeaderAloneRefusesBytesAfterTheDataNamingTheByteCounts() throws IOException {
    byte[] good = Files.readAllBytes(fixture("f4_2x3x4.npy"));
    Path longer = write("long_header.npy", java.util.Arrays.copyOf(good, good.length + 3));
    TensorFormatException e = assertThrows(TensorFormatException.class, () -> Npy.readHeader(longer));
    assertEquals(longer + ": is " + (good.length + 3) + " bytes but its header (128 bytes) and shape [2, 3, 4] of <f4"
        + " (96 bytes) account for " + good.length + ": 3 bytes after the data (corrupt or not a single array)",
        e.getMessage());
  }

  @Test
  void readsScalarAndVersion2() {
    NpyArray s = Npy.read(fixture("scalar_f4.npy"));
    assertEquals(0, s.rank());
    assertArrayEquals(new float[] {2.5f}, s.floats());
    assertArrayEquals(new float[] {1, 1, 1}, Npy.read(fixture("v2_f4_3.npy")).floats());
  }

  @Test
  void refusesObjectFortranAndIntegerArraysNamingTheFile() {
    assertMessage(() -> Npy.read(fixture("object.npy")), "object.npy", "object arrays");
    assertMessage(() -> Npy.read(fixture("fortran_f4.npy")), "fortran_f4.npy", "Fortran-order");
    assertMessage(() -> Npy.read(fixture("i4_3.npy")), "i4_3.npy", "unsupported dtype '<i4'");
  }

  @Test
  void writeThenReadRoundTripsAndNumPyCanParseTheHeaderLayout() throws IOException {
    Path f = tmp.resolve("y.npy");
    float[] data = {1.5f, -2f, Float.MIN_VALUE, 3e38f, 0f, -0f};
    Npy.writeFloat32(f, new int[] {1, 2, 3}, data);
    NpyArray back = Npy.read(f);
    assertEquals("<f4", back.dtype());
    assertArrayEquals(new int[] {1, 2, 3}, back.shape());
    assertArrayEquals(data, back.floats(), 0f);
    // NumPy aligns the data start to 64 bytes; readers that mmap rely on it.
    assertEquals(0, Npy.readHeader(f).dataOffset() % 64);
    assertEquals(Files.size(f), Npy.readHeader(f).dataOffset() + 24);
    assertArrayEquals(Files.readAllBytes(fixture("f4_2x3x4.npy")), rewrite(fixture("f4_2x3x4.npy")));
  }

  @Test
  void readsRecordSlicesOfTheFirstAxis() {
    Path f = fixture("f4_2x3x4.npy");
    NpyArray second = Npy.readRecords(f, Npy.readHeader(f), 1, 1);
    assertArrayEquals(new int[] {1, 3, 4}, second.shape());
    assertArrayEquals(Arrays.copyOfRange(expected(), 12, 24), second.floats(), 0f);
    assertThrows(IllegalArgumentException.class, () -> Npy.readRecords(f, Npy.readHeader(f), 1, 2));
  }

  @Test
  void readsRecordSlicesAsOneArrayPerRecord() {
    Path f = fixture("f4_2x3x4.npy");
    float[][] both = Npy.readRecordArrays(f, Npy.readHeader(f), 0, 2);
    assertEquals(2, both.length);
    assertArrayEquals(Arrays.copyOfRange(expected(), 0, 12), both[0], 0f);
    assertArrayEquals(Arrays.copyOfRange(expected(), 12, 24), both[1], 0f);
    float[][] second = Npy.readRecordArrays(f, Npy.readHeader(f), 1, 1);
    assertArrayEquals(Npy.readRecords(f, Npy.readHeader(f), 1, 1).floats(), second[0], 0f);
    assertThrows(IllegalArgumentException.class, () -> Npy.readRecordArrays(f, Npy.readHeader(f), 1, 2));
  }

  @Test
  void hostileAndTruncatedFilesFailWithTheProblem() throws IOException {
    byte[] good = Files.readAllBytes(fixture("f4_2x3x4.npy"));
    assertMessage(() -> Npy.read(write("empty.npy", new byte[0])), "empty.npy", "too short");
    assertMessage(() -> Npy.read(write("magic.npy", "PK\u0003\u0004 not numpy".getBytes(StandardCharsets.ISO_8859_1))),
        "magic.npy", "bad magic");
    assertMessage(() -> Npy.read(write("trunc.npy", Arrays.copyOf(good, good.length - 5))), "trunc.npy", "truncated");
    // a file truncated after its header was read (a job's driver plans slices; executors read them later)
    Path trunc = tmp.resolve("trunc.npy");
    NpyHeader planned = Npy.readHeader(fixture("f4_2x3x4.npy"));
    assertMessage(() -> Npy.readRecordArrays(trunc, planned, 0, 2), "trunc.npy", "truncated");
    assertMessage(() -> Npy.readRecordArrays(trunc, planned, 1, 1), "trunc.npy", "truncated");
    assertArrayEquals(Arrays.copyOfRange(expected(), 0, 12), Npy.readRecordArrays(trunc, planned, 0, 1)[0], 0f);
    assertMessage(() -> Npy.read(write("trunchdr.npy", Arrays.copyOf(good, 40))), "trunchdr.npy", "runs past the end");
    byte[] v9 = good.clone();
    v9[6] = 9;
    assertMessage(() -> Npy.read(write("v9.npy", v9)), "v9.npy", "version 9.0");
    byte[] longer = Arrays.copyOf(good, good.length + 4);
    assertMessage(() -> Npy.read(write("long.npy", longer)), "long.npy", "4 bytes after the data");
    assertMessage(() -> Npy.read(write("huge.npy", raw("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }"))),
        "huge.npy", "needs 40000000000 data bytes");
    assertMessage(() -> Npy.read(write("neg.npy", raw("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }"))),
        "neg.npy", "non-negative integers");
    assertMessage(() -> Npy.read(write("call.npy", raw("{'descr': __import__('os'), 'fortran_order': False, 'shape': (1,), }"))),
        "call.npy", "unsupported value");
    assertMessage(() -> Npy.read(write("extra.npy", raw("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': True}"))),
        "extra.npy", "unknown header key 'x'");
    assertMessage(() -> Npy.read(write("dup.npy", raw("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}"))),
        "dup.npy", "duplicate key");
    ByteBuffer big = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    big.put(Npy.MAGIC).put((byte) 2).put((byte) 0).putInt(Integer.MAX_VALUE);
    assertMessage(() -> Npy.read(write("bighdr.npy", big.array())), "bighdr.npy", "exceeds the 10000-byte limit");
  }

  @Test
  void writeRejectsShapeMismatch() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Npy.writeFloat32(tmp.resolve("bad.npy"), new int[] {2, 2}, new float[3]));
    assertTrue(e.getMessage().contains("holds 4 values but 3"), e.getMessage());
  }

  private static byte[] rewrite(Path numpyFile) throws IOException {
    NpyArray a = Npy.read(numpyFile);
    Path out = Files.createTempFile("npy", ".npy");
    try {
      Npy.writeFloat32(out, a.shape(), a.floats());
      return Files.readAllBytes(out);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static byte[] raw(String dict) {
    byte[] text = (dict + "\n").getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(Npy.MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
    return b.array();
  }

  private Path write(String name, byte[] bytes) throws IOException {
    return Files.write(tmp.resolve(name), bytes);
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable call, String file, String problem) {
    TensorFormatException e = assertThrows(TensorFormatException.class, call);
    assertTrue(e.getMessage().contains(file) && e.getMessage().contains(problem), e.getMessage());
  }
}

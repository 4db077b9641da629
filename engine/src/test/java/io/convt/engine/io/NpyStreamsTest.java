package io.convt.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link NpyRecordReader}, {@link NpyFloat32Writer} and {@link AtomicFiles.Pending}: the streaming halves of {@link Npy}. */
class NpyStreamsTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"f4_2x3x4.npy", "f8_2x3x4.npy", "f2_2x3x4.npy", "be_f4_2x3x4.npy", "v2_f4_3.npy"})
  void recordsReadOneAtATimeEqualTheWholeRead(String file) {
    NpyArray whole = Npy.readFloat(NpyTest.fixture(file));
    int rank = whole.rank();
    try (NpyRecordReader r = NpyRecordReader.open(NpyTest.fixture(file), rank)) {
      assertEquals(whole.dtype(), r.header().dtype());
      float[] got = new float[whole.size()];
      int at = 0;
      while (r.remaining() > 0) {
        NpyArray a = r.next(1);
        assertEquals(1, a.shape()[0]);
        System.arraycopy(a.floats(), 0, got, at, a.size());
        at += a.size();
      }
      assertArrayEquals(whole.floats(), got, 0f, file);
      assertEquals(0, r.next(5).shape()[0], "past the end: an empty slice");
    }
  }

  @Test
  void theLastBatchIsShortAndShapesFollowTheFirstAxis() {
    try (NpyRecordReader r = NpyRecordReader.open(NpyTest.fixture("v2_f4_3.npy"), 1)) {
      assertArrayEquals(new int[] {2}, r.next(2).shape());
      assertArrayEquals(new int[] {1}, r.next(2).shape());
      assertEquals(0, r.remaining());
      assertThrows(IllegalArgumentException.class, () -> r.next(0));
    }
  }

  @Test
  void openKeepsTheWholeReadersChecks() throws IOException {
    try (NpyRecordReader u1 = NpyRecordReader.open(NpyTest.fixture("u1_5.npy"), 1)) {
      assertArrayEquals(new float[] {0, 1 / 255f, 127 / 255f}, u1.next(3).floats(), 1e-7f, "uint8 scaled v/255");
    }
    assertMessage(() -> NpyRecordReader.open(NpyTest.fixture("fortran_f4.npy"), 2), "fortran_f4.npy", "Fortran-order");
    assertMessage(() -> NpyRecordReader.open(NpyTest.fixture("f4_2x3x4.npy"), 4), "f4_2x3x4.npy",
        "expected a 4-d array, got shape [2, 3, 4]");
    byte[] good = Files.readAllBytes(NpyTest.fixture("f4_2x3x4.npy"));
    Path trunc = Files.write(tmp.resolve("trunc.npy"), java.util.Arrays.copyOf(good, good.length - 1));
    assertMessage(() -> NpyRecordReader.open(trunc, 3), "trunc.npy", "truncated");
    Path longer = Files.write(tmp.resolve("long.npy"), java.util.Arrays.copyOf(good, good.length + 4));
    assertMessage(() -> NpyRecordReader.open(longer, 3), "long.npy", "4 bytes after the data");
    assertMessage(() -> NpyRecordReader.open(tmp.resolve("none.npy"), 3), "none.npy", "does not exist");
  }

  @Test
  void appendingInPiecesWritesTheBytesOfOneWrite() throws IOException {
    float[] data = new float[3 * 5 * 7];
    for (int i = 0; i < data.length; i++) {
      data[i] = i == 7 ? Float.intBitsToFloat(0x7fc00123) : (i - 50) / 3f; // a NaN payload must survive
    }
    Path whole = tmp.resolve("whole.npy");
    Npy.writeFloat32(whole, new int[] {3, 5, 7}, data);
    Path pieces = tmp.resolve("pieces.npy");
    try (NpyFloat32Writer w = NpyFloat32Writer.open(pieces, new int[] {3, 5, 7})) {
      w.append(data, 0, 1);
      w.append(data, 1, 33);
      w.append(data, 34, 0);
      w.append(data, 34, data.length - 34);
      assertEquals(0, w.remaining());
      assertFalse(Files.exists(pieces), "nothing under the name before the commit");
      w.commit();
    }
    assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(pieces));
    assertEquals(0x7fc00123, Float.floatToRawIntBits(Npy.read(pieces).floats()[7]));
    assertHiddenFiles();
  }

  @Test
  void tooFewOrTooManyValuesWriteNothing() throws IOException {
    Path y = tmp.resolve("y.npy");
    try (NpyFloat32Writer w = NpyFloat32Writer.open(y, new int[] {2, 2})) {
      w.append(new float[3], 0, 3);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, w::commit);
      assertTrue(e.getMessage().contains("holds 4 values but 3"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> w.append(new float[2], 0, 2));
      assertTrue(e.getMessage().contains("holds 4 values but 5"), e.getMessage());
    }
    assertFalse(Files.exists(y));
    assertThrows(IllegalArgumentException.class, () -> NpyFloat32Writer.open(y, new int[] {2, -1}));
    assertHiddenFiles();
  }

  @Test
  void aPendingFileReplacesTheTargetOnlyOnCommit() throws IOException {
    Path f = tmp.resolve("sub/out.bin");
    AtomicFiles.write(f, "old".getBytes(StandardCharsets.US_ASCII));
    try (AtomicFiles.Pending p = AtomicFiles.open(f)) {
      p.write(java.nio.ByteBuffer.wrap("new".getBytes(StandardCharsets.US_ASCII)));
      assertEquals(3, p.size());
      assertEquals("old", Files.readString(f));
    }
    assertEquals("old", Files.readString(f), "closed without commit: the old file stays");
    try (AtomicFiles.Pending p = AtomicFiles.open(f)) {
      p.write(java.nio.ByteBuffer.wrap("new".getBytes(StandardCharsets.US_ASCII)));
      p.commit();
      assertThrows(IllegalStateException.class, () -> p.write(java.nio.ByteBuffer.allocate(1)));
    }
    assertEquals("new", Files.readString(f));
    try (Stream<Path> s = Files.list(f.getParent())) {
      assertEquals(List.of(f), s.toList());
    }
  }

  private void assertHiddenFiles() throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "temporary files left");
    }
  }

  private static void assertMessage(Runnable r, String a, String b) {
    TensorFormatException e = assertThrows(TensorFormatException.class, r::run);
    assertTrue(e.getMessage().contains(a) && e.getMessage().contains(b), e.getMessage());
  }
}

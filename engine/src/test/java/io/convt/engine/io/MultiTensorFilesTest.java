package io.convt.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code .npz} and {@code .safetensors}: files other tools wrote, round trips, and hostile headers. */
class MultiTensorFilesTest {
  @TempDir Path tmp;

  static Path resource(String path) {
    try {
      return Path.of(MultiTensorFilesTest.class.getResource(path).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void numpyNpzAndIndependentSafetensorsHoldTheSameArrays() {
    NpyArray w = Npy.read(resource("/golden/s2_k3_p1_op1/w.npy"));
    NpyArray b = Npy.read(resource("/golden/s2_k3_p1_op1/b.npy"));
    Map<String, NpyArray> npz = Npz.read(resource("/weights/weights.npz"));
    assertArrayEquals(w.floats(), npz.get("weight").floats());
    assertArrayEquals(w.shape(), npz.get("weight").shape());
    assertArrayEquals(b.floats(), npz.get("bias").floats());
    Safetensors.Contents st = Safetensors.read(resource("/weights/weights.safetensors"));
    assertArrayEquals(w.floats(), st.tensors().get("weight").floats());
    assertArrayEquals(w.shape(), st.tensors().get("weight").shape());
    assertArrayEquals(b.floats(), st.tensors().get("bias").floats());
    assertEquals("gen_weights.py", st.metadata().get("source"));
  }

  @Test
  void roundTripsThroughOurWriters() {
    Map<String, float[]> t = new LinkedHashMap<>();
    t.put("weight", new float[] {1, 2, 3, 4, 5, 6});
    t.put("bias", new float[] {-1, 0.5f});
    Map<String, int[]> s = Map.of("weight", new int[] {2, 3}, "bias", new int[] {2});
    Path st = tmp.resolve("a.safetensors");
    Safetensors.writeFloat32(st, t, s, Map.of("step", "7"));
    Safetensors.Contents c = Safetensors.read(st);
    assertArrayEquals(t.get("weight"), c.tensors().get("weight").floats());
    assertArrayEquals(new int[] {2, 3}, c.tensors().get("weight").shape());
    assertEquals("7", c.metadata().get("step"));
    Path npz = tmp.resolve("a.npz");
    Npz.writeFloat32(npz, t, s);
    assertArrayEquals(t.get("bias"), Npz.read(npz).get("bias").floats());
  }

  @Test
  void hostileSafetensorsFailWithTheProblem() throws IOException {
    String good = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    assertOk(st("ok", good, 8));
    expect(raw("short.safetensors", new byte[3]), "too short");
    expect(raw("hugehdr.safetensors", ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array()), "header length");
    expect(raw("pasteof.safetensors", ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(500).array()), "runs past the end");
    expect(st("notjson", "{not json", 8), "not valid JSON");
    expect(st("array", "[1,2]", 0), "not a JSON object");
    expect(st("dtype", good.replace("F32", "I64"), 8), "unsupported dtype I64");
    expect(st("outside", good.replace("[0,8]", "[0,80]"), 8), "fall outside");
    expect(st("sizemismatch", good.replace("[2]", "[3]"), 8), "needs 12");
    expect(st("negdim", good.replace("[2]", "[-2]"), 8), "invalid dimension");
    expect(st("gap", good.replace("[0,8]", "[4,12]").replace("[2]", "[2]"), 12), "belong to no tensor");
    expect(st("trailing", good, 12), "cover 8");
    expect(st("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "overlap");
    expect(st("dup", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "Duplicate field");
    expect(st("meta", "{\"__metadata__\":{\"a\":1}}", 0), "not a string");
  }

  @Test
  void badNpzArchivesFailWithTheProblem() throws IOException {
    expect(raw("junk.npz", "not a zip at all".getBytes(StandardCharsets.US_ASCII)), "not a valid .npz");
    Path nested = tmp.resolve("nested.npz");
    try (OutputStream o = Files.newOutputStream(nested); ZipOutputStream z = new ZipOutputStream(o)) {
      z.putNextEntry(new ZipEntry("../evil.npy"));
      z.write(Files.readAllBytes(resource("/npy/f4_2x3x4.npy")));
      z.closeEntry();
    }
    expect(nested, "not a top-level <key>.npy");
    Path bad = tmp.resolve("badentry.npz");
    try (OutputStream o = Files.newOutputStream(bad); ZipOutputStream z = new ZipOutputStream(o)) {
      z.putNextEntry(new ZipEntry("w.npy"));
      z.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1});
      z.closeEntry();
    }
    TensorFormatException e = assertThrows(TensorFormatException.class, () -> Npz.read(bad));
    assertTrue(e.getMessage().contains("badentry.npz[w]") && e.getMessage().contains("too short"), e.getMessage());
  }

  @Test
  void weightFilesPickEntriesAndRefuseUnknownTypes() throws IOException {
    Path npz = resource("/weights/weights.npz");
    assertEquals(3 * 5 * 3 * 3, WeightFiles.read(npz, "weights", "weight").size()); // [3,5,3,3]
    TensorFormatException e = assertThrows(TensorFormatException.class, () -> WeightFiles.read(npz, "weights", "kernel"));
    assertTrue(e.getMessage().contains("no 'kernel' entry"), e.getMessage());
    Path txt = Files.writeString(tmp.resolve("w.txt"), "1 2 3");
    e = assertThrows(TensorFormatException.class, () -> WeightFiles.read(txt, "weights", "weight"));
    assertTrue(e.getMessage().contains("w.txt") && e.getMessage().contains("unsupported weights file type"), e.getMessage());
    e = assertThrows(TensorFormatException.class, () -> WeightFiles.readFloat(resource("/weights/w_u8.npy"), "weights", "weight"));
    assertTrue(e.getMessage().contains("needs a quantization") || e.getMessage().contains("need a quantization"), e.getMessage());
  }

  private Path st(String name, String json, int dataBytes) throws IOException {
    if (json == null) {
      return raw(name, new byte[3]);
    }
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    return raw(name + ".safetensors", b.array());
  }

  private Path raw(String name, byte[] bytes) throws IOException {
    return Files.write(tmp.resolve(name), bytes);
  }

  private static void assertOk(Path p) {
    assertEquals(2, Safetensors.read(p).tensors().get("w").size());
  }

  private static void expect(Path p, String fragment) {
    TensorFormatException e = assertThrows(TensorFormatException.class,
        () -> { if (p.toString().endsWith(".npz")) { Npz.read(p); } else { Safetensors.read(p); } });
    assertTrue(e.getMessage().startsWith(p.toString()) && e.getMessage().contains(fragment), e.getMessage());
  }
}

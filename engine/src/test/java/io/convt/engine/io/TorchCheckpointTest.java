package io.convt.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PyTorch checkpoints: files Debian's PyTorch wrote ({@code tools/fixtures/gen_torch_checkpoints.py}) against the
 * values torch read back, and hostile pickles and zips built here, which must be refused by name without
 * anything being executed.
 */
class TorchCheckpointTest {
  @TempDir Path tmp;

  private static Path fixture(String name) {
    return MultiTensorFilesTest.resource("/checkpoints/" + name);
  }

  /** Every float tensor of {@code file} equals torch's own reading of it, exported as {@code stem__key.npy}. */
  private static int assertMatchesTorch(String file) throws IOException {
    TorchCheckpoint.Contents c = TorchCheckpoint.read(fixture(file));
    String stem = file.substring(0, file.lastIndexOf('.'));
    int checked = 0;
    try (Stream<Path> s = Files.list(fixture(file).getParent())) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if (n.startsWith(stem + "__") && n.endsWith(".npy")) {
          String key = n.substring(stem.length() + 2, n.length() - 4);
          NpyArray want = Npy.read(p);
          NpyArray got = c.tensors().get(key);
          assertTrue(got != null, file + " lacks " + key + "; has " + c.tensors().keySet());
          assertArrayEquals(want.shape(), got.shape(), key);
          assertArrayEquals(want.floats(), got.floats(), key);
          checked++;
        }
      }
    }
    assertEquals(c.tensors().size(), checked, "every float tensor has an export");
    return checked;
  }

  @Test
  void stateDictsMatchWhatTorchReadsBack() throws IOException {
    assertEquals(6, assertMatchesTorch("decoder.pt"));
    assertEquals(6, assertMatchesTorch("checkpoint.pth"));
    assertEquals(8, assertMatchesTorch("dtypes.pt")); // four dtypes, views with offset/strides, a Parameter
    TorchCheckpoint.Contents d = TorchCheckpoint.read(fixture("decoder.pt"));
    assertEquals(List.of("decoder.up.weight", "decoder.up.bias", "decoder.norm.weight", "decoder.norm.bias",
        "decoder.norm.running_mean", "decoder.norm.running_var"), List.copyOf(d.tensors().keySet()));
    assertArrayEquals(new int[] {2, 3, 3, 3}, d.tensors().get("decoder.up.weight").shape());
    assertEquals(Map.of("decoder.norm.num_batches_tracked", "int64"), d.otherTensors());
    assertEquals("bfloat16", TorchCheckpoint.read(fixture("dtypes.pt")).tensors().get("bf16").dtype());
    // one tensor alone, and the listing without decoding, agree with the full read
    TorchCheckpoint.Contents all = TorchCheckpoint.read(fixture("dtypes.pt"));
    for (String k : all.tensors().keySet()) {
      assertArrayEquals(all.tensors().get(k).floats(), TorchCheckpoint.readTensor(fixture("dtypes.pt"), k).floats(), k);
    }
    assertEquals(null, TorchCheckpoint.readTensor(fixture("dtypes.pt"), "absent"));
    assertEquals("int64", TorchCheckpoint.tensorKeys(fixture("decoder.pt")).get("decoder.norm.num_batches_tracked"));
    assertEquals(7, TorchCheckpoint.tensorKeys(fixture("decoder.pt")).size());
  }

  @Test
  void weightFilesPickKeysAndNameTheChoices() {
    NpyArray w = WeightFiles.readFloat(fixture("checkpoint.pth"), "weights", "state_dict.decoder.up.weight");
    assertArrayEquals(Npy.read(fixture("checkpoint__state_dict.decoder.up.weight.npy")).floats(), w.floats());
    TensorFormatException e = assertThrows(TensorFormatException.class,
        () -> WeightFiles.read(fixture("decoder.pt"), "weights", WeightFiles.WEIGHT_KEY));
    assertTrue(e.getMessage().contains("has no 'weight' entry for the weights (float tensors: decoder.up.weight,"),
        e.getMessage());
    assertTrue(e.getMessage().contains("choose one with --weights-key"), e.getMessage());
    e = assertThrows(TensorFormatException.class,
        () -> WeightFiles.read(fixture("decoder.pt"), "bias", "decoder.norm.num_batches_tracked"));
    assertTrue(e.getMessage().contains("is an int64 tensor, not a float tensor"), e.getMessage());
  }

  // ---- hostile input, built here ----

  /** Pickle protocol 2 opcodes, written by hand. */
  private static final class Pickle {
    private final ByteArrayOutputStream b = new ByteArrayOutputStream();

    Pickle op(int... bytes) {
      for (int x : bytes) {
        b.write(x);
      }
      return this;
    }

    Pickle global(String module, String name) {
      op('c');
      b.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
      return this;
    }

    Pickle str(String s) {
      byte[] u = s.getBytes(StandardCharsets.UTF_8);
      op('X');
      b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(u.length).array());
      b.writeBytes(u);
      return this;
    }

    Pickle integer(long v) { // LONG1 with 8 bytes covers every long
      op(0x8a, 8);
      b.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
      return this;
    }

    Pickle ints(long... v) {
      op('(');
      for (long x : v) {
        integer(x);
      }
      return op('t');
    }

    /** {@code {key: tensor}} on FloatStorage '0' of {@code numel} elements. */
    static Pickle stateDict(String key, long numel, long offset, long[] size, long[] stride) {
      Pickle p = new Pickle().op(0x80, 2).op('}').op('(').str(key);
      p.global("torch._utils", "_rebuild_tensor_v2").op('(');
      p.op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").integer(numel).op('t').op('Q');
      p.integer(offset).ints(size).ints(stride).op(0x89).global("collections", "OrderedDict").op(')', 'R');
      return p.op('t', 'R').op('u', '.');
    }

    byte[] bytes() {
      return b.toByteArray();
    }
  }

  private Path checkpoint(String file, byte[] pickle, byte[] storage) throws IOException {
    Path p = tmp.resolve(file);
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
      z.putNextEntry(new ZipEntry("archive/data.pkl"));
      z.write(pickle);
      z.closeEntry();
      if (storage != null) {
        z.putNextEntry(new ZipEntry("archive/data/0"));
        z.write(storage);
        z.closeEntry();
      }
    }
    return p;
  }

  private static byte[] floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  private String refusal(Path file) {
    TensorFormatException e = assertThrows(TensorFormatException.class, () -> TorchCheckpoint.read(file));
    assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    return e.getMessage();
  }

  @Test
  void aHandBuiltStateDictReadsAsAView() throws IOException {
    // a 2x2 view at offset 1, strides (3, 1), of a 6-element storage 0..5: [[1, 2], [4, 5]]
    Path p = checkpoint("view.pt", Pickle.stateDict("w", 6, 1, new long[] {2, 2}, new long[] {3, 1}).bytes(),
        floats(0, 1, 2, 3, 4, 5));
    NpyArray w = TorchCheckpoint.read(p).tensors().get("w");
    assertArrayEquals(new int[] {2, 2}, w.shape());
    assertArrayEquals(new float[] {1, 2, 4, 5}, w.floats());
  }

  @Test
  void osSystemReduceIsRefusedWithoutRunningIt() throws IOException {
    Path marker = tmp.resolve("pwned");
    byte[] evil = new Pickle().op(0x80, 2).global("posix", "system").str("touch " + marker).op(0x85, 'R', '.')
        .bytes();
    String m = refusal(checkpoint("evil.pt", evil, null));
    assertTrue(m.contains("refused pickle global 'posix.system' at byte 2"), m);
    assertFalse(Files.exists(marker));
  }

  @Test
  void unknownGlobalsAndOpcodesAreRefusedByName() throws IOException {
    byte[] getattr = new Pickle().op(0x80, 2).global("builtins", "getattr").op('.').bytes();
    assertTrue(refusal(checkpoint("g.pt", getattr, null)).contains("refused pickle global 'builtins.getattr'"));
    byte[] qtensor = new Pickle().op(0x80, 2).global("torch._utils", "_rebuild_qtensor").op('.').bytes();
    assertTrue(refusal(checkpoint("q.pt", qtensor, null)).contains("'torch._utils._rebuild_qtensor'"));
    // INST (protocol 0's call-a-class opcode) and OBJ: refused as opcodes before any name is looked at
    byte[] inst = new Pickle().op(0x80, 2).op('(').op('i').bytes();
    assertTrue(refusal(checkpoint("i.pt", inst, null)).contains("refused pickle opcode 0x69 'i' at byte 3"));
    byte[] obj = new Pickle().op(0x80, 2).op('(', 'o').bytes();
    assertTrue(refusal(checkpoint("o.pt", obj, null)).contains("refused pickle opcode 0x6f 'o'"));
    // a storage class is allowed as a persistent-id tag, never as a callable
    byte[] call = new Pickle().op(0x80, 2).global("torch", "FloatStorage").op(')', 'R', '.').bytes();
    assertTrue(refusal(checkpoint("c.pt", call, null)).contains("refused call of global 'torch.FloatStorage'"));
  }

  @Test
  void storageAndTensorSizesAreCheckedExactly() throws IOException {
    byte[] six = floats(0, 1, 2, 3, 4, 5);
    String m = refusal(checkpoint("huge.pt",
        Pickle.stateDict("w", 1L << 40, 0, new long[] {6}, new long[] {1}).bytes(), six));
    assertTrue(m.contains("storage '0' declares 1099511627776 float32 elements but its zip entry holds 24 bytes"), m);
    m = refusal(checkpoint("wrap.pt", Pickle.stateDict("w", 1L << 62, 0, new long[] {6}, new long[] {1}).bytes(),
        six));
    assertTrue(m.contains("declares 4611686018427387904 float32 elements"), m);
    m = refusal(checkpoint("past.pt", Pickle.stateDict("w", 6, 0, new long[] {10}, new long[] {1}).bytes(), six));
    assertTrue(m.contains("reach element 9 of a 6-element storage"), m);
    m = refusal(checkpoint("off.pt", Pickle.stateDict("w", 6, 4, new long[] {2, 2}, new long[] {1, 1}).bytes(), six));
    assertTrue(m.contains("reach element 6 of a 6-element storage"), m);
    m = refusal(checkpoint("neg.pt", Pickle.stateDict("w", 6, 5, new long[] {6}, new long[] {-1}).bytes(), six));
    assertTrue(m.contains("negative or non-integer value"), m);
    m = refusal(checkpoint("ovf.pt", Pickle.stateDict("w", 6, 0, new long[] {Integer.MAX_VALUE, 3},
        new long[] {1L << 62, 1}).bytes(), six));
    assertTrue(m.contains("overflows 64 bits"), m);
    m = refusal(checkpoint("many.pt", Pickle.stateDict("w", 6, 0, new long[] {Integer.MAX_VALUE, 3},
        new long[] {0, 0}).bytes(), six));
    assertTrue(m.contains("more than a Java array holds"), m);
    m = refusal(checkpoint("nodata.pt", Pickle.stateDict("w", 6, 0, new long[] {6}, new long[] {1}).bytes(), null));
    assertTrue(m.contains("storage '0' has no zip entry archive/data/0"), m);
  }

  @Test
  void truncatedAndMalformedFilesAreOneLineErrors() throws IOException {
    byte[] good = Files.readAllBytes(fixture("decoder.pt"));
    Path cut = tmp.resolve("cut.pt");
    Files.write(cut, java.util.Arrays.copyOf(good, good.length / 2));
    assertTrue(refusal(cut).contains("not a PyTorch zip checkpoint"), refusal(cut));
    Path legacy = tmp.resolve("legacy.pt");
    Files.write(legacy, new Pickle().op(0x80, 2).integer(0x1950a86a20f9469cL).op('.').bytes());
    assertTrue(refusal(legacy).contains("legacy (pre-1.6) PyTorch pickle"), refusal(legacy));
    byte[] pkl = Pickle.stateDict("w", 6, 0, new long[] {6}, new long[] {1}).bytes();
    String m = refusal(checkpoint("short.pt", java.util.Arrays.copyOf(pkl, pkl.length - 5), floats(0, 1, 2, 3, 4, 5)));
    assertTrue(m.contains("data.pkl: "), m);
    Path noPickle = tmp.resolve("nopkl.pt");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(noPickle))) {
      z.putNextEntry(new ZipEntry("archive/constants.pkl"));
      z.closeEntry();
    }
    assertTrue(refusal(noPickle).contains("has no <name>/data.pkl entry"));
    // a dict holding itself: flattening stops at the nesting limit
    byte[] cycle = new Pickle().op(0x80, 2).op('}', 'q', 0).str("a").op('h', 0).op('s', '.').bytes();
    assertTrue(refusal(checkpoint("cycle.pt", cycle, null)).contains("nests dicts more than 32 deep"));
    byte[] build = new Pickle().op(0x80, 2).op('}', ']', ']', 'b', '.').bytes();
    assertTrue(refusal(checkpoint("build.pt", build, null)).contains("refused BUILD of a list"));
  }

  @Test
  void declaredZipSizesAreBoundedAndEnforced() throws IOException {
    byte[] six = floats(0, 1, 2, 3, 4, 5);
    byte[] pkl = Pickle.stateDict("w", 6, 0, new long[] {6}, new long[] {1}).bytes();
    Path big = checkpoint("bigpkl.pt", pkl, six);
    patchCentralSize(big, "archive/data.pkl", 0x7ffffff0L);
    assertTrue(refusal(big).contains("zip entry 'archive/data.pkl' declares 2147483632 bytes, more than the"),
        refusal(big));
    // a storage entry that declares 24 bytes but inflates to a megabyte: reading stops at the declared size
    byte[] bomb = new byte[1 << 20];
    Path inflating = checkpoint("bomb.pt", pkl, bomb);
    patchCentralSize(inflating, "archive/data/0", 24);
    String m = refusal(inflating);
    assertTrue(m.contains("inflates beyond its declared 24 bytes"), m);
  }

  /** Rewrites the uncompressed size of {@code entry} in the zip's central directory. */
  private static void patchCentralSize(Path zip, String entry, long size) throws IOException {
    byte[] z = Files.readAllBytes(zip);
    ByteBuffer b = ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN);
    byte[] name = entry.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i + 46 < z.length; i++) {
      if (b.getInt(i) == 0x02014b50 && b.getShort(i + 28) == name.length
          && java.util.Arrays.equals(z, i + 46, i + 46 + name.length, name, 0, name.length)) {
        b.putInt(i + 24, (int) size);
        Files.write(zip, z);
        return;
      }
    }
    throw new IllegalStateException("no central directory entry " + entry);
  }
}

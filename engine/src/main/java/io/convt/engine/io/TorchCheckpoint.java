package io.convt.engine.io;

import io.convt.engine.internal.Half;
import io.convt.engine.io.RestrictedUnpickler.Global;
import io.convt.engine.io.RestrictedUnpickler.PyNone;
import io.convt.engine.io.RestrictedUnpickler.Tuple;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * PyTorch checkpoints ({@code torch.save}, {@code .pt}/{@code .pth}): a zip holding {@code <name>/data.pkl}, a
 * pickle of the state dict, and one {@code <name>/data/<key>} entry of raw bytes per storage. The pickle is read by
 * {@link RestrictedUnpickler}, which accepts what {@code torch.load(weights_only=True)} accepts for a tensor state
 * dict (dicts, lists, tuples, strings, numbers, {@code OrderedDict}, tensor and parameter rebuilds, storages) and
 * executes nothing. Every storage's declared element count is checked against its zip entry's size, every tensor's
 * offset, sizes and strides against its storage, with exact arithmetic; entry sizes are capped and decompression
 * stops at the declared size.
 *
 * <p>Nested dicts are flattened with dots ({@code {"state_dict": {"up.weight": t}}} gives
 * {@code state_dict.up.weight}); values that are not tensors (epochs, learning rates, names) are skipped.
 */
public final class TorchCheckpoint {
  /** More zip entries than a weight checkpoint needs. */
  static final int MAX_ENTRIES = 100_000;
  /** Cap on the pickle (a state dict's pickle is a few hundred bytes per tensor). */
  static final long MAX_PICKLE_BYTES = 64L << 20;
  /** Cap on one storage's bytes (1 GiB, as for {@code .npz} entries). */
  static final long MAX_STORAGE_BYTES = 1L << 30;
  private static final int MAX_NESTING = 32;

  private static final String UTILS = "torch._utils";
  private static final Map<Global, StorageType> STORAGES = Map.of(
      new Global("torch", "FloatStorage"), new StorageType("float32", 4, true),
      new Global("torch", "HalfStorage"), new StorageType("float16", 2, true),
      new Global("torch", "BFloat16Storage"), new StorageType("bfloat16", 2, true),
      new Global("torch", "DoubleStorage"), new StorageType("float64", 8, true),
      // integer buffers (BatchNorm's num_batches_tracked, ...) are listed, never decoded
      new Global("torch", "LongStorage"), new StorageType("int64", 8, false),
      new Global("torch", "IntStorage"), new StorageType("int32", 4, false),
      new Global("torch", "ShortStorage"), new StorageType("int16", 2, false),
      new Global("torch", "CharStorage"), new StorageType("int8", 1, false),
      new Global("torch", "ByteStorage"), new StorageType("uint8", 1, false),
      new Global("torch", "BoolStorage"), new StorageType("bool", 1, false));
  private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
  private static final Global REBUILD_TENSOR = new Global(UTILS, "_rebuild_tensor_v2");
  private static final Global REBUILD_PARAMETER = new Global(UTILS, "_rebuild_parameter");
  private static final Set<Global> ALLOWED;

  static {
    java.util.HashSet<Global> s = new java.util.HashSet<>(STORAGES.keySet());
    s.add(ORDERED_DICT);
    s.add(REBUILD_TENSOR);
    s.add(REBUILD_PARAMETER);
    ALLOWED = Set.copyOf(s);
  }

  /**
   * The tensors of one checkpoint.
   *
   * @param tensors float tensors by (dotted) key, in file order, decoded to float32
   * @param otherTensors tensors of other dtypes (integer buffers) by key: their dtype, for messages
   */
  public record Contents(Map<String, NpyArray> tensors, Map<String, String> otherTensors) {}

  private record StorageType(String dtype, int itemSize, boolean floating) {}

  private record Storage(StorageType type, String key, long numel, ZipEntry entry) {}

  private record TensorRef(Storage storage, long offset, int[] shape, long[] stride) {}

  private TorchCheckpoint() {}

  /** Reads every tensor of {@code file}; fails with one line naming the file and what is wrong. */
  public static Contents read(Path file) {
    return withReader(file, r -> {
      Contents c = new Contents(new LinkedHashMap<>(), new LinkedHashMap<>());
      for (Map.Entry<String, TensorRef> e : r.index().entrySet()) {
        if (e.getValue().storage().type().floating()) {
          c.tensors().put(e.getKey(), r.decode(e.getValue()));
        } else {
          c.otherTensors().put(e.getKey(), e.getValue().storage().type().dtype());
        }
      }
      return c;
    });
  }

  /**
   * The tensor under {@code key}, decoded alone (a large checkpoint is not decoded whole for one layer's weights),
   * or {@code null} when there is none.
   *
   * @throws TensorFormatException naming the file when it is malformed or hostile, or the tensor is not a float one
   */
  public static NpyArray readTensor(Path file, String key) {
    return withReader(file, r -> {
      TensorRef t = r.index().get(key);
      if (t != null && !t.storage().type().floating()) {
        throw new TensorFormatException(file.toString(), "entry '" + key + "' is an " + t.storage().type().dtype()
            + " tensor, not a float tensor");
      }
      return t == null ? null : r.decode(t);
    });
  }

  /** Every tensor's key and dtype, in file order, without decoding any (for listing what a file has). */
  public static Map<String, String> tensorKeys(Path file) {
    return withReader(file, r -> {
      Map<String, String> m = new LinkedHashMap<>();
      r.index().forEach((k, t) -> m.put(k, t.storage().type().dtype()));
      return m;
    });
  }

  private interface ReaderTask<T> {
    T apply(Reader r) throws IOException;
  }

  private static <T> T withReader(Path file, ReaderTask<T> task) {
    String name = file.toString();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      return task.apply(new Reader(zip, name));
    } catch (RestrictedUnpickler.RefusedException e) {
      throw new TensorFormatException(name, "data.pkl: " + e.getMessage(), e);
    } catch (ZipException e) {
      throw new TensorFormatException(name, notZip(file) + e.getMessage(), e);
    } catch (IOException e) {
      throw Npy.unreadable(name, e);
    }
  }

  private static String notZip(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      int b = in.read();
      if (b == 0x80) {
        return "a legacy (pre-1.6) PyTorch pickle, not a zip checkpoint; re-save it with torch.save (PyTorch >= 1.6): ";
      }
    } catch (IOException e) {
      // fall through to the generic message
    }
    return "not a PyTorch zip checkpoint (truncated or another format): ";
  }

  /** One open archive: locates data.pkl, resolves storages, rebuilds tensors as plain arrays. */
  private static final class Reader implements RestrictedUnpickler.Hooks {
    private final ZipFile zip;
    private final String name;
    private final Map<String, Storage> storages = new HashMap<>();
    private final Map<String, ByteBuffer> bytes = new HashMap<>();
    private String prefix;
    private ByteOrder order = ByteOrder.LITTLE_ENDIAN;

    Reader(ZipFile zip, String name) {
      this.zip = zip;
      this.name = name;
    }

    /** Parses data.pkl: every tensor by dotted key, in file order, checked against its storage, none decoded. */
    Map<String, TensorRef> index() throws IOException {
      if (zip.size() > MAX_ENTRIES) {
        throw new TensorFormatException(name, "has " + zip.size() + " zip entries, more than the " + MAX_ENTRIES
            + " allowed");
      }
      ZipEntry pkl = null;
      Enumeration<? extends ZipEntry> en = zip.entries();
      while (en.hasMoreElements()) {
        ZipEntry e = en.nextElement();
        String n = e.getName();
        if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
          if (pkl != null) {
            throw new TensorFormatException(name, "has two pickles, " + pkl.getName() + " and " + n);
          }
          pkl = e;
        }
      }
      if (pkl == null) {
        throw new TensorFormatException(name, "has no <name>/data.pkl entry (not a torch.save checkpoint;"
            + " TorchScript and other zips are not read)");
      }
      prefix = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
      ZipEntry bo = zip.getEntry(prefix + "byteorder");
      if (bo != null) {
        String s = new String(bounded(bo, 16), StandardCharsets.US_ASCII).trim();
        if (!s.equals("little") && !s.equals("big")) {
          throw new TensorFormatException(name, "byteorder entry says '" + s + "' (expected little or big)");
        }
        order = s.equals("big") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
      }
      Object root = RestrictedUnpickler.parse(bounded(pkl, MAX_PICKLE_BYTES), ALLOWED, this);
      if (!(root instanceof Map<?, ?> m)) {
        throw new TensorFormatException(name, "holds a " + RestrictedUnpickler.typeName(root)
            + ", not a state dict (a dict of tensors)");
      }
      Map<String, TensorRef> out = new LinkedHashMap<>();
      flatten(m, "", out, 0);
      return out;
    }

    private void flatten(Map<?, ?> m, String path, Map<String, TensorRef> out, int depth) {
      if (depth > MAX_NESTING) {
        throw new TensorFormatException(name, "nests dicts more than " + MAX_NESTING + " deep at '" + path + "'");
      }
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String k)) {
          continue;
        }
        String key = path + k;
        if (e.getValue() instanceof TensorRef t) {
          out.put(key, t);
        } else if (e.getValue() instanceof Map<?, ?> sub) {
          flatten(sub, key + ".", out, depth + 1);
        }
      }
    }

    @Override
    public Object persistentLoad(Object pid) {
      if (!(pid instanceof Tuple t) || t.size() != 5 || !"storage".equals(t.get(0))
          || !(t.get(1) instanceof Global g) || !(t.get(2) instanceof String key) || !(t.get(3) instanceof String)
          || !(t.get(4) instanceof Long numel)) {
        throw new RestrictedUnpickler.RefusedException("persistent id " + describe(pid)
            + " is not ('storage', <storage type>, key, location, size)");
      }
      StorageType type = STORAGES.get(g);
      if (type == null) {
        throw new RestrictedUnpickler.RefusedException("persistent id names '" + g + "', not a storage type");
      }
      Storage known = storages.get(key);
      if (known != null) {
        if (known.type() != type || known.numel() != numel) {
          throw new TensorFormatException(name, "storage '" + key + "' is declared twice with different types/sizes");
        }
        return known;
      }
      ZipEntry e = zip.getEntry(prefix + "data/" + key);
      if (e == null) {
        throw new TensorFormatException(name, "storage '" + key + "' has no zip entry " + prefix + "data/" + key);
      }
      long want;
      try {
        want = Math.multiplyExact(numel, (long) type.itemSize());
      } catch (ArithmeticException x) {
        want = -1;
      }
      if (numel < 0 || want < 0 || want > MAX_STORAGE_BYTES || e.getSize() != want) {
        throw new TensorFormatException(name, "storage '" + key + "' declares " + numel + " " + type.dtype()
            + " elements but its zip entry holds " + e.getSize() + " bytes"
            + (want > MAX_STORAGE_BYTES ? " (over the " + MAX_STORAGE_BYTES + "-byte limit)" : ""));
      }
      Storage s = new Storage(type, key, numel, e);
      storages.put(key, s);
      return s;
    }

    @Override
    public Object reduce(Global callable, Tuple args) {
      if (callable.equals(ORDERED_DICT)) {
        if (args.size() != 0) {
          throw new RestrictedUnpickler.RefusedException("collections.OrderedDict called with arguments");
        }
        return new LinkedHashMap<Object, Object>();
      }
      if (callable.equals(REBUILD_TENSOR)) {
        return rebuildTensor(args);
      }
      if (callable.equals(REBUILD_PARAMETER)) {
        if (args.size() < 1 || !(args.get(0) instanceof TensorRef t)) {
          throw new RestrictedUnpickler.RefusedException("_rebuild_parameter without a tensor");
        }
        return t;
      }
      throw new RestrictedUnpickler.RefusedException("refused call of global '" + callable + "'");
    }

    @Override
    public Object build(Object obj, Object state) {
      // OrderedDict state dicts carry their `_metadata` (module versions) as instance state: not needed here
      if (obj instanceof Map && (state instanceof Map || state == PyNone.NONE)) {
        return obj;
      }
      throw new RestrictedUnpickler.RefusedException("refused BUILD of a " + RestrictedUnpickler.typeName(obj)
          + " (object state is set only on OrderedDicts)");
    }

    private TensorRef rebuildTensor(Tuple a) {
      if (a.size() < 6 || a.size() > 7 || !(a.get(0) instanceof Storage s) || !(a.get(1) instanceof Long offset)
          || !(a.get(2) instanceof Tuple size) || !(a.get(3) instanceof Tuple stride) || size.size() != stride.size()) {
        throw new RestrictedUnpickler.RefusedException("_rebuild_tensor_v2 arguments are not"
            + " (storage, offset, size, stride, requires_grad, hooks)");
      }
      int rank = size.size();
      int[] shape = new int[rank];
      long[] strides = new long[rank];
      long count = 1;
      long last = offset;
      try {
        for (int i = 0; i < rank; i++) {
          if (!(size.get(i) instanceof Long d) || !(stride.get(i) instanceof Long st) || d < 0 || st < 0
              || d > Integer.MAX_VALUE) {
            throw bad(s, "size " + size.items() + " / stride " + stride.items() + " has a negative or non-integer value");
          }
          shape[i] = (int) (long) d;
          strides[i] = st;
          count = Math.multiplyExact(count, d);
          if (d > 0) {
            last = Math.addExact(last, Math.multiplyExact(d - 1, st));
          }
        }
      } catch (ArithmeticException x) {
        throw bad(s, "size " + size.items() + " / stride " + stride.items() + " overflows 64 bits");
      }
      if (count > Integer.MAX_VALUE) {
        throw bad(s, "has " + count + " elements, more than a Java array holds");
      }
      if (offset < 0 || (count > 0 && last >= s.numel())) {
        throw bad(s, "offset " + offset + ", size " + size.items() + ", stride " + stride.items()
            + " reach element " + last + " of a " + s.numel() + "-element storage");
      }
      return new TensorRef(s, offset, shape, strides);
    }

    private TensorFormatException bad(Storage s, String what) {
      return new TensorFormatException(name, "tensor on storage '" + s.key() + "': " + what);
    }

    /** Gathers the tensor's elements in C order (views and transposes included) as float32. */
    NpyArray decode(TensorRef t) throws IOException {
      Storage s = t.storage();
      ByteBuffer b = bytes.get(s.key());
      if (b == null) {
        b = ByteBuffer.wrap(bounded(s.entry(), MAX_STORAGE_BYTES)).order(order);
        if (b.capacity() != s.numel() * s.type().itemSize()) {
          throw new TensorFormatException(name, "storage '" + s.key() + "' inflates to " + b.capacity()
              + " bytes, not its declared " + s.entry().getSize());
        }
        bytes.put(s.key(), b);
      }
      int n = 1;
      for (int d : t.shape()) {
        n *= d;
      }
      float[] f = new float[n];
      int rank = t.shape().length;
      int[] idx = new int[rank];
      long pos = t.offset();
      for (int i = 0; i < n; i++) {
        f[i] = element(b, s.type(), (int) pos);
        for (int d = rank - 1; d >= 0; d--) { // odometer over the shape, moving pos by the strides
          if (++idx[d] < t.shape()[d]) {
            pos += t.stride()[d];
            break;
          }
          pos -= (long) (t.shape()[d] - 1) * t.stride()[d];
          idx[d] = 0;
        }
      }
      return new NpyArray(s.type().dtype(), t.shape().clone(), f, null);
    }

    private static float element(ByteBuffer b, StorageType type, int i) {
      switch (type.dtype()) {
        case "float32":
          return b.getFloat(4 * i);
        case "float16":
          return Half.toFloat(b.getShort(2 * i));
        case "bfloat16":
          return Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
        default:
          return (float) b.getDouble(8 * i);
      }
    }

    /** An entry's bytes, refusing declared or actual sizes above {@code limit} or above the declared size. */
    private byte[] bounded(ZipEntry e, long limit) throws IOException {
      long declared = e.getSize();
      if (declared > limit) {
        throw new TensorFormatException(name, "zip entry '" + e.getName() + "' declares " + declared
            + " bytes, more than the " + limit + " allowed");
      }
      long cap = declared >= 0 ? declared : limit;
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(cap, 1 << 20));
      byte[] buf = new byte[1 << 16];
      long total = 0;
      try (InputStream in = zip.getInputStream(e)) {
        int r;
        while ((r = in.read(buf)) > 0) {
          total += r;
          if (total > cap) {
            throw new TensorFormatException(name, "zip entry '" + e.getName() + "' inflates beyond "
                + (declared >= 0 ? "its declared " + declared : "the " + limit + "-byte limit")
                + " bytes (zip bomb or corrupt archive)");
          }
          out.write(buf, 0, r);
        }
      }
      return out.toByteArray();
    }

    private static String describe(Object pid) {
      if (pid instanceof Tuple t) {
        List<String> parts = new ArrayList<>();
        for (Object o : t.items()) {
          parts.add(o instanceof String ? "'" + o + "'" : String.valueOf(o));
        }
        return "(" + String.join(", ", parts) + ")";
      }
      return RestrictedUnpickler.typeName(pid);
    }
  }
}

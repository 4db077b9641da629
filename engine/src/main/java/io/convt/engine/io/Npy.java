package io.convt.engine.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) as data, never as code: the header
 * dictionary is parsed by a strict literal parser ({@link NpyHeaderParser}), object arrays are refused, and every
 * size is checked against the file before anything is allocated. Supported dtypes: float16/32/64 and uint8, little
 * or big endian, C order.
 */
public final class Npy {
  static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  /** NumPy itself refuses headers above this size since 1.24 (a defence against hostile files). */
  static final int MAX_HEADER_BYTES = 10_000;

  private Npy() {}

  /**
   * Reads and validates the header of {@code file}, checked to describe the whole file: a file shorter than its
   * shape promises (truncated) or longer (bytes after the data) is refused, as every reader here refuses it.
   */
  public static NpyHeader readHeader(Path file) {
    try (FileChannel ch = InputFiles.open(file)) {
      return readWholeFileHeader(ch, file.toString());
    } catch (IOException e) {
      throw unreadable(file.toString(), e);
    }
  }

  /** Reads a whole array; fails naming the file when it is malformed, truncated or of an unsupported dtype. */
  public static NpyArray read(Path file) {
    String name = file.toString();
    try (FileChannel ch = InputFiles.open(file)) {
      return read(ch, name);
    } catch (IOException e) {
      throw unreadable(name, e);
    }
  }

  /** Reads a whole array held in memory (e.g. an {@code .npz} entry); {@code name} is used in messages. */
  public static NpyArray read(byte[] bytes, String name) {
    try {
      return read(new ByteArrayChannel(bytes), name);
    } catch (IOException e) {
      throw unreadable(name, e);
    }
  }

  private static NpyArray read(SeekableByteChannel ch, String name) throws IOException {
    NpyHeader h = readWholeFileHeader(ch, name);
    return readElements(ch, h, name, 0, h.elementCount(), h.shape());
  }

  /** The header, checked to describe the whole file: no bytes after the data (a truncated file fails here too). */
  static NpyHeader readWholeFileHeader(SeekableByteChannel ch, String name) throws IOException {
    NpyHeader h = readHeader(ch, name);
    long trailing = ch.size() - h.dataOffset() - h.dataBytes();
    if (trailing > 0) {
      throw new TensorFormatException(name, "is " + ch.size() + " bytes but its header (" + h.dataOffset()
          + " bytes) and shape " + java.util.Arrays.toString(h.shape()) + " of " + h.dtype() + " (" + h.dataBytes()
          + " bytes) account for " + (h.dataOffset() + h.dataBytes()) + ": " + trailing
          + " bytes after the data (corrupt or not a single array)");
    }
    return h;
  }

  /** Reads a float32-convertible array, refusing uint8 (which needs a quantisation rule to mean anything). */
  public static NpyArray readFloat(Path file) {
    NpyArray a = read(file);
    if (a.bytes() != null) {
      throw notFloat(file.toString(), a.dtype());
    }
    return a;
  }

  /**
   * Reads a float array, or a uint8 one (8-bit pixel data) decoded to floats by {@code uint8Scaling} with a maximum
   * of 255, as 8-bit images are ({@link PixelScaling#UNIT}: {@code v/255}). The result is always a float array
   * ({@link NpyArray#bytes()} is null).
   */
  public static NpyArray readFloat(Path file, PixelScaling uint8Scaling) {
    NpyArray a = read(file);
    return a.bytes() == null ? a : scaled(a, uint8Scaling);
  }

  /** A uint8 array's values decoded by {@code scaling} (maximum 255), as a float array of the same shape. */
  static NpyArray scaled(NpyArray a, PixelScaling scaling) {
    byte[] raw = a.bytes();
    float[] f = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      f[i] = scaling.decode(raw[i] & 0xff, 255);
    }
    return new NpyArray(a.dtype(), a.shape(), f, null);
  }

  static TensorFormatException notFloat(String name, String dtype) {
    return new TensorFormatException(name, "dtype " + dtype + " is not a float type (need f2, f4 or f8)");
  }

  /**
   * Reads entries {@code [first, first+count)} of the first axis (e.g. records of an {@code [N,C,H,W]} stack)
   * without loading the rest. The returned array has shape {@code [count, ...]}.
   */
  public static NpyArray readRecords(Path file, NpyHeader h, long first, int count) {
    String name = file.toString();
    if (h.shape().length == 0 || first < 0 || count < 0 || first + count > h.shape()[0]) {
      throw new IllegalArgumentException("Cannot read records " + first + ".." + (first + count) + " of " + name
          + ": first axis has " + (h.shape().length == 0 ? 0 : h.shape()[0]) + " entries");
    }
    int[] shape = h.shape().clone();
    shape[0] = count;
    try (FileChannel ch = InputFiles.open(file)) {
      return readElements(ch, h, name, first * h.recordElements(), count * h.recordElements(), shape);
    } catch (IOException e) {
      throw unreadable(name, e);
    }
  }

  /**
   * As {@link #readRecordArrays(Path, NpyHeader, long, int)}, with uint8 values (8-bit pixel data) decoded by
   * {@code uint8Scaling} (maximum 255) as {@link #readFloat(Path, PixelScaling)} and {@link NpyRecordReader} decode
   * them; float arrays are unaffected.
   */
  public static float[][] readRecordArrays(Path file, NpyHeader h, long first, int count, PixelScaling uint8Scaling) {
    float[][] records = readRecordArrays(file, h, first, count);
    if (h.kind() == 'u') {
      for (float[] r : records) {
        for (int i = 0; i < r.length; i++) {
          r[i] = uint8Scaling.decode((int) r[i], 255);
        }
      }
    }
    return records;
  }

  /**
   * As {@link #readRecords}, but one float array per record (entry of the first axis), decoded straight from the
   * file's bytes: for a caller that hands records on one by one, this saves copying each record out of one big
   * array. Values are those {@link #readRecords} gives (float16/64 converted the same way).
   */
  public static float[][] readRecordArrays(Path file, NpyHeader h, long first, int count) {
    String name = file.toString();
    if (h.shape().length == 0 || first < 0 || count < 0 || first + count > h.shape()[0]) {
      throw new IllegalArgumentException("Cannot read records " + first + ".." + (first + count) + " of " + name
          + ": first axis has " + (h.shape().length == 0 ? 0 : h.shape()[0]) + " entries");
    }
    int per = (int) h.recordElements();
    float[][] out = new float[count][];
    if (h.itemSize() != 4) {
      float[] all = readRecords(file, h, first, count).floats();
      for (int i = 0; i < count; i++) {
        out[i] = java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per);
      }
      return out;
    }
    if ((long) per * 4 > Integer.MAX_VALUE - 8) {
      throw new TensorFormatException(name, "records of " + per + " elements are too large to load");
    }
    HeapBudget.require(name, count + " records of " + per + " elements", HeapBudget.bytes((long) count * per, 4));
    try (FileChannel ch = InputFiles.open(file)) {
      // One record at a time through one direct buffer: no slice-wide heap buffer (a humongous array for G1 when
      // records are megabytes) and no hidden copy through the JDK's temporary direct buffer.
      ByteBuffer record = ByteBuffer.allocateDirect(per * 4).order(h.order());
      long position = h.dataOffset() + first * per * 4L;
      for (int i = 0; i < count; i++) {
        record.clear();
        readFully(ch, position + (long) i * per * 4, record, name);
        out[i] = new float[per];
        record.flip().asFloatBuffer().get(out[i]);
      }
      return out;
    } catch (IOException e) {
      throw unreadable(name, e);
    }
  }

  /** Writes a float32 little-endian C-order array atomically (temporary file, then rename). */
  public static void writeFloat32(Path file, int[] shape, float[] data) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("Cannot write " + file + ": negative dimension in shape "
            + java.util.Arrays.toString(shape));
      }
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException("Cannot write " + file + ": shape " + java.util.Arrays.toString(shape)
          + " holds " + n + " values but " + data.length + " were given");
    }
    try (NpyFloat32Writer w = NpyFloat32Writer.open(file, shape)) {
      w.append(data, 0, data.length);
      w.commit();
    }
  }

  /** The bytes of the float32 little-endian C-order {@code .npy} file {@link #writeFloat32} writes. */
  public static byte[] float32Bytes(int[] shape, float[] data) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("Cannot encode .npy: negative dimension in shape "
            + java.util.Arrays.toString(shape));
      }
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException("Cannot encode .npy: shape " + java.util.Arrays.toString(shape) + " holds "
          + n + " values but " + data.length + " were given");
    }
    byte[] h = header("<f4", shape);
    ByteBuffer b = ByteBuffer.allocate(Math.addExact(h.length, Math.multiplyExact(4, data.length)))
        .order(ByteOrder.LITTLE_ENDIAN);
    b.put(h);
    b.asFloatBuffer().put(data);
    return b.array();
  }

  static TensorFormatException unreadable(String name, IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return new TensorFormatException(name, "file does not exist", e);
    }
    return new TensorFormatException(name, "cannot read: " + e, e);
  }

  static byte[] header(String dtype, int[] shape) {
    StringBuilder dict = new StringBuilder("{'descr': '").append(dtype).append("', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < shape.length; i++) {
      dict.append(shape[i]).append(shape.length == 1 ? "," : (i + 1 < shape.length ? ", " : ""));
    }
    dict.append("), }");
    // NumPy pads with spaces so that magic + version + length + dict + '\n' is a multiple of 64.
    int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
    int pad = (64 - unpadded % 64) % 64;
    dict.append(" ".repeat(pad)).append('\n');
    byte[] text = dict.toString().getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + text.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
    return b.array();
  }

  static NpyHeader readHeader(SeekableByteChannel ch, String name) throws IOException {
    long size = ch.size();
    ByteBuffer pre = readExactly(ch, 0, Math.min(10, (int) Math.min(size, 10)), name);
    if (size < 10) {
      throw new TensorFormatException(name, "is " + size + " bytes, too short for a .npy header (truncated?)");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (pre.get(i) != MAGIC[i]) {
        throw new TensorFormatException(name, "not a .npy file (bad magic bytes)");
      }
    }
    int major = pre.get(6) & 0xff;
    int minor = pre.get(7) & 0xff;
    long headerLen;
    int prefix;
    if (major == 1) {
      headerLen = pre.order(ByteOrder.LITTLE_ENDIAN).getShort(8) & 0xffff;
      prefix = 10;
    } else if (major == 2 || major == 3) {
      ByteBuffer l = readExactly(ch, 8, 4, name).order(ByteOrder.LITTLE_ENDIAN);
      headerLen = l.getInt(0) & 0xffffffffL;
      prefix = 12;
    } else {
      throw new TensorFormatException(name, "unsupported .npy format version " + major + "." + minor);
    }
    if (headerLen > MAX_HEADER_BYTES) {
      throw new TensorFormatException(name, "header length " + headerLen + " exceeds the " + MAX_HEADER_BYTES
          + "-byte limit (hostile or corrupt file)");
    }
    if (prefix + headerLen > size) {
      throw new TensorFormatException(name, "header length " + headerLen + " runs past the end of the "
          + size + "-byte file (truncated?)");
    }
    ByteBuffer hb = readExactly(ch, prefix, (int) headerLen, name);
    String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    NpyHeader h = NpyHeaderParser.parse(text, name, prefix + headerLen);
    if (h.dataOffset() + h.dataBytes() > size) {
      throw new TensorFormatException(name, "shape " + java.util.Arrays.toString(h.shape()) + " of " + h.dtype()
          + " needs " + h.dataBytes() + " data bytes but the file has " + (size - h.dataOffset()) + " (truncated?)");
    }
    return h;
  }

  static NpyArray readElements(SeekableByteChannel ch, NpyHeader h, String name, long firstElement, long count,
      int[] shape) throws IOException {
    if (count * h.itemSize() > Integer.MAX_VALUE - 8) {
      throw new TensorFormatException(name, "array of " + count + " elements is too large to load at once; "
          + "read it in slices of the first axis");
    }
    // the file's bytes and the floats decoded from them are held at once
    HeapBudget.require(name, java.util.Arrays.toString(shape) + " of " + h.dtype(),
        HeapBudget.bytes(count, h.itemSize() + 4L));
    ByteBuffer data = readExactly(ch, h.dataOffset() + firstElement * h.itemSize(),
        (int) (count * h.itemSize()), name).order(h.order());
    float[] out = new float[(int) count];
    byte[] raw = null;
    switch (h.itemSize()) {
      case 1 -> {
        raw = data.array();
        for (int i = 0; i < out.length; i++) {
          out[i] = raw[i] & 0xff;
        }
      }
      case 2 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = io.convt.engine.internal.Half.toFloat(data.getShort(2 * i));
        }
      }
      case 4 -> data.asFloatBuffer().get(out);
      default -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) data.getDouble(8 * i);
        }
      }
    }
    return new NpyArray(h.dtype(), shape, out, raw);
  }

  private static ByteBuffer readExactly(SeekableByteChannel ch, long position, int length, String name)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    readFully(ch, position, b, name);
    b.flip();
    return b;
  }

  /** Fills {@code b} from {@code position} of {@code ch}; a file that ends first is named as truncated. */
  private static void readFully(SeekableByteChannel ch, long position, ByteBuffer b, String name) throws IOException {
    long want = position + b.remaining();
    ch.position(position);
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new TensorFormatException(name, "ends after " + (want - b.remaining()) + " bytes, expected " + want
            + " (truncated?)");
      }
    }
  }
}

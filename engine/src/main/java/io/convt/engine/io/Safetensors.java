package io.convt.engine.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face {@code safetensors} files: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the data. Parsed as data with every range checked (within the buffer, sized as
 * shape × dtype, no overlaps, no gaps) and the header capped, so a hostile file fails with a message instead of
 * allocating or reading out of bounds. Dtypes read: F32, F16, BF16, F64 (to float) and U8 (raw bytes).
 */
public final class Safetensors {
  /** The reference implementation's header cap (100 MB). */
  static final long MAX_HEADER_BYTES = 100_000_000L;
  private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** The tensors and the {@code __metadata__} string map of one file. */
  public record Contents(Map<String, NpyArray> tensors, Map<String, String> metadata) {}

  private Safetensors() {}

  public static Contents read(Path file) {
    String name = file.toString();
    try (FileChannel ch = InputFiles.open(file)) {
      return read(ch, name);
    } catch (IOException e) {
      throw Npy.unreadable(name, e);
    }
  }

  /**
   * Reads a whole file held in memory (e.g. fetched from a Hadoop file system), with the same checks as
   * {@link #read(Path)}; {@code name} is used in messages.
   */
  public static Contents read(byte[] bytes, String name) {
    try {
      return read(new ByteArrayChannel(bytes), name);
    } catch (IOException e) {
      throw Npy.unreadable(name, e);
    }
  }

  private static Contents read(SeekableByteChannel ch, String name) throws IOException {
    long size = ch.size();
    if (size < 8) {
      throw new TensorFormatException(name, "is " + size + " bytes, too short for a safetensors header (truncated?)");
    }
    long n = read(ch, 0, 8, name).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (n < 2 || n > MAX_HEADER_BYTES) {
      throw new TensorFormatException(name, "header length " + n + " is outside 2.." + MAX_HEADER_BYTES
          + " (not a safetensors file, or hostile)");
    }
    if (8 + n > size) {
      throw new TensorFormatException(name, "header length " + n + " runs past the end of the " + size
          + "-byte file (truncated?)");
    }
    JsonNode header;
    try {
      header = JSON.readTree(new String(read(ch, 8, (int) n, name).array(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new TensorFormatException(name, "header is not valid JSON: " + e.getMessage().split("\n")[0], e);
    }
    if (header == null || !header.isObject()) {
      throw new TensorFormatException(name, "header is not a JSON object");
    }
    long dataStart = 8 + n;
    long dataSize = size - dataStart;
    Map<String, String> metadata = new LinkedHashMap<>();
    List<long[]> ranges = new ArrayList<>();
    Map<String, NpyArray> tensors = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      if (f.getKey().equals("__metadata__")) {
        metadata(f.getValue(), metadata, name);
        continue;
      }
      TensorEntry t = TensorEntry.parse(f.getKey(), f.getValue(), name, dataSize);
      ranges.add(new long[] {t.begin(), t.end()});
      String what = "tensor '" + f.getKey() + "' " + java.util.Arrays.toString(t.shape()) + " of " + t.dtype();
      if (t.end() - t.begin() > Integer.MAX_VALUE - 8) {
        throw new TensorFormatException(name, what + " has " + (t.end() - t.begin()) + " bytes, more than one "
            + "array can hold");
      }
      HeapBudget.require(name, what, HeapBudget.bytes((t.end() - t.begin()) / t.itemSize(), t.itemSize() + 4L));
      tensors.put(f.getKey(), t.decode(read(ch, dataStart + t.begin(), (int) (t.end() - t.begin()), name), name));
    }
    checkCoverage(ranges, dataSize, name);
    return new Contents(tensors, metadata);
  }

  /** Writes float32 tensors (in the given order) plus string metadata, atomically. */
  public static void writeFloat32(Path file, Map<String, float[]> tensors, Map<String, int[]> shapes,
      Map<String, String> metadata) {
    AtomicFiles.write(file, float32Bytes(file.toString(), tensors, shapes, metadata));
  }

  /**
   * The bytes of a file of float32 tensors (in the given order) plus string metadata, as {@link #writeFloat32}
   * writes it; {@code name} is used in messages.
   */
  public static byte[] float32Bytes(String name, Map<String, float[]> tensors, Map<String, int[]> shapes,
      Map<String, String> metadata) {
    ObjectNode header = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode m = header.putObject("__metadata__");
      metadata.forEach(m::put);
    }
    long offset = 0;
    for (Map.Entry<String, float[]> t : tensors.entrySet()) {
      int[] shape = shapes.get(t.getKey());
      long count = 1;
      for (int d : shape) {
        count *= d;
      }
      if (count != t.getValue().length) {
        throw new IllegalArgumentException("Cannot write " + name + ": tensor '" + t.getKey() + "' shape "
            + java.util.Arrays.toString(shape) + " holds " + count + " values but " + t.getValue().length + " were given");
      }
      ObjectNode e = header.putObject(t.getKey());
      e.put("dtype", "F32");
      shape(e.putArray("shape"), shape);
      e.putArray("data_offsets").add(offset).add(offset + 4L * count);
      offset += 4L * count;
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(header);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    int pad = (8 - json.length % 8) % 8; // the format allows trailing spaces; aligning the data helps mmap readers
    ByteBuffer b = ByteBuffer.allocate((int) (8 + json.length + pad + offset)).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length + pad).put(json);
    for (int i = 0; i < pad; i++) {
      b.put((byte) ' ');
    }
    for (float[] t : tensors.values()) {
      for (float v : t) {
        b.putFloat(v);
      }
    }
    return b.array();
  }

  private static void shape(com.fasterxml.jackson.databind.node.ArrayNode a, int[] shape) {
    for (int d : shape) {
      a.add(d);
    }
  }

  private static void metadata(JsonNode m, Map<String, String> out, String name) {
    if (!m.isObject()) {
      throw new TensorFormatException(name, "__metadata__ must be an object of strings");
    }
    m.fields().forEachRemaining(e -> {
      if (!e.getValue().isTextual()) {
        throw new TensorFormatException(name, "__metadata__ value of '" + e.getKey() + "' is not a string");
      }
      out.put(e.getKey(), e.getValue().asText());
    });
  }

  private static void checkCoverage(List<long[]> ranges, long dataSize, String name) {
    ranges.sort((a, b) -> Long.compare(a[0], b[0]));
    long expected = 0;
    for (long[] r : ranges) {
      if (r[0] < expected) {
        throw new TensorFormatException(name, "tensor byte ranges overlap at offset " + r[0]);
      }
      if (r[0] > expected) {
        throw new TensorFormatException(name, "bytes " + expected + ".." + r[0] + " belong to no tensor");
      }
      expected = r[1];
    }
    if (expected != dataSize) {
      throw new TensorFormatException(name, "data section has " + dataSize + " bytes but the tensors cover " + expected);
    }
  }

  private static ByteBuffer read(SeekableByteChannel ch, long position, int length, String name) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    ch.position(position);
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new TensorFormatException(name, "ends early (truncated?)");
      }
    }
    b.flip();
    return b;
  }
}

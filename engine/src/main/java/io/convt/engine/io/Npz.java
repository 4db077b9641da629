package io.convt.engine.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy {@code .npz} archives ({@code np.savez} / {@code savez_compressed}): a zip of {@code .npy} entries. Read
 * defensively: entry count and sizes are capped and decompression stops at the cap (zip bombs), each entry must
 * be {@code <key>.npy}, and every entry is parsed by {@link Npy}'s strict reader.
 */
public final class Npz {
  /** More entries than any weight archive needs. */
  static final int MAX_ENTRIES = 1024;
  /** Per-entry limit on decompressed bytes (1 GiB). */
  static final long MAX_ENTRY_BYTES = 1L << 30;
  /**
   * Largest decompressed/compressed ratio accepted for entries above {@link #MIN_BOMB_BYTES}: float tensors compress
   * to no less than about half; 100 is Apache POI's zip-bomb threshold (its minimum inflate ratio 0.01).
   */
  static final long MAX_INFLATE_RATIO = 100;
  /** Entries up to this size (1 MiB) are not held to {@link #MAX_INFLATE_RATIO}: a small zero bias compresses well. */
  static final long MIN_BOMB_BYTES = 1L << 20;

  private Npz() {}

  /** All arrays by key (the entry name without {@code .npy}), in archive order. */
  public static Map<String, NpyArray> read(Path file) {
    String name = file.toString();
    Map<String, NpyArray> out = new LinkedHashMap<>();
    InputFiles.requireRegularFile(file);
    try (ZipFile zip = new ZipFile(file.toFile())) {
      if (zip.size() > MAX_ENTRIES) {
        throw new TensorFormatException(name, "has " + zip.size() + " entries, more than the " + MAX_ENTRIES + " allowed");
      }
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        String entry = e.getName();
        if (e.isDirectory() || !entry.endsWith(".npy") || entry.contains("/") || entry.contains("\\")) {
          throw new TensorFormatException(name, "entry '" + entry + "' is not a top-level <key>.npy array");
        }
        String key = entry.substring(0, entry.length() - 4);
        if (out.containsKey(key)) {
          throw new TensorFormatException(name, "duplicate entry '" + entry + "'");
        }
        out.put(key, Npy.read(readBounded(zip, e, name), name + "[" + key + "]"));
      }
    } catch (ZipException e) {
      throw new TensorFormatException(name, "not a valid .npz (zip) archive: " + e.getMessage(), e);
    } catch (IOException e) {
      throw Npy.unreadable(name, e);
    }
    return out;
  }

  /** Writes float32 arrays as an uncompressed {@code .npz} (as {@code np.savez}), atomically. */
  public static void writeFloat32(Path file, Map<String, float[]> arrays, Map<String, int[]> shapes) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, float[]> a : arrays.entrySet()) {
        Path tmp = java.nio.file.Files.createTempFile("npz", ".npy");
        try {
          Npy.writeFloat32(tmp, shapes.get(a.getKey()), a.getValue());
          zip.putNextEntry(new ZipEntry(a.getKey() + ".npy"));
          java.nio.file.Files.copy(tmp, (OutputStream) zip);
          zip.closeEntry();
        } finally {
          java.nio.file.Files.deleteIfExists(tmp);
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
    }
    AtomicFiles.write(file, bytes.toByteArray());
  }

  /**
   * The entry's bytes, refused before allocating when its declared size exceeds {@link #MAX_ENTRY_BYTES} or the
   * heap budget (the entry and the floats decoded from it are held at once), or when it inflates more than
   * {@link #MAX_INFLATE_RATIO} times its compressed size (a zip bomb: real tensors compress little). An entry that
   * inflates beyond its declared size, or to less, is corrupt.
   */
  private static byte[] readBounded(ZipFile zip, ZipEntry e, String name) throws IOException {
    long declared = e.getSize();
    if (declared > MAX_ENTRY_BYTES) {
      throw new TensorFormatException(name, "entry '" + e.getName() + "' declares " + declared
          + " bytes, more than the " + MAX_ENTRY_BYTES + " allowed");
    }
    long compressed = e.getCompressedSize();
    if (declared > MIN_BOMB_BYTES && compressed >= 0 && declared > HeapBudget.bytes(compressed, MAX_INFLATE_RATIO)) {
      throw new TensorFormatException(name, "entry '" + e.getName() + "' declares " + declared + " bytes from "
          + compressed + " compressed, a ratio above " + MAX_INFLATE_RATIO + " (zip bomb or corrupt archive)");
    }
    long budget = declared >= 0 ? declared : MAX_ENTRY_BYTES;
    HeapBudget.require(name, "entry '" + e.getName() + "' of " + (declared >= 0 ? declared : "unknown")
        + " bytes", declared >= 0 ? HeapBudget.bytes(declared, 5) : 0);
    try (InputStream in = zip.getInputStream(e)) {
      if (declared >= 0) {
        byte[] out = new byte[(int) declared];
        int n = in.readNBytes(out, 0, out.length);
        if (n < declared) {
          throw new TensorFormatException(name, "entry '" + e.getName() + "' inflates to " + n + " bytes, less "
              + "than the " + declared + " it declares (corrupt archive)");
        }
        if (in.read() >= 0) {
          throw new TensorFormatException(name, "entry '" + e.getName() + "' inflates beyond its declared size "
              + declared + " (zip bomb or corrupt archive)");
        }
        return out;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[1 << 16];
      long total = 0;
      int r;
      while ((r = in.read(buf)) > 0) {
        total += r;
        if (total > budget || total * 5 > HeapBudget.limitBytes()) {
          throw new TensorFormatException(name, "entry '" + e.getName() + "' inflates beyond " + (total - r)
              + " bytes without a declared size, more than this JVM can hold (zip bomb or corrupt archive)");
        }
        out.write(buf, 0, r);
      }
      return out.toByteArray();
    }
  }
}

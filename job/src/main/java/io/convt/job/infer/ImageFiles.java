package io.convt.job.infer;

import io.convt.engine.io.ImageCodec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Reads one image input record with every guard a hostile file needs, in this order: a path that is not a regular
 * file (a FIFO, a device, a socket, a symbolic link to one, e.g. {@code x.png -> /dev/zero}) is quarantined
 * {@code not_a_file} without being opened, so a FIFO can never block a task; a file larger than the pixel limit
 * allows, or whose header declares more than {@code image.max-pixels} pixels, is quarantined {@code too_large}
 * without being decoded; anything else undecodable is {@code unreadable}. Local files are read with java.nio (no
 * Hadoop checksum side-file lookup, which fails on legal names such as {@code a:b.png}).
 */
final class ImageFiles {
  private ImageFiles() {}

  /** The record of the image at {@code path} (a Hadoop path string, e.g. {@code file:/data/a.png}). */
  static InputRecord read(String path, InferSettings s, Configuration conf) {
    long maxBytes = Math.min(Integer.MAX_VALUE - 16L, s.maxPixels() * 8 + (1 << 20));
    byte[] bytes;
    try {
      java.net.URI uri = new org.apache.hadoop.fs.Path(path).toUri();
      // java.nio for the local file system as Hadoop ships it; a file system the user configured for file: paths
      // (spark.hadoop.fs.file.impl) is honoured through Hadoop like any other
      boolean plainLocal = conf.get("fs.file.impl") == null;
      if ((uri.getScheme() == null || uri.getScheme().equals("file")) && plainLocal) {
        java.nio.file.Path p = java.nio.file.Path.of(uri.getPath());
        if (!Files.isRegularFile(p)) { // follows links: a link to /dev/zero is not a regular file
          return InputRecord.refused(path, "not_a_file", notAFile(p));
        }
        long size = Files.size(p);
        if (size > maxBytes) {
          return tooLargeFile(path, size, s);
        }
        bytes = Files.readAllBytes(p);
      } else {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        FileSystem fs = p.getFileSystem(conf);
        FileStatus st = fs.getFileStatus(p);
        if (!st.isFile()) {
          return InputRecord.refused(path, "not_a_file", "is not a regular file");
        }
        if (st.getLen() > maxBytes) {
          return tooLargeFile(path, st.getLen(), s);
        }
        try (InputStream in = fs.open(p)) {
          bytes = in.readNBytes((int) st.getLen() + 1);
        }
      }
    } catch (IOException | RuntimeException e) {
      return InputRecord.unreadable(path, "cannot read file: " + e.getMessage());
    }
    if (bytes.length > maxBytes) { // grew while being read
      return tooLargeFile(path, bytes.length, s);
    }
    ImageHeaders.Size size = ImageHeaders.read(bytes);
    if (size != null && size.pixels() > s.maxPixels()) {
      return InputRecord.refused(path, "too_large", "declares " + size.width() + "x" + size.height() + " = "
          + size.pixels() + " pixels, above image.max-pixels " + s.maxPixels() + " (not decoded)");
    }
    try {
      ImageCodec.Image img = ImageCodec.decode(bytes, path, s.scaling(), s.bgr());
      return new InputRecord(path, new int[] {img.channels(), img.height(), img.width()}, img.chw(), null);
    } catch (IllegalArgumentException e) {
      return InputRecord.unreadable(path, e.getMessage());
    } catch (OutOfMemoryError e) { // a header that lied about its size; the file alone is refused
      return InputRecord.refused(path, "too_large", "decoding it exhausted the heap (" + e.getMessage() + ")");
    }
  }

  private static InputRecord tooLargeFile(String path, long bytes, InferSettings s) {
    return InputRecord.refused(path, "too_large", "the file has " + bytes + " bytes, more than an image of "
        + "image.max-pixels " + s.maxPixels() + " pixels can need (not read)");
  }

  private static String notAFile(java.nio.file.Path p) {
    String what = Files.isDirectory(p) ? "a directory" : !Files.exists(p)
        ? (Files.isSymbolicLink(p) ? "a dangling symbolic link" : "missing") : "a FIFO, device or socket";
    return "is " + what + (Files.isSymbolicLink(p) && Files.exists(p) ? " (through a symbolic link)" : "")
        + ", not a regular file (not opened)";
  }
}

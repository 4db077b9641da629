package io.convt.engine.layer;

import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.TensorFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Loads weight and bias arrays from the files a user names, by extension, and fingerprints them. */
public final class WeightFiles {
  private WeightFiles() {}

  /** A float array read from {@code file}; fails naming the file if it is missing or not a float tensor. */
  public static NpyArray readFloat(Path file, String role) {
    if (!Files.isRegularFile(file)) {
      throw new TensorFormatException(file.toString(), role + " file does not exist or is not a regular file");
    }
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    if (name.endsWith(".npy")) {
      return Npy.readFloat(file);
    }
    throw new TensorFormatException(file.toString(), "unsupported " + role + " file type (expected .npy)");
  }

  /** SHA-256 (hex) over the given files' bytes in order, for run summaries; {@code null} entries are skipped. */
  public static String sha256(Path... files) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (Path f : files) {
        if (f == null) {
          continue;
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(f), md)) {
          while (in.read(buf) >= 0) {
            // the digest stream consumes the bytes
          }
        }
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new TensorFormatException(String.valueOf(files[0]), "cannot read: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}

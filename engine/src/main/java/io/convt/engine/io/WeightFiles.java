package io.convt.engine.io;

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

  /** The entry names used for weights and bias inside {@code .npz} and {@code .safetensors} files. */
  public static final String WEIGHT_KEY = "weight";
  public static final String BIAS_KEY = "bias";

  /**
   * Reads one tensor: a {@code .npy} file, or entry {@code key} of a {@code .npz} / {@code .safetensors} file.
   * Fails naming the file if it is missing, malformed or lacks the entry.
   */
  public static NpyArray read(Path file, String role, String key) {
    NpyArray a = readOptional(file, role, key);
    if (a == null) {
      throw new TensorFormatException(file.toString(), "has no '" + key + "' entry for the " + role
          + entriesHint(file, role));
    }
    return a;
  }

  /** Like {@link #read} but returns {@code null} when a multi-tensor file has no {@code key} entry. */
  public static NpyArray readOptional(Path file, String role, String key) {
    if (!Files.isRegularFile(file)) {
      throw new TensorFormatException(file.toString(), role + " file does not exist or is not a regular file");
    }
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    if (name.endsWith(".npy")) {
      return Npy.read(file);
    }
    if (name.endsWith(".npz")) {
      return Npz.read(file).get(key);
    }
    if (name.endsWith(".safetensors")) {
      return Safetensors.read(file).tensors().get(key);
    }
    if (isTorchCheckpoint(name)) {
      return TorchCheckpoint.readTensor(file, key);
    }
    throw new TensorFormatException(file.toString(), "unsupported " + role
        + " file type (expected .npy, .npz, .safetensors, or a PyTorch .pt/.pth checkpoint)");
  }

  private static boolean isTorchCheckpoint(String lowerCaseName) {
    return lowerCaseName.endsWith(".pt") || lowerCaseName.endsWith(".pth");
  }

  /** For a missing entry: the float tensors a multi-tensor file has and the flag that picks one. */
  private static String entriesHint(Path file, String role) {
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    java.util.Set<String> keys;
    if (name.endsWith(".npz")) {
      keys = Npz.read(file).keySet();
    } else if (name.endsWith(".safetensors")) {
      keys = Safetensors.read(file).tensors().keySet();
    } else if (isTorchCheckpoint(name)) {
      java.util.Set<String> floats = new java.util.LinkedHashSet<>();
      TorchCheckpoint.tensorKeys(file).forEach((k, dtype) -> {
        if (dtype.startsWith("float") || dtype.equals("bfloat16")) {
          floats.add(k);
        }
      });
      keys = floats;
    } else {
      return "";
    }
    String list = keys.stream().limit(8).collect(java.util.stream.Collectors.joining(", "))
        + (keys.size() > 8 ? ", ... (" + keys.size() + " in all)" : "");
    return " (float tensors: " + (keys.isEmpty() ? "none" : list) + "; choose one with --" + role + "-key)";
  }

  /** A float tensor (float16/32/64, bfloat16); uint8 is refused here because it needs a quantisation rule. */
  public static NpyArray readFloat(Path file, String role, String key) {
    NpyArray a = read(file, role, key);
    if (a.bytes() != null) {
      throw new TensorFormatException(file.toString(), role + " dtype " + a.dtype()
          + " is not a float type; uint8 weights need a quantization (see TensorFileDataSource)");
    }
    return a;
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

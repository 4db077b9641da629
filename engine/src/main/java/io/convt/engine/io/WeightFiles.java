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
    String problem = InputFiles.problem(file);
    if (problem != null) {
      String prefix = problem.startsWith("file ") ? "" : "file ";
      throw new TensorFormatException(file.toString(), role + " " + prefix + problem);
    }
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    NpyArray a;
    if (name.endsWith(".npy")) {
      a = Npy.read(file);
    } else if (name.endsWith(".npz")) {
      a = Npz.read(file).get(key);
    } else if (name.endsWith(".safetensors")) {
      a = Safetensors.read(file).tensors().get(key);
    } else if (name.endsWith(".onnx")) {
      a = OnnxModel.read(file).initializer(key);
    } else if (isTorchCheckpoint(name)) {
      a = TorchCheckpoint.readTensor(file, key);
    } else {
      throw new TensorFormatException(file.toString(), "unsupported " + role
          + " file type (expected .npy, .npz, .safetensors, or a PyTorch .pt/.pth checkpoint)");
    }
    if (a != null) {
      requireFinite(a, file, role);
    }
    return a;
  }

  /**
   * Refuses a NaN or infinite value, naming it by its index in the file's own shape: the layout the user wrote
   * (e.g. {@code [ci, co, ky, kx]} for PyTorch weights), not the kernel's internal one.
   */
  static void requireFinite(NpyArray a, Path file, String role) {
    float[] v = a.floats();
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        throw new TensorFormatException(file.toString(), role + indexOf(i, a.shape()) + " is " + v[i]
            + " (index in the file's shape " + a.shapeString() + "); NaN and infinite " + role + " are rejected");
      }
    }
  }

  /** The C-order multi-index of flat index {@code flat} in {@code shape}, as {@code [i, j, k]}. */
  static String indexOf(int flat, int[] shape) {
    int[] idx = new int[shape.length];
    for (int d = shape.length - 1; d >= 0; d--) {
      idx[d] = shape[d] == 0 ? 0 : flat % shape[d];
      flat = shape[d] == 0 ? flat : flat / shape[d];
    }
    return java.util.Arrays.toString(idx);
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
        InputFiles.requireRegularFile(f);
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

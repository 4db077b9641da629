package io.convt.engine.train;

import io.convt.engine.io.NpyArray;
import io.convt.engine.io.Safetensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A training checkpoint: weights (MPS layout), bias, every optimizer state vector, the number of steps done and the
 * optimizer's time step, in one {@code .safetensors} file replaced atomically in its {@link TrainingStore}, so a
 * crash or a failed step leaves the previous checkpoint whole. The file is parsed as data ({@link Safetensors}), and
 * nothing in it is trusted before it is verified. Tensors: {@code weight}, {@code bias} (if any),
 * {@code optimizer.<name>}; metadata: {@code steps_done}, {@code time_step}, {@code optimizer}, {@code records},
 * {@code batch_size}, {@code loss}, and {@code sha256}: a SHA-256 over every other metadata entry and every tensor
 * (name, shape, float32 bytes), so a resume uses only a checkpoint it can prove is the one written
 * ({@link #readIfPresent}).
 *
 * @param weightsMps weights {@code [Cout][kH][kW][Cin/g]}
 * @param weightShape its shape
 * @param bias bias or null
 * @param optimizerState optimizer vectors by name
 * @param stepsDone steps completed
 * @param timeStep optimizer time step
 * @param metadata the run parameters a resume must match
 */
public record Checkpoint(float[] weightsMps, int[] weightShape, float[] bias, Map<String, float[]> optimizerState,
    long stepsDone, long timeStep, Map<String, String> metadata) {
  /** The file inside a checkpoint directory. */
  public static final String FILE = "checkpoint.safetensors";
  /** The metadata key of the digest. */
  public static final String DIGEST = "sha256";

  /** Replaces {@link #FILE} in {@code store} atomically. */
  public void write(TrainingStore store) {
    store.replace(FILE, toBytes(store.location(FILE)));
  }

  /** The file's bytes; {@code name} is used in messages. */
  public byte[] toBytes(String name) {
    Map<String, float[]> t = new LinkedHashMap<>();
    Map<String, int[]> s = new LinkedHashMap<>();
    t.put("weight", weightsMps);
    s.put("weight", weightShape);
    if (bias != null) {
      t.put("bias", bias);
      s.put("bias", new int[] {bias.length});
    }
    optimizerState.forEach((k, v) -> {
      t.put("optimizer." + k, v);
      s.put("optimizer." + k, new int[] {v.length});
    });
    Map<String, String> m = new LinkedHashMap<>(metadata);
    m.put("steps_done", Long.toString(stepsDone));
    m.put("time_step", Long.toString(timeStep));
    m.remove(DIGEST);
    m.put(DIGEST, digest(t, s, m));
    return Safetensors.float32Bytes(name, t, s, m);
  }

  /**
   * SHA-256 (hex) of the metadata entries other than the digest (sorted by key) and of every tensor (sorted by
   * name: name, shape, little-endian float32 bytes).
   */
  public static String digest(Map<String, float[]> tensors, Map<String, int[]> shapes, Map<String, String> metadata) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
        if (!e.getKey().equals(DIGEST)) {
          md.update((e.getKey() + "=" + e.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
        }
      }
      for (String name : new TreeMap<>(tensors).keySet()) {
        md.update((name + Arrays.toString(shapes.get(name)) + "\n").getBytes(StandardCharsets.UTF_8));
        float[] v = tensors.get(name);
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        md.update(b.array());
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@link #readIfPresent(TrainingStore)} of a local directory. */
  public static Checkpoint readIfPresent(Path dir) {
    return readIfPresent(new LocalTrainingStore(dir));
  }

  /**
   * The checkpoint in {@code store}, or null when there is none. It is verified before anything uses it: the file
   * parses, its digest matches its contents, {@code steps_done} and {@code time_step} are whole numbers, every value
   * is finite and every second-moment vector non-negative; the checks against the run (shapes, step counts) are
   * {@link #verifyAgainst}'s.
   *
   * @throws IllegalArgumentException "checkpoint FILE is corrupt: ..." (one line)
   */
  public static Checkpoint readIfPresent(TrainingStore store) {
    String f = store.location(FILE);
    byte[] bytes = store.read(FILE);
    if (bytes == null) {
      return null;
    }
    Safetensors.Contents c;
    try {
      c = Safetensors.read(bytes, f);
    } catch (IllegalArgumentException e) {
      throw corrupt(f, e.getMessage());
    }
    NpyArray w = c.tensors().get("weight");
    if (w == null || !c.metadata().containsKey("steps_done") || !c.metadata().containsKey("time_step")) {
      throw corrupt(f, "not a convt training checkpoint (no weight tensor, steps_done or time_step)");
    }
    Map<String, float[]> values = new LinkedHashMap<>();
    Map<String, int[]> shapes = new LinkedHashMap<>();
    c.tensors().forEach((k, v) -> {
      values.put(k, v.floats());
      shapes.put(k, v.shape());
    });
    String stored = c.metadata().get(DIGEST);
    if (stored == null) {
      throw corrupt(f, "it carries no " + DIGEST + " digest (written by an older convt?), so it cannot be verified");
    }
    if (!stored.equals(digest(values, shapes, c.metadata()))) {
      throw corrupt(f, "its SHA-256 digest does not match its contents (changed after it was written)");
    }
    Map<String, String> meta = new LinkedHashMap<>(c.metadata());
    meta.remove(DIGEST);
    long steps = whole(f, "steps_done", meta.remove("steps_done"));
    long t = whole(f, "time_step", meta.remove("time_step"));
    Map<String, float[]> opt = new LinkedHashMap<>();
    for (Map.Entry<String, float[]> e : values.entrySet()) {
      float[] v = e.getValue();
      for (int i = 0; i < v.length; i++) {
        if (!Float.isFinite(v[i])) {
          throw corrupt(f, "tensor '" + e.getKey() + "' holds " + v[i] + " at index " + i);
        }
      }
      if (e.getKey().startsWith("optimizer.")) {
        opt.put(e.getKey().substring("optimizer.".length()), v);
      }
    }
    NpyArray b = c.tensors().get("bias");
    return new Checkpoint(w.floats(), w.shape(), b == null ? null : b.floats(), opt, steps, t, meta);
  }

  /**
   * Checks this checkpoint against the run resuming from it: the weight and bias shapes are the layer's, every
   * optimizer vector has its weights' length, second moments are non-negative, and the step counts agree with each
   * other and with the run's total.
   *
   * @param file named in the error
   * @param secondMoments names of optimizer vectors that can never be negative ({@code v.*}, {@code vmax.*} for
   *     Adam, {@code m.*} for RMSProp)
   */
  public void verifyAgainst(String file, int[] layerWeightShape, int biasLength, long totalSteps,
      Predicate<String> secondMoments) {
    if (!Arrays.equals(weightShape, layerWeightShape)) {
      throw corrupt(file, "tensor 'weight' has shape " + Arrays.toString(weightShape) + ", the layer's is "
          + Arrays.toString(layerWeightShape));
    }
    if ((bias == null ? 0 : bias.length) != biasLength) {
      throw corrupt(file, "tensor 'bias' has " + (bias == null ? 0 : bias.length) + " values, the layer has "
          + biasLength + " output channels" + (biasLength == 0 ? " and no bias" : ""));
    }
    for (Map.Entry<String, float[]> e : optimizerState.entrySet()) {
      String name = e.getKey();
      int want = name.endsWith(".0") ? weightsMps.length : name.endsWith(".1") ? biasLength : -1;
      if (e.getValue().length != want) {
        throw corrupt(file, "optimizer vector '" + name + "' has " + e.getValue().length + " values, expected "
            + want);
      }
      if (secondMoments.test(name)) {
        float[] v = e.getValue();
        for (int i = 0; i < v.length; i++) {
          if (v[i] < 0) {
            throw corrupt(file, "optimizer vector '" + name + "' (a running mean of squares) holds " + v[i]
                + " at index " + i);
          }
        }
      }
    }
    if (stepsDone < 0 || stepsDone > totalSteps) {
      throw corrupt(file, "steps_done " + stepsDone + " is outside 0.." + totalSteps + " (this run's total steps)");
    }
    if (timeStep != stepsDone) {
      throw corrupt(file, "steps_done " + stepsDone + " and the optimizer's time_step " + timeStep
          + " disagree (every step advances both)");
    }
  }

  private static long whole(String f, String key, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw corrupt(f, key + " '" + value + "' is not a whole number");
    }
  }

  static IllegalArgumentException corrupt(String file, String why) {
    return new IllegalArgumentException("checkpoint " + file + " is corrupt: " + why);
  }
}

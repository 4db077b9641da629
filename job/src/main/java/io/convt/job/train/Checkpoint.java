package io.convt.job.train;

import io.convt.engine.io.NpyArray;
import io.convt.engine.io.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training checkpoint: weights (MPS layout), bias, every optimizer state vector, the number of steps done and the
 * optimizer's time step, in one {@code .safetensors} file written atomically (temporary file, then rename), so a
 * crash or a failed step leaves the previous checkpoint whole. Tensors: {@code weight}, {@code bias} (if any),
 * {@code optimizer.<name>}; metadata: {@code steps_done}, {@code time_step}, {@code optimizer}, {@code records},
 * {@code batch_size}.
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

  /** Writes atomically to {@code dir/checkpoint.safetensors}. */
  public void write(Path dir) {
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
    Safetensors.writeFloat32(dir.resolve(FILE), t, s, m);
  }

  /** The checkpoint in {@code dir}, or null when there is none. */
  public static Checkpoint readIfPresent(Path dir) {
    Path f = dir.resolve(FILE);
    if (!Files.exists(f)) {
      return null;
    }
    Safetensors.Contents c = Safetensors.read(f);
    NpyArray w = c.tensors().get("weight");
    if (w == null || !c.metadata().containsKey("steps_done")) {
      throw new IllegalArgumentException("Cannot resume from " + f + ": not a convt training checkpoint");
    }
    NpyArray b = c.tensors().get("bias");
    Map<String, float[]> opt = new LinkedHashMap<>();
    c.tensors().forEach((k, v) -> {
      if (k.startsWith("optimizer.")) {
        opt.put(k.substring("optimizer.".length()), v.floats());
      }
    });
    Map<String, String> meta = new LinkedHashMap<>(c.metadata());
    long steps = Long.parseLong(meta.remove("steps_done"));
    long t = Long.parseLong(meta.remove("time_step"));
    return new Checkpoint(w.floats(), w.shape(), b == null ? null : b.floats(), opt, steps, t, meta);
  }
}

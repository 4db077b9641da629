package io.convt.job.gradients;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.convt.engine.io.AtomicFiles;
import io.convt.engine.io.Npy;
import io.convt.engine.io.Safetensors;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.WeightGeometry;
import io.convt.engine.layout.WeightLayout;
import io.convt.engine.layout.WeightLayouts;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a gradient pass's results, each file atomically: {@code grad_weights.npy} in the layout of
 * {@code --weights-layout} (same shape as the weights file), {@code grad_bias.npy} {@code [Cout]},
 * {@code gradients.safetensors} (tensors {@code weight} and {@code bias}, same layout, plus metadata) and
 * {@code run-summary.json}. {@code gradient_sha256} is the SHA-256 of the little-endian float32 bytes of
 * {@code grad_weights} (in the output layout) followed by those of {@code grad_bias}: two runs agree on it exactly
 * when their gradients are bit-identical.
 */
public final class GradientOutputs {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private GradientOutputs() {}

  /**
   * What a run produced.
   *
   * @param weightGradient in the output layout
   * @param weightShape its shape
   * @param biasGradient {@code [Cout]}
   * @param sha256 {@code gradient_sha256}
   * @param summary the run summary as written
   */
  public record Result(float[] weightGradient, int[] weightShape, float[] biasGradient, String sha256,
      Map<String, Object> summary) {}

  /**
   * Writes everything into {@code outDir} (created if needed), a directory on any Hadoop file system
   * ({@link GradientFiles}; local ones through java.nio).
   */
  public static Result write(String outDir, Configuration conf, Layer layer, float[] dwMps, float[] db,
      GradientsJob.Dataset data, GradientsRequest request, Double loss, double seconds, GradientTotals totals) {
    WeightLayout layout = layer.spec().layout();
    WeightGeometry g = layer.geometry();
    int groups = layer.spec().geometry().groups();
    float[] dw = WeightLayouts.fromMps(layout, dwMps, g.outputChannels(), g.kernelHeight(), g.kernelWidth(),
        g.inputChannels(), groups);
    int[] wShape = layout.shape(g.outputChannels(), g.kernelHeight(), g.kernelWidth(), g.inputChannels(), groups);
    int[] bShape = {db.length};
    String sha = sha256(dw, db);
    GradientFiles.write(outDir, "grad_weights.npy", conf, f -> Npy.writeFloat32(f, wShape, dw));
    GradientFiles.write(outDir, "grad_bias.npy", conf, f -> Npy.writeFloat32(f, bShape, db));
    Map<String, float[]> tensors = new LinkedHashMap<>();
    tensors.put("weight", dw);
    tensors.put("bias", db);
    Map<String, int[]> shapes = new LinkedHashMap<>();
    shapes.put("weight", wShape);
    shapes.put("bias", bShape);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("weights_layout", layout.label());
    meta.put("gradient_sha256", sha);
    meta.put("records", Integer.toString(data.records()));
    GradientFiles.write(outDir, "gradients.safetensors", conf,
        f -> Safetensors.writeFloat32(f, tensors, shapes, meta));

    Map<String, Object> s = new LinkedHashMap<>();
    s.put("command", "gradients");
    s.put("status", "ok");
    s.put("records", data.records());
    s.put("partitions", GradientPass.slices(0, data.records(), request.partitions()).size());
    s.put("input", request.input());
    s.put(request.gradOutput() != null ? "grad_output" : "target", request.outputSideFile());
    s.put("input_shape", data.inputShape());
    s.put("output_shape", data.outputShape());
    s.put("output_elements", data.outputElements());
    if (data.paired() != null) {
      s.putAll(data.paired().summary());
    }
    if (request.loss() != null) {
      s.put("loss_function", request.loss().kind().word());
      s.put("reduction", request.loss().reduction().name().toLowerCase(java.util.Locale.ROOT));
      s.put("loss", loss);
    }
    s.put("weights_layout", layout.label());
    s.put("grad_weights_shape", wShape);
    s.put("gradient_sha256", sha);
    s.put("grad_input_dir", request.gradInputDir());
    s.put("seconds", seconds);
    // the reduction: partial sums the gradient tasks wrote, the executors' tree merge, what reached the driver
    s.put("pass_seconds", totals.passSeconds());
    s.put("reduce_seconds", Double.isNaN(totals.reduceSeconds()) ? null : totals.reduceSeconds());
    s.put("reduce_share", totals.passSeconds() > 0 && !Double.isNaN(totals.reduceSeconds())
        ? totals.reduceSeconds() / totals.passSeconds() : null);
    s.put("reduce_rounds", totals.reduceRounds());
    s.put("partial_bytes", totals.partialBytes());
    DriverBytes driver = totals.driverBytes();
    s.put("driver_received_bytes", driver == null ? null : driver.received());
    s.put("driver_gradient_bytes", driver == null ? null : driver.gradient());
    s.put("driver_task_status_bytes", driver == null ? null : driver.taskStatus());
    s.put("driver_task_results", driver == null ? null : driver.tasks());
    s.put("layer", layer.spec().describe());
    byte[] summary;
    try {
      summary = JSON.writeValueAsBytes(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    GradientFiles.write(outDir, "run-summary.json", conf, f -> AtomicFiles.write(f, summary));
    return new Result(dw, wShape, db, sha, s);
  }

  /** SHA-256 of the arrays' little-endian float32 bytes, in order, as lower-case hex. */
  public static String sha256(float[]... arrays) {
    return io.convt.engine.io.Float32Sha256.hex(arrays);
  }

}

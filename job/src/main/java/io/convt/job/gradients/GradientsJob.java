package io.convt.job.gradients;

import io.convt.job.LayerWeights;
import io.convt.job.SparkErrors;
import io.convt.job.storage.HadoopConf;
import io.convt.job.storage.HadoopFiles;
import io.convt.engine.NeuronType;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyHeader;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.train.Loss;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * {@code convt-job gradients} on the driver: validates the dataset against the layer before any Spark action,
 * runs one {@link GradientPass} over every record, applies the loss reduction, and writes the outputs with
 * {@link GradientOutputs}.
 */
public final class GradientsJob {
  private GradientsJob() {}

  /** The checked shape of a dataset for a layer. */
  public record Dataset(int records, int[] inputShape, int[] outputShape) {
    /** Output elements of the whole dataset (the mean's divisor). */
    public long outputElements() {
      long n = 1;
      for (int d : outputShape) {
        n *= d;
      }
      return n;
    }
  }

  /**
   * Checks the input and output-side stacks against the layer, naming the file and both shapes on a mismatch.
   *
   * @throws IllegalArgumentException on an empty dataset, wrong rank, channels or shape
   */
  public static Dataset validate(Layer layer, GradientsRequest request) {
    Configuration conf = HadoopConf.activeDriverConf();
    String x = request.input();
    NpyHeader xh = HadoopFiles.npyHeader(x, conf);
    int[] xs = xh.shape();
    if (xs.length != 4) {
      throw new IllegalArgumentException("Cannot compute gradients: --input " + x + " must be [N,C,H,W], got shape "
          + Arrays.toString(xs));
    }
    if (xs[0] == 0) {
      throw new IllegalArgumentException("Cannot compute gradients: --input " + x + " is an empty dataset (shape "
          + Arrays.toString(xs) + ")");
    }
    if (xs[1] != layer.inputChannels()) {
      throw new IllegalArgumentException("Cannot compute gradients: --input " + x + " has " + xs[1]
          + " channels, the weights " + layer.spec().weights() + " expect " + layer.inputChannels());
    }
    int[] o = layer.outputShape(xs[2], xs[3]);
    int[] want = {xs[0], o[2], o[0], o[1]};
    String y = request.outputSideFile();
    int[] ys = HadoopFiles.npyHeader(y, conf).shape();
    if (!Arrays.equals(ys, want)) {
      throw new IllegalArgumentException("Cannot compute gradients: " + request.outputSideFlag() + " " + y
          + " has shape " + Arrays.toString(ys) + " but the layer's output for --input " + x + " "
          + Arrays.toString(xs) + " is " + Arrays.toString(want));
    }
    if (request.loss() != null && layer.spec().neuron().type() != NeuronType.NONE) {
      throw new IllegalArgumentException("Cannot compute gradients with --target and --neuron "
          + layer.spec().neuron() + ": the gradient kernel does not differentiate the fused neuron (as MPS); "
          + "give --grad-output with respect to the pre-activation instead");
    }
    return new Dataset(xs[0], xs, want);
  }

  /**
   * Runs the whole pass and writes {@code grad_weights.npy}, {@code grad_bias.npy}, {@code gradients.safetensors}
   * and {@code run-summary.json} into {@code outDir}.
   *
   * @return what was written
   */
  public static GradientOutputs.Result run(SparkSession spark, LayerSpec spec, GradientsRequest request, Path outDir) {
    long started = System.nanoTime();
    Layer layer = Layer.open(spec);
    Dataset data = validate(layer, request);
    GradientTotals totals = GradientPass.run(spark, request, LayerWeights.of(layer), 0, data.records());
    float[] dw = totals.weightGradient();
    float[] db = totals.biasGradient();
    Double lossValue = null;
    Loss loss = request.loss();
    if (loss != null) {
      loss.finishGradient(dw, data.outputElements());
      loss.finishGradient(db, data.outputElements());
      lossValue = loss.reduce(totals.loss().value(), data.outputElements());
    }
    GradientOutputs.Result r = GradientOutputs.write(outDir, layer, dw, db, data, request, lossValue,
        (System.nanoTime() - started) / 1e9, totals);
    return r;
  }
}

package io.convt.job.gradients;

import io.convt.job.LayerWeights;
import io.convt.job.OutputCommit;
import io.convt.job.OutputGuard;
import io.convt.job.OutputMode;
import io.convt.job.SparkErrors;
import io.convt.job.storage.HadoopConf;
import io.convt.job.storage.HadoopFiles;
import io.convt.job.infer.TensorDatasets;
import io.convt.engine.NeuronType;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyHeader;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layer.OutputShape;
import io.convt.engine.train.Loss;
import io.convt.job.LayerWeights;
import io.convt.job.SparkErrors;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * {@code convt-job gradients} on the driver: validates the dataset against the layer before any Spark action,
 * runs one {@link GradientPass} over every record, applies the loss reduction, and writes the outputs with
 * {@link GradientOutputs}.
 */
public final class GradientsJob {
  private GradientsJob() {}

  /**
   * The checked shape of a dataset for a layer.
   *
   * @param paired the resolved pairs (image directories or tensor datasets), or null for {@code .npy} stacks
   */
  public record Dataset(int records, int[] inputShape, int[] outputShape, PairedDataset paired) {
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
    return validate(layer, request, HadoopConf.activeDriverConf());
  }

  /**
   * As {@link #validate(Layer, GradientsRequest)}; image datasets are listed, paired and their headers checked
   * through {@code hadoop}'s file systems ({@link PairedDataset#resolve}).
   */
  public static Dataset validate(Layer layer, GradientsRequest request, Configuration hadoop) {
    if (PairedDataset.isNpy(request.input()) != PairedDataset.isNpy(request.outputSideFile())) {
      throw new IllegalArgumentException("Cannot compute gradients: --input " + request.input() + " and "
          + request.outputSideFlag() + " " + request.outputSideFile() + " must both be .npy stacks (paired by record "
          + "index), both image datasets (paired by relative path) or both tensor datasets (paired by id)");
    }
    if (!request.isNpy()) {
      requireDifferentiable(layer, request);
      PairedDataset p = pair(layer, request, hadoop);
      int n = p.size();
      return new Dataset(n, prepend(n, p.inputShape()), prepend(n, p.outputShape()), p);
    }
    Configuration conf = hadoop;
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
    OutputShape o = layer.outputShape(xs[2], xs[3]);
    int[] want = {xs[0], o.channels(), o.height(), o.width()};
    String y = request.outputSideFile();
    int[] ys = HadoopFiles.npyHeader(y, conf).shape();
    if (!Arrays.equals(ys, want)) {
      throw new IllegalArgumentException("Cannot compute gradients: " + request.outputSideFlag() + " " + y
          + " has shape " + Arrays.toString(ys) + " but the layer's output for --input " + x + " "
          + Arrays.toString(xs) + " is " + Arrays.toString(want));
    }
    requireDifferentiable(layer, request);
    return new Dataset(xs[0], xs, want, null);
  }

  /** Image directories pair by relative path, Parquet and Arrow tensor datasets by id; a mixed pair is refused. */
  private static PairedDataset pair(Layer layer, GradientsRequest request, Configuration hadoop) {
    TensorDatasets.Format x = TensorDatasets.format(request.input(), hadoop);
    TensorDatasets.Format y = TensorDatasets.format(request.outputSideFile(), hadoop);
    if (x == null && y == null) {
      return PairedDataset.resolve(layer, request.input(), request.outputSideFile(), request.outputSideFlag(),
          request.recursive(), request.quarantineUnpaired(), hadoop);
    }
    if (x == null || y == null) {
      throw new IllegalArgumentException("Cannot compute gradients: --input " + request.input() + " is "
          + kind(x) + " and " + request.outputSideFlag() + " " + request.outputSideFile() + " is " + kind(y)
          + "; pair image directories with image directories (by relative path) or tensor datasets with tensor "
          + "datasets (by id)");
    }
    if (request.recursive()) {
      throw new IllegalArgumentException("Invalid option: --recursive is for image directories; --input "
          + request.input() + " is " + kind(x));
    }
    return TensorPairing.resolve(layer, request, x, y, hadoop);
  }

  private static String kind(TensorDatasets.Format f) {
    return f == null ? "an image dataset" : "a " + (f == TensorDatasets.Format.PARQUET ? "Parquet" : "Arrow")
        + " tensor dataset";
  }

  private static void requireDifferentiable(Layer layer, GradientsRequest request) {
    if (request.loss() != null && layer.spec().neuron().type() != NeuronType.NONE) {
      throw new IllegalArgumentException("Cannot compute gradients with --target and --neuron "
          + layer.spec().neuron() + ": the gradient kernel does not differentiate the fused neuron (as MPS); "
          + "give --grad-output with respect to the pre-activation instead");
    }
  }

  private static int[] prepend(int n, int[] chw) {
    return new int[] {n, chw[0], chw[1], chw[2]};
  }

  /**
   * A gradient run that passed every driver check (before any Spark session).
   *
   * @param output the output directory, a local path or a Hadoop URI ({@code hdfs://...}, {@code s3a://...})
   */
  public record Prepared(Layer layer, Dataset data, GradientsRequest request, String output, OutputMode mode) {}

  /**
   * The driver's checks, before Spark starts: the layer and weights, the stacks against the layer, memory per
   * task, and the outputs ({@code --output}, {@code --write-grad-input}) against every input and each other.
   */
  public static Prepared prepare(LayerSpec spec, GradientsRequest request, String output, OutputMode mode,
      Configuration hadoop, PrintWriter notes) {
    Layer layer = Layer.open(spec);
    Dataset data = validate(layer, request, hadoop);
    request = request.withPaired(data.paired());
    checkMemory(data, request);
    new OutputGuard(hadoop, notes).check(
        List.of(new OutputGuard.Named("--output", output),
            new OutputGuard.Named("--write-grad-input", request.gradInputDir())),
        List.of(new OutputGuard.Named("--input", request.input()),
            new OutputGuard.Named(request.outputSideFlag(), request.outputSideFile()),
            new OutputGuard.Named("--weights", spec.weights().toString()),
            new OutputGuard.Named("--bias", spec.bias() == null ? null : spec.bias().toString())),
        mode, false);
    return new Prepared(layer, data, request, output, mode);
  }

  /** Refuses records or slices no task heap can hold, before anything is allocated. */
  private static void checkMemory(Dataset data, GradientsRequest request) {
    long x = 1;
    for (int i = 1; i < data.inputShape().length; i++) {
      x *= data.inputShape()[i];
    }
    long y = data.outputElements() / data.records();
    long budget = Runtime.getRuntime().maxMemory() / 2;
    // a task reads up to READ_CHUNK records of both stacks and holds a record's batches and gradients besides
    long chunk = 4L * (x + y) * (Math.min(PartitionGradients.READ_CHUNK, data.records()) + 3);
    if (4L * (x + y) * 4 > budget) {
      throw new IllegalArgumentException("Cannot compute gradients: one record of --input " + request.input()
          + " needs about " + mb(4L * (x + y) * 4) + " MB, more than half the heap (" + mb(2 * budget)
          + " MB); raise the heap (CONVT_DRIVER_JAVA_OPTS=-Xmx..., spark.executor.memory)");
    }
    if (chunk > budget) {
      throw new IllegalArgumentException("Cannot compute gradients: a task reads " + PartitionGradients.READ_CHUNK
          + " records of --input " + request.input() + " at once, about " + mb(chunk) + " MB, more than half the "
          + "heap (" + mb(2 * budget) + " MB); raise the heap");
    }
    if (request.gradInputDir() != null) {
      long slice = (data.records() + request.partitions() - 1L) / request.partitions() * x;
      if (slice > Integer.MAX_VALUE - 8 || 4 * slice > budget) {
        throw new IllegalArgumentException("Cannot write --write-grad-input: a partition's dL/dX (" + slice
            + " floats) does not fit a task's heap (" + mb(2 * budget) + " MB); raise --partitions");
      }
    }
  }

  private static long mb(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  /**
   * Runs the whole pass and writes {@code grad_weights.npy}, {@code grad_bias.npy}, {@code gradients.safetensors}
   * and {@code run-summary.json} into {@code outDir}, which must not exist ({@link OutputMode#ERROR}).
   *
   * @return what was written
   */
  public static GradientOutputs.Result run(SparkSession spark, LayerSpec spec, GradientsRequest request, Path outDir) {
    return run(spark, spec, request, outDir.toAbsolutePath().normalize().toString());
  }

  /** As {@link #run(SparkSession, LayerSpec, GradientsRequest, Path)} into a local path or a Hadoop URI. */
  public static GradientOutputs.Result run(SparkSession spark, LayerSpec spec, GradientsRequest request,
      String output) {
    return run(spark, prepare(spec, request, output, OutputMode.ERROR, HadoopConf.driverConf(spark),
        new java.io.PrintWriter(System.err, true)));
  }

  /**
   * Runs a prepared pass and commits its outputs ({@link OutputCommit}, on any Hadoop file system), replacing
   * existing ones only with {@link OutputMode#OVERWRITE}. Executors write the dL/dX stacks of
   * {@code --write-grad-input} into attempt directories of its staging area ({@link GradientFiles}); after the pass
   * the driver keeps one complete attempt per partition and commits that directory, then writes the gradient files
   * and commits {@code --output}, whose {@code _SUCCESS} is the last thing a run writes. A failed run removes what
   * it staged and leaves no {@code _SUCCESS} at either path.
   */
  public static GradientOutputs.Result run(SparkSession spark, Prepared p) {
    long started = System.nanoTime();
    GradientsRequest request = p.request();
    Dataset data = p.data();
    Layer layer = p.layer();
    Configuration conf = HadoopConf.driverConf(spark);
    String mode = p.mode() == OutputMode.OVERWRITE ? "overwrite" : "error";
    OutputCommit gradInput = null;
    OutputCommit commit = null;
    try {
      if (request.gradInputDir() != null) {
        gradInput = OutputCommit.begin(request.gradInputDir(), mode, conf);
      }
      commit = OutputCommit.begin(p.output(), mode, conf);
      GradientsRequest pass = gradInput == null ? request : request.withGradInputDir(stagingDir(gradInput));
      GradientTotals totals = GradientPass.run(spark, pass, LayerWeights.of(layer), 0, data.records());
      float[] dw = totals.weightGradient();
      float[] db = totals.biasGradient();
      Double lossValue = null;
      Loss loss = request.loss();
      if (loss != null) {
        loss.finishGradient(dw, data.outputElements());
        loss.finishGradient(db, data.outputElements());
        lossValue = loss.reduce(totals.loss().value(), data.outputElements());
      }
      if (gradInput != null) {
        int partitions = GradientPass.slices(0, data.records(), request.partitions()).size();
        gradInput.commit(GradientFiles.completeAttempts(stagingDir(gradInput), partitions, conf), true);
      }
      GradientOutputs.Result r = GradientOutputs.write(stagingDir(commit), conf, layer, dw, db, data, request,
          lossValue, (System.nanoTime() - started) / 1e9, totals);
      commit.commit();
      return r;
    } catch (RuntimeException e) {
      if (gradInput != null) {
        gradInput.abort();
      }
      if (commit != null) {
        commit.abort();
      }
      throw e;
    }
  }

  /** The directory a commit writes into (its staging directory, or the output itself on an object store). */
  private static String stagingDir(OutputCommit commit) {
    return new org.apache.hadoop.fs.Path(commit.staging("x")).getParent().toString();
  }
}

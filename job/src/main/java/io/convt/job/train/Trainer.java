package io.convt.job.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.convt.engine.ArrayDataSource;
import io.convt.engine.WeightsAndBiasesState;
import io.convt.engine.cli.LossCurve;
import io.convt.engine.io.AtomicFiles;
import io.convt.engine.io.Npy;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layer.WeightGeometry;
import io.convt.engine.layout.WeightLayouts;
import io.convt.engine.train.TrainingOptimizer;
import io.convt.job.LayerWeights;
import io.convt.job.SparkErrors;
import io.convt.job.gradients.GradientOutputs;
import io.convt.job.gradients.GradientPass;
import io.convt.job.gradients.GradientTotals;
import io.convt.job.gradients.GradientsJob;
import io.convt.job.gradients.GradientsRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * {@code convt-job train} on the driver. Per step: broadcast the current weights, run a {@link GradientPass} over
 * the step's mini-batch (the reproducible reduction), apply the loss reduction, hand the gradients to the layer's
 * data source through its CPU update hook ({@code updateWithGradientState}, which runs the optimizer), and take
 * the source's new weights for the next broadcast. Every step is a deterministic function of (weights, optimizer
 * state, step number), so a run resumed from a checkpoint ends with the same bits as an uninterrupted one.
 */
public final class Trainer {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final PrintStream progress;

  /** @param progress where one line per step goes (stderr for the CLI) */
  public Trainer(PrintStream progress) {
    this.progress = progress;
  }

  /** What a run ended with. */
  public record Result(float[] weightsMps, float[] bias, long stepsDone, long timeStep, double firstLoss,
      double lastLoss, Map<String, Object> summary) {}

  /**
   * Trains, checkpointing every {@code checkpointEvery} steps and after the last; stops early at
   * {@code maxSteps}. A failing step (NaN loss, bad record) throws before anything is written for it.
   */
  public Result run(SparkSession spark, LayerSpec spec, TrainRequest req) {
    return run(spark, plan(spec, req, spark.sparkContext().hadoopConfiguration()));
  }

  /**
   * A run checked on the driver before Spark starts: the layer, the stacks against it, and (with
   * {@code --resume}) the checkpoint, verified ({@link Checkpoint#readIfPresent}, {@link Checkpoint#verifyAgainst})
   * and matched against this run's parameters.
   */
  public record Plan(LayerSpec spec, TrainRequest request, Layer initial, GradientsRequest grads, int records,
      int batch, long stepsPerEpoch, long totalSteps, long perRecord, Map<String, String> meta,
      Checkpoint checkpoint) {}

  /** The driver's checks of a training run (no Spark), with the default Hadoop configuration. */
  public static Plan plan(LayerSpec spec, TrainRequest req) {
    return plan(spec, req, new org.apache.hadoop.conf.Configuration());
  }

  /** The driver's checks of a training run (no Spark); datasets are listed through {@code hadoop}. */
  public static Plan plan(LayerSpec spec, TrainRequest req, org.apache.hadoop.conf.Configuration hadoop) {
    Layer initial = Layer.open(spec);
    GradientsRequest unresolved = GradientsRequest.withTarget(req.input(), req.target(), req.loss(), req.partitions())
        .withDatasetOptions(req.recursive(), req.quarantineUnpaired());
    GradientsJob.Dataset data = GradientsJob.validate(initial, unresolved, hadoop);
    // image datasets: the sorted pairs, so a step's records [first, first+count) are the same ids every epoch
    GradientsRequest grads = unresolved.withPaired(data.paired());
    int records = data.records();
    int batch = req.batchFor(records);
    long stepsPerEpoch = (records + batch - 1) / batch;
    long totalSteps = stepsPerEpoch * req.epochs();
    long perRecord = data.outputElements() / records;
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("optimizer", req.optimizer().kind().name().toLowerCase(Locale.ROOT));
    meta.put("records", Integer.toString(records));
    meta.put("batch_size", Integer.toString(batch));
    meta.put("loss", req.loss().toString());
    Checkpoint c = null;
    if (req.resume()) {
      c = Checkpoint.readIfPresent(req.checkpointDir());
      if (c != null) {
        Path file = req.checkpointDir().resolve(Checkpoint.FILE);
        for (Map.Entry<String, String> e : meta.entrySet()) {
          if (!e.getValue().equals(c.metadata().get(e.getKey()))) {
            throw new IllegalArgumentException("Cannot resume from " + file + ": it was written with " + e.getKey()
                + "=" + c.metadata().get(e.getKey()) + ", this run has " + e.getValue());
          }
        }
        TrainingOptimizer.Kind kind = req.optimizer().kind();
        c.verifyAgainst(file, mpsShape(initial), initial.outputChannels() * (initial.bias() == null ? 0 : 1),
            totalSteps, name -> kind == TrainingOptimizer.Kind.ADAM ? name.startsWith("v")
                : kind == TrainingOptimizer.Kind.RMSPROP && name.startsWith("m."));
      }
    }
    return new Plan(spec, req, initial, grads, records, batch, stepsPerEpoch, totalSteps, perRecord, meta, c);
  }

  /** Runs a checked plan. */
  public Result run(SparkSession spark, Plan plan) {
    LayerSpec spec = plan.spec();
    TrainRequest req = plan.request();
    Layer initial = plan.initial();
    GradientsRequest grads = plan.grads();
    int records = plan.records();
    int batch = plan.batch();
    long stepsPerEpoch = plan.stepsPerEpoch();
    long totalSteps = plan.totalSteps();
    long perRecord = plan.perRecord();
    Map<String, String> meta = plan.meta();

    TrainingOptimizer optimizer = new TrainingOptimizer(req.optimizer());
    ArrayDataSource source = new ArrayDataSource(initial.kernel().descriptor(), initial.weightsMps(), initial.bias(),
        initial.kernel().label(), (g, used) -> {
          float[][] next = optimizer.step(new float[][] {used.weights(), used.biases()},
              new float[][] {g.gradientForWeights(), used.biases() == null ? null : g.gradientForBiases()});
          return new WeightsAndBiasesState(next[0], next[1]);
        });
    long done = 0;
    Checkpoint c = plan.checkpoint();
    if (c != null) {
      source.setWeights(c.weightsMps(), c.bias());
      optimizer.restore(c.optimizerState(), c.timeStep());
      done = c.stepsDone();
      progress.println("train: resumed from " + req.checkpointDir().resolve(Checkpoint.FILE) + " after step "
          + done + " (optimizer time step " + c.timeStep() + ")");
    }
    LossCurve curve = LossCurve.open(req.outputDir(), done);
    long stop = req.maxSteps() == 0 ? totalSteps : Math.min(totalSteps, req.maxSteps());
    double firstLoss = Double.NaN;
    double lastLoss = Double.NaN;
    long started = System.nanoTime();
    while (done < stop) {
      long step = done; // 0-based index of the step being taken
      int epoch = (int) (step / stepsPerEpoch);
      long first = (step % stepsPerEpoch) * batch;
      int count = (int) Math.min(batch, records - first);
      WeightsAndBiasesState used = source.current();
      LayerWeights weights = new LayerWeights(spec, used.weights(), used.biases(),
          LayerWeights.geometryArray(initial.geometry()));
      GradientTotals t = GradientPass.run(spark, grads, weights, first, count);
      long elements = perRecord * count;
      float[] dw = t.weightGradient();
      float[] db = t.biasGradient();
      req.loss().finishGradient(dw, elements);
      req.loss().finishGradient(db, elements);
      double loss = req.loss().reduce(t.loss().value(), elements);
      if (!source.updateWithGradientState(new StepGradients(dw, db), used)) {
        throw new IllegalStateException("Cannot train: the layer's data source declined the update");
      }
      done = step + 1;
      firstLoss = Double.isNaN(firstLoss) ? loss : firstLoss;
      lastLoss = loss;
      curve.add(new LossCurve.Point(done, epoch + 1, count, loss));
      progress.printf(Locale.ROOT, "train: step %d/%d epoch %d/%d records %d-%d loss %.6g (%.1f s)%n", done,
          totalSteps, epoch + 1, req.epochs(), first, first + count - 1, loss, (System.nanoTime() - started) / 1e9);
      if (done % req.checkpointEvery() == 0 || done == stop) {
        WeightsAndBiasesState now = source.current();
        new Checkpoint(now.weights(), mpsShape(initial), now.biases(),
            optimizer.state(), done, optimizer.timeStep(), meta).write(req.checkpointDir());
      }
    }
    curve.plot("convt train: " + req.loss() + " loss, " + meta.get("optimizer") + ", batch " + batch);
    WeightsAndBiasesState fin = source.current();
    Map<String, Object> summary = writeOutputs(initial, req, fin, done, totalSteps, optimizer, firstLoss, lastLoss,
        (System.nanoTime() - started) / 1e9, meta, grads.paired());
    return new Result(fin.weights(), fin.biases(), done, optimizer.timeStep(), firstLoss, lastLoss, summary);
  }

  private static int[] mpsShape(Layer l) {
    WeightGeometry g = l.geometry();
    return new int[] {g.outputChannels(), g.kernelHeight(), g.kernelWidth(),
        g.inputChannels() / l.spec().geometry().groups()};
  }

  private static Map<String, Object> writeOutputs(Layer initial, TrainRequest req, WeightsAndBiasesState fin,
      long done, long total, TrainingOptimizer opt, double firstLoss, double lastLoss, double seconds,
      Map<String, String> meta, io.convt.job.gradients.PairedDataset paired) {
    WeightGeometry g = initial.geometry();
    int groups = initial.spec().geometry().groups();
    int cout = g.outputChannels();
    int kh = g.kernelHeight();
    int kw = g.kernelWidth();
    int cin = g.inputChannels();
    float[] w = WeightLayouts.fromMps(initial.spec().layout(), fin.weights(), cout, kh, kw, cin, groups);
    int[] shape = initial.spec().layout().shape(cout, kh, kw, cin, groups);
    Npy.writeFloat32(req.outputDir().resolve("weights.npy"), shape, w);
    if (fin.biases() != null) {
      Npy.writeFloat32(req.outputDir().resolve("bias.npy"), new int[] {fin.biases().length}, fin.biases());
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("command", "train");
    s.put("status", done == total ? "ok" : "stopped");
    s.put("steps_done", done);
    s.put("steps_total", total);
    s.putAll(meta);
    s.put("epochs", req.epochs());
    s.put("partitions", req.partitions());
    if (paired != null) {
      s.putAll(paired.summary());
    }
    s.put("optimizer_time_step", opt.timeStep());
    s.put("first_loss_this_run", Double.isNaN(firstLoss) ? null : firstLoss);
    s.put("last_loss", Double.isNaN(lastLoss) ? null : lastLoss);
    s.put("weights_sha256", GradientOutputs.sha256(w, fin.biases() == null ? new float[0] : fin.biases()));
    s.put("weights_shape", Arrays.toString(shape));
    s.put("seconds", seconds);
    s.put("layer", initial.spec().describe());
    try {
      AtomicFiles.write(req.outputDir().resolve("run-summary.json"), JSON.writeValueAsBytes(s));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return s;
  }
}

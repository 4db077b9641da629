package io.convt.engine.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.convt.engine.ArrayDataSource;
import io.convt.engine.WeightsAndBiasesState;
import io.convt.engine.io.Npy;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The training loop. Per step: take the step's records from the {@link TrainingSchedule}, ask the
 * {@link GradientSource} for their summed gradients and loss under the current weights, apply the loss reduction,
 * hand the gradients to the layer's data source through its CPU update hook ({@code updateWithGradientState}, which
 * runs the {@link TrainingOptimizer}), and take the source's new weights for the next step. A checkpoint is written
 * every {@code checkpointEvery} steps and after the last; the loss curve after every step; the final weights, the
 * plot and the run summary at the end, the summary last, so an output with a summary is complete.
 *
 * <p>Every step is a deterministic function of (weights, optimizer state, step number), so a run resumed from a
 * checkpoint ({@link #resumePoint}) ends with the same bits as an uninterrupted one. A failing step (NaN loss, bad
 * record) throws before anything is written for it, leaving the last checkpoint whole.
 */
public final class TrainingLoop {
  /** The final weights file (in the layout of {@link TrainedWeights#layout()}). */
  public static final String WEIGHTS_FILE = "weights.npy";
  /** The final bias file, written when the layer has a bias. */
  public static final String BIAS_FILE = "bias.npy";
  /** The loss plot, written when a {@link LossPlotter} is given. */
  public static final String PLOT_FILE = "loss.png";
  /** The run summary, written last. */
  public static final String SUMMARY_FILE = "run-summary.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final TrainingRun run;
  private final GradientSource source;
  private final TrainingStore outputs;
  private final TrainingStore checkpoints;
  private final PrintStream progress;
  private final LossPlotter plotter;

  /**
   * @param run what to train
   * @param source the records' gradients
   * @param outputs where the loss curve, final weights and summary go
   * @param checkpoints where {@link Checkpoint#FILE} goes (may be the same place as {@code outputs})
   * @param progress one line per step
   * @param plotter draws {@link #PLOT_FILE} at the end; null writes no plot
   */
  public TrainingLoop(TrainingRun run, GradientSource source, TrainingStore outputs, TrainingStore checkpoints,
      PrintStream progress, LossPlotter plotter) {
    this.run = Objects.requireNonNull(run, "run");
    this.source = Objects.requireNonNull(source, "source");
    this.outputs = Objects.requireNonNull(outputs, "outputs");
    this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
    this.progress = Objects.requireNonNull(progress, "progress");
    this.plotter = plotter;
  }

  /**
   * The checkpoint {@code run} would resume from, or null when {@code checkpoints} holds none: read and verified
   * ({@link Checkpoint#readIfPresent}, {@link Checkpoint#verifyAgainst}) and matched against the run's parameters
   * ({@link TrainingRun#metadata()}), so a resume fails before any step when it cannot continue this run.
   *
   * @throws IllegalArgumentException "checkpoint FILE is corrupt: ..." or "Cannot resume from FILE: it was written
   *     with KEY=VALUE, this run has VALUE"
   */
  public static Checkpoint resumePoint(TrainingRun run, TrainingStore checkpoints) {
    Checkpoint c = Checkpoint.readIfPresent(checkpoints);
    if (c == null) {
      return null;
    }
    String file = checkpoints.location(Checkpoint.FILE);
    for (Map.Entry<String, String> e : run.metadata().entrySet()) {
      if (!e.getValue().equals(c.metadata().get(e.getKey()))) {
        throw new IllegalArgumentException("Cannot resume from " + file + ": it was written with " + e.getKey()
            + "=" + c.metadata().get(e.getKey()) + ", this run has " + e.getValue());
      }
    }
    TrainingOptimizer.Kind kind = run.optimizer().kind();
    c.verifyAgainst(file, run.weights().mpsShape(), run.biasLength(), run.schedule().totalSteps(),
        name -> kind == TrainingOptimizer.Kind.ADAM ? name.startsWith("v")
            : kind == TrainingOptimizer.Kind.RMSPROP && name.startsWith("m."));
    return c;
  }

  /**
   * Trains from the run's initial weights, or from {@code from} (a checkpoint {@link #resumePoint} returned),
   * up to {@link TrainingRun#stopAfter()}.
   */
  public TrainingResult run(Checkpoint from) {
    TrainingSchedule schedule = run.schedule();
    Map<String, String> meta = run.metadata();
    TrainingOptimizer optimizer = new TrainingOptimizer(run.optimizer());
    ArrayDataSource layer = new ArrayDataSource(run.descriptor(), run.initialWeightsMps().clone(),
        run.initialBias() == null ? null : run.initialBias().clone(), run.label(), (g, used) -> {
          float[][] next = optimizer.step(new float[][] {used.weights(), used.biases()},
              new float[][] {g.gradientForWeights(), used.biases() == null ? null : g.gradientForBiases()});
          return new WeightsAndBiasesState(next[0], next[1]);
        });
    long done = 0;
    if (from != null) {
      layer.setWeights(from.weightsMps(), from.bias());
      optimizer.restore(from.optimizerState(), from.timeStep());
      done = from.stepsDone();
      progress.println("train: resumed from " + checkpoints.location(Checkpoint.FILE) + " after step " + done
          + " (optimizer time step " + from.timeStep() + ")");
    }
    LossHistory history = done == 0 ? new LossHistory()
        : LossHistory.parse(outputs.read(LossHistory.FILE), done, outputs.location(LossHistory.FILE));
    long total = schedule.totalSteps();
    long stop = run.stopAfter();
    double firstLoss = Double.NaN;
    double lastLoss = Double.NaN;
    long started = System.nanoTime();
    while (done < stop) {
      TrainingSchedule.Step step = schedule.step(done);
      WeightsAndBiasesState used = layer.current();
      StepTotals t = source.gradients(used, step.first(), step.count());
      long elements = run.elementsPerRecord() * step.count();
      float[] dw = t.weightGradient();
      float[] db = t.biasGradient();
      run.loss().finishGradient(dw, elements);
      run.loss().finishGradient(db, elements);
      double loss = run.loss().reduce(t.loss().value(), elements);
      if (!layer.updateWithGradientState(new StepGradients(dw, db), used)) {
        throw new IllegalStateException("Cannot train: the layer's data source declined the update");
      }
      done = step.index() + 1;
      firstLoss = Double.isNaN(firstLoss) ? loss : firstLoss;
      lastLoss = loss;
      history.add(new LossHistory.Point(done, step.epoch() + 1, step.count(), loss));
      outputs.replace(LossHistory.FILE, history.csv());
      progress.printf(Locale.ROOT, "train: step %d/%d epoch %d/%d records %d-%d loss %.6g (%.1f s)%n", done, total,
          step.epoch() + 1, schedule.epochs(), step.first(), step.first() + step.count() - 1, loss,
          (System.nanoTime() - started) / 1e9);
      if (done % run.checkpointEvery() == 0 || done == stop) {
        WeightsAndBiasesState now = layer.current();
        new Checkpoint(now.weights(), run.weights().mpsShape(), now.biases(), optimizer.state(), done,
            optimizer.timeStep(), meta).write(checkpoints);
      }
    }
    if (plotter != null) {
      outputs.replace(PLOT_FILE, plotter.png(history.points(),
          "convt train: " + run.loss() + " loss, " + meta.get("optimizer") + ", batch " + schedule.batch()));
    }
    WeightsAndBiasesState fin = layer.current();
    Map<String, Object> summary = writeOutputs(fin, done, optimizer.timeStep(), firstLoss, lastLoss,
        (System.nanoTime() - started) / 1e9);
    return new TrainingResult(fin.weights(), fin.biases(), done, optimizer.timeStep(), firstLoss, lastLoss, summary);
  }

  private Map<String, Object> writeOutputs(WeightsAndBiasesState fin, long done, long timeStep, double firstLoss,
      double lastLoss, double seconds) {
    float[] w = run.weights().toFile(fin.weights());
    int[] shape = run.weights().fileShape();
    outputs.replace(WEIGHTS_FILE, Npy.float32Bytes(shape, w));
    if (fin.biases() != null) {
      outputs.replace(BIAS_FILE, Npy.float32Bytes(new int[] {fin.biases().length}, fin.biases()));
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("command", "train");
    s.put("status", done == run.schedule().totalSteps() ? "ok" : "stopped");
    s.put("steps_done", done);
    s.put("steps_total", run.schedule().totalSteps());
    s.putAll(run.metadata());
    s.put("epochs", run.schedule().epochs());
    s.putAll(run.summaryExtras());
    s.put("optimizer_time_step", timeStep);
    s.put("first_loss_this_run", Double.isNaN(firstLoss) ? null : firstLoss);
    s.put("last_loss", Double.isNaN(lastLoss) ? null : lastLoss);
    s.put("weights_sha256", sha256(w, fin.biases() == null ? new float[0] : fin.biases()));
    s.put("weights_shape", Arrays.toString(shape));
    s.put("seconds", seconds);
    s.put("layer", run.layerSettings());
    try {
      outputs.replace(SUMMARY_FILE, JSON.writeValueAsBytes(s));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot encode the run summary: " + e.getMessage(), e);
    }
    return s;
  }

  /**
   * SHA-256 (hex) of the little-endian float32 bytes of the weights (in the file's layout) followed by the bias's:
   * two runs agree on it exactly when their final weights are bit-identical.
   */
  public static String sha256(float[]... arrays) {
    return io.convt.engine.io.Float32Sha256.hex(arrays);
  }

}

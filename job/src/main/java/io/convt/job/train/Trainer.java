package io.convt.job.train;

import io.convt.engine.WeightsAndBiasesState;
import io.convt.engine.cli.LossCurve;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layer.WeightGeometry;
import io.convt.engine.train.Checkpoint;
import io.convt.engine.train.GradientSource;
import io.convt.engine.train.StepTotals;
import io.convt.engine.train.TrainedWeights;
import io.convt.engine.train.TrainingLoop;
import io.convt.engine.train.TrainingResult;
import io.convt.engine.train.TrainingRun;
import io.convt.engine.train.TrainingSchedule;
import io.convt.job.LayerWeights;
import io.convt.job.gradients.GradientPass;
import io.convt.job.gradients.GradientTotals;
import io.convt.job.gradients.GradientsJob;
import io.convt.job.gradients.GradientsRequest;
import io.convt.job.gradients.TensorCache;
import io.convt.job.storage.HadoopConf;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * {@code convt-job train} on the driver: the Spark side of the engine's {@link TrainingLoop}. The loop (steps,
 * loss reduction, optimizer, checkpoints, resume, loss curve, summary) is the engine's; this class supplies its
 * {@link GradientSource}, a distributed {@link GradientPass} over a step's records with the current weights
 * broadcast, and its {@link io.convt.engine.train.TrainingStore}s, the output and checkpoint directories on any
 * Hadoop file system ({@link HadoopTrainingStore}, local, {@code hdfs://}, {@code s3a://}).
 */
public final class Trainer {
  private final PrintStream progress;

  /** @param progress where one line per step goes (stderr for the CLI) */
  public Trainer(PrintStream progress) {
    this.progress = progress;
  }

  /**
   * Trains, checkpointing every {@code checkpointEvery} steps and after the last; stops early at
   * {@code maxSteps}. A failing step (NaN loss, bad record) throws before anything is written for it.
   */
  public TrainingResult run(SparkSession spark, LayerSpec spec, TrainRequest req) {
    return run(spark, plan(spec, req, HadoopConf.driverConf(spark)));
  }

  /**
   * A run checked on the driver before Spark starts: the layer, the datasets against it, and (with
   * {@code --resume}) the checkpoint, verified and matched against this run ({@link TrainingLoop#resumePoint}).
   *
   * @param run what the engine's loop trains
   * @param checkpoint where a resume starts, or null
   */
  public record Plan(LayerSpec spec, TrainRequest request, Layer initial, GradientsRequest grads, TrainingRun run,
      Checkpoint checkpoint) {}

  /** The driver's checks of a training run (no Spark), with the default Hadoop configuration. */
  public static Plan plan(LayerSpec spec, TrainRequest req) {
    return plan(spec, req, new Configuration());
  }

  /** The driver's checks of a training run (no Spark); datasets and checkpoints are read through {@code hadoop}. */
  public static Plan plan(LayerSpec spec, TrainRequest req, Configuration hadoop) {
    Layer initial = Layer.open(spec);
    GradientsRequest unresolved = GradientsRequest.withTarget(req.input(), req.target(), req.loss(), req.partitions())
        .withDatasetOptions(req.recursive(), req.quarantineUnpaired());
    GradientsJob.Dataset data = GradientsJob.validate(initial, unresolved, hadoop);
    // image datasets: the sorted pairs, so a step's records [first, first+count) are the same ids every epoch
    GradientsRequest grads = unresolved.withPaired(data.paired());
    int records = data.records();
    WeightGeometry g = initial.geometry();
    Map<String, Object> extras = new LinkedHashMap<>();
    extras.put("partitions", req.partitions());
    if (grads.paired() != null) {
      extras.putAll(grads.paired().summary());
    }
    TrainingRun run = new TrainingRun(initial.kernel().descriptor(), initial.kernel().label(), initial.weightsMps(),
        initial.bias(), new TrainedWeights(spec.layout(), g.outputChannels(), g.kernelHeight(), g.kernelWidth(),
            g.inputChannels(), spec.geometry().groups()), req.loss(), req.optimizer(),
        new TrainingSchedule(records, req.batchFor(records), req.epochs()), data.outputElements() / records,
        req.checkpointEvery(), req.maxSteps(), extras, spec.describe());
    Checkpoint c = req.resume()
        ? TrainingLoop.resumePoint(run, new HadoopTrainingStore(req.checkpointDir(), hadoop)) : null;
    return new Plan(spec, req, initial, grads, run, c);
  }

  /** Runs a checked plan. */
  public TrainingResult run(SparkSession spark, Plan plan) {
    Configuration hadoop = HadoopConf.driverConf(spark);
    TrainRequest req = plan.request();
    int[] geometry = LayerWeights.geometryArray(plan.initial().geometry());
    // tensor datasets: read, decoded and keyed once for every step, not once per step
    try (TensorCache cache = TensorCache.of(spark, plan.grads())) {
      GradientSource pass = (WeightsAndBiasesState w, long first, int count) -> {
        GradientTotals t = GradientPass.run(spark, plan.grads(),
            new LayerWeights(plan.spec(), w.weights(), w.biases(), geometry), first, count, cache);
        return new StepTotals(t.weightGradient(), t.biasGradient(), t.loss());
      };
      return new TrainingLoop(plan.run(), pass, new HadoopTrainingStore(req.outputDir(), hadoop),
          new HadoopTrainingStore(req.checkpointDir(), hadoop), progress, new LossCurve()).run(plan.checkpoint());
    }
  }
}

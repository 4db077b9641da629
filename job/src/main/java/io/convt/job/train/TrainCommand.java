package io.convt.job.train;

import io.convt.engine.cli.LayerOptions;
import io.convt.engine.train.Loss;
import io.convt.engine.train.TrainingOptimizer;
import io.convt.engine.train.TrainingResult;
import java.util.Locale;
import java.util.concurrent.Callable;
import io.convt.job.JobLog;
import io.convt.job.JobSession;
import io.convt.job.OutputMode;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code convt-job train}: data-parallel training of one layer with checkpoints and bit-exact resume. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a layer on (input, target) records with an MPS optimizer, reproducibly.")
public final class TrainCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, paramLabel = "X.npy|DIR|GLOB|DATASET",
      description = "Inputs: an [N,Cin,H,W] float32 .npy, an image directory/glob (PNG/JPEG/BMP), or a Parquet or "
          + "Arrow tensor dataset as infer writes it, on any Hadoop file system.")
  String input;

  @Option(names = "--target", required = true, paramLabel = "T.npy|DIR|GLOB|DATASET",
      description = "Targets [N,Cout,H',W']: an .npy, an image directory/glob paired with --input by relative "
          + "path without extension, or a tensor dataset paired by id.")
  String target;

  @Option(names = "--recursive", description = "Image datasets: read subdirectories too.")
  boolean recursive;

  @Option(names = "--quarantine-unpaired",
      description = "Datasets: leave unpaired and duplicate records (and, for tensor datasets, targets of the "
          + "wrong shape) out, counted in run-summary.json.")
  boolean quarantineUnpaired;

  @Option(names = "--loss", paramLabel = "mse|l1", description = "Loss (default mse).")
  String loss = "mse";

  @Option(names = "--reduction", paramLabel = "mean|sum", description = "Over the mini-batch (default mean).")
  String reduction = "mean";

  @Option(names = "--epochs", paramLabel = "E", description = "Passes over the data (default 1).")
  int epochs = 1;

  @Option(names = "--batch-size", paramLabel = "B", description = "Records per step (default 0 = all).")
  int batchSize;

  @Option(names = "--partitions", paramLabel = "N", description = "Spark partitions per step (default 2).")
  int partitions = 2;

  @Option(names = "--optimizer", paramLabel = "sgd|rmsprop|adam", description = "Update rule (default adam).")
  String optimizer = "adam";

  @Option(names = "--learning-rate", paramLabel = "LR", description = "Learning rate (default 0.001).")
  float learningRate = 1e-3f;

  @Option(names = "--momentum", description = "SGD momentum (default 0).")
  float momentum;

  @Option(names = "--nesterov", description = "SGD Nesterov momentum.")
  boolean nesterov;

  @Option(names = "--beta1", description = "Adam beta1 (default 0.9).")
  double beta1 = 0.9;

  @Option(names = "--beta2", description = "Adam beta2 (default 0.999).")
  double beta2 = 0.999;

  @Option(names = "--epsilon", description = "RMSProp/Adam epsilon (default 1e-8).")
  float epsilon = 1e-8f;

  @Option(names = "--decay", description = "RMSProp decay (default 0.9).")
  double decay = 0.9;

  @Option(names = "--amsgrad", description = "Adam AMSGrad.")
  boolean amsgrad;

  @Option(names = "--gradient-rescale", description = "Multiply gradients by this after clipping (default 1).")
  float gradientRescale = 1f;

  @Option(names = "--clip-gradients", paramLabel = "MIN,MAX", description = "Clip gradient elements to [MIN,MAX].")
  String clip;

  @Option(names = "--regularization", paramLabel = "none|l1|l2", description = "Regularisation (default none).")
  String regularization = "none";

  @Option(names = "--regularization-scale", description = "Regularisation scale (default 0).")
  float regularizationScale;

  @Option(names = "--output", required = true, paramLabel = "DIR",
      description = "Weights, loss curve, summary (any Hadoop file system).")
  String output;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Checkpoints (default OUTPUT/checkpoints).")
  String checkpointDir;

  @Option(names = "--checkpoint-every", paramLabel = "N", description = "Checkpoint every N steps (default 10).")
  int checkpointEvery = 10;

  @Option(names = "--resume", description = "Continue from the checkpoint if there is one.")
  boolean resume;

  @Option(names = "--max-steps", paramLabel = "N", description = "Stop after N steps in total (default: all).")
  long maxSteps;

  @Option(names = "--conf", paramLabel = "spark.KEY=VALUE",
      description = "A Spark setting for the session (repeatable); spark.hadoop.* reach every file system access.")
  java.util.List<String> conf = new java.util.ArrayList<>();

  @Option(names = "--mode", paramLabel = "MODE", description = "error (default): refuse an existing --output "
      + "(use --resume to continue it); overwrite: start afresh, replacing it.")
  String mode = "error";

  @Mixin LayerOptions layer;

  @CommandLine.Spec CommandLine.Model.CommandSpec command;

  /** The optimizer settings these flags describe. */
  TrainingOptimizer.Settings settings() {
    float lo = 0f;
    float hi = 0f;
    if (clip != null) {
      String[] p = clip.split(",");
      if (p.length != 2) {
        throw new IllegalArgumentException("Cannot use --clip-gradients " + clip + ": expected MIN,MAX");
      }
      try {
        lo = Float.parseFloat(p[0].trim());
        hi = Float.parseFloat(p[1].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("Cannot use --clip-gradients " + clip + ": not numbers");
      }
    }
    TrainingOptimizer.Regularization reg;
    try {
      reg = TrainingOptimizer.Regularization.valueOf(regularization.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Cannot use --regularization " + regularization + ": expected none, l1 or l2");
    }
    return new TrainingOptimizer.Settings(TrainingOptimizer.Settings.kind(optimizer), learningRate, gradientRescale,
        clip != null, lo, hi, reg, regularizationScale, momentum, nesterov, decay, beta1, beta2, epsilon, amsgrad);
  }

  @Override
  public Integer call() {
    TrainRequest req = new TrainRequest(input, target, Loss.parse(loss, reduction), settings(), epochs, batchSize,
        partitions, output, checkpointDir, checkpointEvery, resume, maxSteps, recursive, quarantineUnpaired);
    OutputMode outputMode = OutputMode.parse(mode, "--mode");
    java.util.Map<String, String> spark = io.convt.job.gradients.GradientsCommand.sparkSettings(conf, "train");
    Configuration hadoop = io.convt.job.storage.HadoopConf.fromSettings(spark);
    Trainer.Plan plan = Trainer.plan(layer.toSpec(), req, hadoop);
    TrainOutputs.check(plan, outputMode, hadoop, command.commandLine().getErr());
    org.apache.hadoop.fs.Path old = outputMode == OutputMode.OVERWRITE && !resume
        ? TrainOutputs.moveAside(output, hadoop) : null;
    JobLog.startBeside(output);
    try (JobSession session = JobSession.open("convt train", spark)) {
      TrainingResult r = new Trainer(System.err).run(session.spark(), plan);
      command.commandLine().getOut().println("train: " + r.stepsDone() + " steps, loss " + r.firstLoss() + " -> "
          + r.lastLoss() + ", weights_sha256 " + r.summary().get("weights_sha256") + " -> " + output);
    }
    TrainOutputs.deleteAside(old, hadoop);
    return 0;
  }
}

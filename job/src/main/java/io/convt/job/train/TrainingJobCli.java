package io.convt.job.train;

import io.convt.engine.cli.ConvtCli;
import io.convt.job.gradients.GradientsCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point for the {@code gradients} and {@code train} subcommands until they are registered in the job's main
 * class ({@code io.convt.job.ConvtJob}): {@code spark-submit --class io.convt.job.train.TrainingJobCli <jar>
 * gradients|train ...}. One-line errors, exit 2 for bad input.
 */
@Command(name = "convt-job", mixinStandardHelpOptions = true,
    subcommands = {GradientsCommand.class, TrainCommand.class, CommandLine.HelpCommand.class})
public final class TrainingJobCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand (gradients, train)");
  }

  public static void main(String[] args) {
    int code = ConvtCli.commandLine(new TrainingJobCli(), new PrintWriter(System.out, true),
        new PrintWriter(System.err, true)).execute(args);
    System.exit(code);
  }
}

package io.convt.job;

import io.convt.engine.cli.ConvtCli;
import io.convt.job.gradients.GradientsCommand;
import io.convt.job.infer.InferCommand;
import io.convt.job.train.TrainCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The Spark job's main class, for {@code scripts/convt-job}, {@code scripts/spark-submit} and a real
 * {@code spark-submit --class io.convt.job.ConvtJob convt-job-*-all.jar <subcommand> ...}. Subcommands:
 * {@code infer}, {@code gradients}, {@code train}. Exit codes (README): 0 success; 1 the run failed (an I/O error,
 * a lost executor; nothing committed); 2 bad input or usage (one line, nothing written); 3 the run completed but
 * wrote no record, or quarantined more than {@code max-quarantine-fraction}. Errors are one line on stderr; stack
 * traces go to the run's log file ({@link JobLog}) and, with {@code --verbose} or {@code CONVT_DEBUG=1}, stderr.
 */
@Command(name = "convt-job", mixinStandardHelpOptions = true, version = "convt 0.1.0",
    description = "MPSCNNConvolutionTranspose over datasets on Spark.",
    subcommands = {InferCommand.class, GradientsCommand.class, TrainCommand.class, CommandLine.HelpCommand.class})
public final class ConvtJob implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--master", scope = ScopeType.INHERIT, paramLabel = "URL",
      description = "Spark master (default: the one spark-submit sets, else local[*]).")
  void master(String url) {
    System.setProperty("spark.master", url);
  }

  @Option(names = "--verbose", scope = ScopeType.INHERIT,
      description = "Also print Spark's log and stack traces on stderr (as CONVT_DEBUG=1).")
  void verbose(boolean on) {
    if (on) {
      JobLog.verbose();
    }
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand (infer, gradients, train)");
  }

  public static void main(String[] args) {
    int code;
    try {
      code = run(args);
    } catch (OutOfMemoryError e) { // picocli passes Errors through; never end on a bare trace
      System.err.println("convt-job: out of memory (" + e.getMessage() + "); raise the heap "
          + "(CONVT_DRIVER_JAVA_OPTS=-Xmx..., spark.executor.memory) or lower batch.size");
      code = 1;
    }
    System.exit(code);
  }

  /** Runs the CLI in this JVM and returns the exit code. */
  public static int run(String... args) {
    return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** Runs the CLI with its output and error lines going to {@code out} and {@code err}. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    JobLog.reset();
    CommandLine cl = ConvtCli.commandLine(new ConvtJob(), out, err);
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      RuntimeException cause = SparkErrors.unwrap(ex);
      String line = commandLine.getCommandName() + ": " + oneLine(cause);
      if (JobLog.appendTrace(commandLine.getCommandName(), ex)) {
        line += " (details: " + JobLog.file() + ")";
      }
      err.println(line);
      if (JobLog.isVerbose()) {
        ex.printStackTrace(err);
      }
      return cause instanceof IllegalArgumentException ? 2 : 1;
    });
    return cl.execute(args);
  }

  private static String oneLine(Throwable ex) {
    String m = ex.getMessage();
    if (m == null || m.isBlank()) {
      m = ex.getClass().getSimpleName();
    }
    int nl = m.indexOf('\n');
    return (nl >= 0 ? m.substring(0, nl) : m).strip();
  }
}

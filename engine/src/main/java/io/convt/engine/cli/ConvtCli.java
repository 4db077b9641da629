package io.convt.engine.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * {@code scripts/convt}: the local tensor CLI (no Spark) for debugging and interop. Every failure is one line on
 * stderr and a non-zero exit (2 for bad input), never a stack trace; {@code CONVT_DEBUG=1} adds the trace.
 */
@Command(name = "convt", mixinStandardHelpOptions = true, version = "convt 0.1.0",
    description = "MPSCNNConvolutionTranspose on NumPy files, without Spark.",
    subcommands = {ForwardCommand.class, BackwardCommand.class, CommandLine.HelpCommand.class})
public final class ConvtCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand (forward, backward)");
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the CLI and returns its exit code (0 ok, 2 bad input or failure). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    return commandLine(new ConvtCli(), out, err).execute(args);
  }

  /** A picocli command line with convt's one-line error handling (shared with the Spark job's CLI). */
  public static CommandLine commandLine(Object command, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(command);
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler((ex, args) -> {
      err.println(ex.getCommandLine().getCommandName() + ": " + ex.getMessage() + " (see --help)");
      return 2;
    });
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      err.println(commandLine.getCommandName() + ": " + oneLine(ex));
      if (System.getenv("CONVT_DEBUG") != null) {
        ex.printStackTrace(err);
      }
      return ex instanceof IllegalArgumentException ? 2 : 1;
    });
    return cl;
  }

  static String oneLine(Throwable ex) {
    String m = ex.getMessage();
    if (m == null || m.isBlank()) {
      m = ex.getClass().getSimpleName();
    }
    return m.replace('\n', ' ');
  }
}

package io.convt.engine.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * {@code scripts/convt}: the local tensor CLI (no Spark) for debugging and interop. Every failure is one line on
 * stderr, never a stack trace ({@code CONVT_DEBUG=1} adds the trace), and no output file is left behind. Exit codes:
 * {@value #OK} success; {@value #BAD_INPUT} bad input or usage (a flag, a file, a path), found before anything is
 * written; {@value #FAILED} the run could not complete for another reason (an I/O error such as a full disk, out of
 * memory, an internal error).
 */
@Command(name = "convt", mixinStandardHelpOptions = true, version = "convt 0.1.0",
    description = "MPSCNNConvolutionTranspose on NumPy files, without Spark.",
    subcommands = {ForwardCommand.class, BackwardCommand.class, CommandLine.HelpCommand.class})
public final class ConvtCli implements Runnable {
  /** Exit code: success. */
  public static final int OK = 0;
  /** Exit code: the run failed for a reason other than bad input (I/O error, out of memory, internal error). */
  public static final int FAILED = 1;
  /** Exit code: bad input or usage. */
  public static final int BAD_INPUT = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand (forward, backward)");
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the CLI and returns its exit code ({@link #OK}, {@link #BAD_INPUT} or {@link #FAILED}). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    try {
      return commandLine(new ConvtCli(), out, err).execute(args);
    } catch (OutOfMemoryError e) {
      err.println("convt: out of memory (maximum heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MB); give "
          + "the JVM more (CONVT_JAVA_OPTS=-Xmx8g) or use a smaller --batch-size or input");
      return FAILED;
    }
  }

  /** A picocli command line with convt's one-line error handling (shared with the Spark job's CLI). */
  public static CommandLine commandLine(Object command, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(command);
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler((ex, args) -> {
      err.println(ex.getCommandLine().getCommandName() + ": " + oneLine(ex) + " (see --help)");
      return BAD_INPUT;
    });
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      err.println(commandLine.getCommandName() + ": " + oneLine(ex));
      if (System.getenv("CONVT_DEBUG") != null) {
        ex.printStackTrace(err);
      }
      return ex instanceof IllegalArgumentException ? BAD_INPUT : FAILED;
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

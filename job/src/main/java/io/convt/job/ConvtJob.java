package io.convt.job;

import io.convt.engine.cli.ConvtCli;
import io.convt.job.gradients.GradientsCommand;
import io.convt.job.infer.InferCommand;
import io.convt.job.train.TrainCommand;
import java.io.PrintWriter;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The Spark job's main class, for {@code scripts/convt-job}, {@code scripts/spark-submit} and a real
 * {@code spark-submit --class io.convt.job.ConvtJob convt-job-*-all.jar <subcommand> ...}. Subcommands:
 * {@code infer}, {@code gradients}, {@code train}. Errors are one line on stderr with exit code 2.
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

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand (infer, gradients, train)");
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI in this JVM and returns the exit code. */
  public static int run(String... args) {
    return ConvtCli.commandLine(new ConvtJob(), new PrintWriter(System.out, true), new PrintWriter(System.err, true))
        .execute(args);
  }

  /**
   * The session for a subcommand: the master from {@code --master} or spark-submit, else {@code local[*]}; on a
   * local master the driver binds to 127.0.0.1 (or {@code SPARK_LOCAL_IP}).
   */
  public static SparkSession session(String appName) {
    return session(appName, java.util.Map.of());
  }

  /**
   * As {@link #session(String)}, with Spark settings ({@code --conf spark.*}, including {@code spark.hadoop.*}
   * for the Hadoop configuration every executor-side reader and writer gets); {@code spark.master} among them
   * is the master unless {@code --master} gave one.
   */
  public static SparkSession session(String appName, java.util.Map<String, String> sparkSettings) {
    String master = System.getProperty("spark.master", sparkSettings.getOrDefault("spark.master", "local[*]"));
    SparkSession.Builder b = SparkSession.builder().appName(appName).master(master);
    sparkSettings.forEach((k, v) -> {
      if (!k.equals("spark.master")) {
        b.config(k, v);
      }
    });
    if (master.startsWith("local") && System.getProperty("spark.driver.host") == null
        && !sparkSettings.containsKey("spark.driver.host")) {
      String ip = System.getenv().getOrDefault("SPARK_LOCAL_IP", "127.0.0.1");
      b.config("spark.driver.host", ip).config("spark.driver.bindAddress", ip);
    }
    if (master.startsWith("local") && System.getProperty("spark.ui.showConsoleProgress") == null) {
      b.config("spark.ui.showConsoleProgress", "false"); // our own progress line is quieter
    }
    return b.getOrCreate();
  }
}

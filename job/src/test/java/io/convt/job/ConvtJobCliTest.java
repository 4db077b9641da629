package io.convt.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.cli.ConvtCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Flag mistakes are one line on stderr and exit code 2, before any Spark session starts. */
class ConvtJobCliTest {
  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = ConvtCli.commandLine(new ConvtJob(), new PrintWriter(out, true), new PrintWriter(err, true))
        .execute(args);
    return new String[] {Integer.toString(code), err.toString().trim()};
  }

  @Test
  void gradientsNeedsExactlyOneOfGradOutputAndTarget() {
    String[] r = run("gradients", "--input", "x.npy", "--grad-output", "gy.npy", "--target", "t.npy",
        "--weights", "w.npy", "--weights-layout", "pytorch", "--output", "out");
    assertEquals("2", r[0]);
    assertEquals("gradients: Cannot compute gradients: give exactly one of --grad-output or --target", r[1]);
  }

  @Test
  void trainRejectsUnknownWordsInOneLine() {
    String[] r = run("train", "--input", "x.npy", "--target", "t.npy", "--weights", "w.npy", "--weights-layout",
        "pytorch", "--output", "out", "--optimizer", "lbfgs");
    assertEquals("2", r[0]);
    assertEquals("train: Cannot use --optimizer lbfgs: expected sgd, rmsprop or adam", r[1]);
    r = run("train", "--input", "x.npy", "--target", "t.npy", "--weights", "w.npy", "--weights-layout", "pytorch",
        "--output", "out", "--loss", "huber");
    assertEquals("train: Cannot use --loss huber: expected mse or l1", r[1]);
  }

  @Test
  void gradientsAndTrainTakeOnlySparkKeysAsConf() {
    String[] r = run("train", "--input", "x.npy", "--target", "t.npy", "--weights", "w.npy", "--weights-layout",
        "pytorch", "--output", "out", "--conf", "zeta=1", "--conf", "spark.sql.shuffle.partitions=4", "--conf",
        "alpha=2");
    assertEquals("2", r[0]);
    assertEquals("train: Unknown configuration keys alpha, zeta for train (only Spark's own spark.* keys)", r[1]);
    r = run("gradients", "--input", "x.npy", "--target", "t.npy", "--weights", "w.npy", "--weights-layout",
        "pytorch", "--output", "out", "--conf", "beta=1");
    assertEquals("2", r[0]);
    assertEquals("gradients: Unknown configuration key beta for gradients (only Spark's own spark.* keys)", r[1]);
  }

  @Test
  void missingSubcommandAndUnknownFlagsAreOneLine() {
    String[] r = run();
    assertEquals("2", r[0]);
    assertEquals("convt-job: Missing subcommand (infer, gradients, train) (see --help)", r[1]);
    r = run("infer", "--input", "x.npy", "--output", "o", "--weights", "w.npy", "--weights-layout", "pytorch",
        "--batchsize", "3");
    assertEquals("2", r[0]);
    assertEquals(1, r[1].lines().count(), r[1]);
    assertEquals(true, r[1].contains("--batchsize"), r[1]);
  }
}

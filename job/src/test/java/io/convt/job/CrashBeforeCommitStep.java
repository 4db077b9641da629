package io.convt.job;

import java.util.Arrays;
import java.util.Locale;

/**
 * {@link ConvtJob} with its driver halted just before one commit step: {@code args[0]} is {@code manifest} or
 * {@code success}, the rest are ConvtJob's arguments. The halt is {@code Runtime.halt(70)}: no shutdown hooks, no
 * cleanup, as when the driver is killed. Run in a child JVM by {@code S3IT}.
 */
public final class CrashBeforeCommitStep {
  private CrashBeforeCommitStep() {}

  public static void main(String[] args) {
    OutputCommit.Step at = OutputCommit.Step.valueOf(args[0].toUpperCase(Locale.ROOT));
    OutputCommit.beforeStep = step -> {
      if (step == at) {
        System.err.println("CrashBeforeCommitStep: halting before the " + step + " step");
        Runtime.getRuntime().halt(70);
      }
    };
    ConvtJob.main(Arrays.copyOfRange(args, 1, args.length));
  }
}

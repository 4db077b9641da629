package io.convt.job;

import java.util.Locale;

/** How a run that completed ended, and the exit code that tells a scheduler (the README's exit-code table). */
public enum JobStatus {
  /** Every record accounted for, the output committed with {@code _SUCCESS}. Exit 0. */
  OK(0),
  /** Records went in and none came out (all quarantined): output committed without {@code _SUCCESS}. Exit 3. */
  NO_OUTPUT(3),
  /** More than {@code max-quarantine-fraction} of the records were quarantined: no {@code _SUCCESS}. Exit 3. */
  QUARANTINE_LIMIT(3);

  private final int exitCode;

  JobStatus(int exitCode) {
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }

  /** The word in {@code run-summary.json}'s {@code status}. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The status of a run with these counts. */
  public static JobStatus of(long in, long out, double maxQuarantineFraction) {
    if (in > 0 && out == 0) {
      return NO_OUTPUT;
    }
    return in > 0 && (double) (in - out) / in > maxQuarantineFraction ? QUARANTINE_LIMIT : OK;
  }
}

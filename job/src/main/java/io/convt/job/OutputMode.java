package io.convt.job;

import java.util.Locale;

/** What a command does when its output already exists: the one policy of infer, gradients and train. */
public enum OutputMode {
  /** Refuse to run (the default). */
  ERROR,
  /** Replace it (infer and gradients: in one rename once the new output is complete; see docs/job.md). */
  OVERWRITE;

  /** {@code error} or {@code overwrite}; {@code what} names the flag or key in the error. */
  public static OutputMode parse(String word, String what) {
    try {
      return valueOf(word.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid value for " + what + ": '" + word + "' (expected error or overwrite)");
    }
  }
}

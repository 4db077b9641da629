package io.convt.engine.train;

import java.util.Locale;

/** The element loss of a {@link Loss}: squared error or absolute error. */
public enum LossKind {
  /** {@code (y − t)²}. */
  MSE("mse"),
  /** {@code |y − t|}. */
  L1("l1");

  private final String word;

  LossKind(String word) {
    this.word = word;
  }

  /** The CLI word ({@code mse}, {@code l1}). */
  public String word() {
    return word;
  }

  /**
   * Parses {@code mse} or {@code l1} (case-insensitive).
   *
   * @throws IllegalArgumentException naming the accepted words
   */
  public static LossKind parse(String s) {
    if (s != null) {
      for (LossKind k : values()) {
        if (k.word.equals(s.trim().toLowerCase(Locale.ROOT))) {
          return k;
        }
      }
    }
    throw new IllegalArgumentException("Cannot use --loss " + s + ": expected mse or l1");
  }
}

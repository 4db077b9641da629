package io.convt.engine.train;

import java.util.Locale;

/** How a {@link Loss} combines element losses: their sum, or their mean over the whole dataset's elements. */
public enum LossReduction {
  /** Divide the total by the number of output elements of the whole dataset. */
  MEAN,
  /** The plain total. */
  SUM;

  /**
   * Parses {@code mean} or {@code sum} (case-insensitive).
   *
   * @throws IllegalArgumentException naming the accepted words
   */
  public static LossReduction parse(String s) {
    if (s != null) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "mean":
          return MEAN;
        case "sum":
          return SUM;
        default:
          break;
      }
    }
    throw new IllegalArgumentException("Cannot use --reduction " + s + ": expected mean or sum");
  }
}

package io.convt.engine.train;

import java.io.Serializable;
import java.math.BigDecimal;

/**
 * An exact, order-independent sum of per-record loss values (doubles), so the reported loss of a distributed run is
 * bit-identical however records are split into partitions and in whatever order partials are merged. Every double
 * is a finite binary fraction, so {@link BigDecimal} adds them without rounding; only {@link #value()} rounds, once.
 * Serializable; {@link #toString()}/{@link #parse} give a text form for run summaries.
 */
public final class LossSum implements Serializable {
  private static final long serialVersionUID = 1L;
  private BigDecimal sum = BigDecimal.ZERO;
  private long records;

  /** Adds one record's loss sum. @throws IllegalArgumentException when {@code v} is not finite */
  public LossSum add(double v) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException("Cannot add loss: value is not finite (" + v + ")");
    }
    sum = sum.add(new BigDecimal(v));
    records++;
    return this;
  }

  /** Adds another partial sum (exactly). */
  public LossSum merge(LossSum other) {
    sum = sum.add(other.sum);
    records += other.records;
    return this;
  }

  /** The sum rounded once to the nearest double. */
  public double value() {
    return sum.doubleValue();
  }

  /** Records added. */
  public long records() {
    return records;
  }

  /** The exact sum and count as {@code "<decimal>/<records>"}. */
  @Override
  public String toString() {
    return sum.toPlainString() + "/" + records;
  }

  /** Parses {@link #toString()}. @throws IllegalArgumentException when malformed */
  public static LossSum parse(String s) {
    int slash = s.lastIndexOf('/');
    try {
      LossSum l = new LossSum();
      l.sum = new BigDecimal(s.substring(0, slash));
      l.records = Long.parseLong(s.substring(slash + 1));
      return l;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("Cannot parse loss sum: " + s, e);
    }
  }
}

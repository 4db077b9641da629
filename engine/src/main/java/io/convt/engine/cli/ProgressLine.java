package io.convt.engine.cli;

import java.util.Locale;

/**
 * The text of one progress report: {@code convt infer: 1234/3000 records (41%), 52.3 records/s, ETA 34 s}, and
 * the same after a {@code [=====>    ]} bar on a terminal. A total below 0 means unknown (no %, no ETA). The ETA is
 * the remaining records at the given rate.
 *
 * @param what the command, e.g. {@code convt infer}
 * @param done records counted so far
 * @param total records expected, or -1
 * @param rate records per second (recent)
 */
public record ProgressLine(String what, long done, long total, double rate) {
  static final int BAR_WIDTH = 24;

  /** The plain line (no bar), for logs and pipes. */
  public String text() {
    StringBuilder b = new StringBuilder(what).append(": ").append(done);
    if (total >= 0) {
      b.append('/').append(total).append(" records (")
          .append(String.format(Locale.ROOT, "%.0f%%", 100.0 * done / Math.max(total, 1))).append(')');
    } else {
      b.append(" records");
    }
    b.append(String.format(Locale.ROOT, ", %.1f records/s", rate));
    if (total >= 0) {
      b.append(", ETA ").append(done >= total ? "0 s" : rate <= 0 ? "--" : duration((total - done) / rate));
    }
    return b.toString();
  }

  /** The line with a bar in front, for a terminal. */
  public String bar() {
    if (total <= 0) {
      return text();
    }
    int filled = (int) Math.min(BAR_WIDTH, BAR_WIDTH * done / total);
    String bar = "=".repeat(filled) + (filled < BAR_WIDTH ? ">" + " ".repeat(BAR_WIDTH - filled - 1) : "");
    return what + " [" + bar + "] " + text().substring(what.length() + 2);
  }

  /** {@code 42 s}, {@code 3 min 05 s}, {@code 2 h 01 min}. */
  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s < 60) {
      return s + " s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%d h %02d min", s / 3600, s % 3600 / 60);
  }
}

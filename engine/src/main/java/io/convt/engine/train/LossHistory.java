package io.convt.engine.train;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The loss of every step of a run, kept as {@code loss.csv} ({@code step,epoch,records,loss}, one row per optimizer
 * step) in the run's output. A resumed run continues the same curve: rows after the checkpoint's step are dropped
 * when it is read back, so the curve of an interrupted and resumed run equals an uninterrupted one's.
 */
public final class LossHistory {
  /** The file name. */
  public static final String FILE = "loss.csv";
  private static final String HEADER = "step,epoch,records,loss";

  /**
   * One row.
   *
   * @param step 1-based step number
   * @param epoch 1-based epoch
   * @param records records the step covered
   * @param loss its reduced loss
   */
  public record Point(long step, int epoch, int records, double loss) {}

  private final List<Point> points = new ArrayList<>();

  /** An empty history. */
  public LossHistory() {}

  /**
   * The rows of {@code csv} up to {@code keepThroughStep} (0 keeps none).
   *
   * @param location named in the error
   * @throws IllegalArgumentException "Cannot resume loss curve LOCATION: ..." when a kept row is malformed
   */
  public static LossHistory parse(byte[] csv, long keepThroughStep, String location) {
    LossHistory h = new LossHistory();
    if (csv == null || keepThroughStep <= 0) {
      return h;
    }
    try {
      for (String line : new String(csv, StandardCharsets.UTF_8).split("\n")) {
        String[] f = line.split(",");
        if (f.length == 4 && !f[0].equals("step") && Long.parseLong(f[0]) <= keepThroughStep) {
          h.points.add(new Point(Long.parseLong(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
              Double.parseDouble(f[3])));
        }
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("Cannot resume loss curve " + location + ": " + e.getMessage(), e);
    }
    return h;
  }

  /** Appends a step's row. */
  public void add(Point p) {
    points.add(p);
  }

  /** The rows, in step order. */
  public List<Point> points() {
    return List.copyOf(points);
  }

  /** The CSV text of every row, with its header line. */
  public byte[] csv() {
    StringBuilder b = new StringBuilder(HEADER).append('\n');
    for (Point q : points) {
      b.append(q.step()).append(',').append(q.epoch()).append(',').append(q.records()).append(',')
          .append(Double.toString(q.loss())).append('\n');
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }
}

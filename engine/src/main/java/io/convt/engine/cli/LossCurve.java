package io.convt.engine.cli;

import io.convt.engine.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The loss curve of a run: {@code loss.csv} ({@code step,epoch,records,loss}, one row per optimizer step) and a
 * {@code loss.png} line plot drawn with headless java.awt. Both files are rewritten atomically after each step, so
 * a resumed run continues the same curve (rows after the checkpoint's step are dropped first).
 */
public final class LossCurve {
  /** One row. */
  public record Point(long step, int epoch, int records, double loss) {}

  private final Path csv;
  private final Path png;
  private final List<Point> points = new ArrayList<>();

  private LossCurve(Path dir) {
    this.csv = dir.resolve("loss.csv");
    this.png = dir.resolve("loss.png");
  }

  /** A new curve in {@code dir}, keeping existing rows up to {@code keepThroughStep} (0 keeps none). */
  public static LossCurve open(Path dir, long keepThroughStep) {
    LossCurve c = new LossCurve(dir);
    if (keepThroughStep > 0 && Files.exists(c.csv)) {
      try {
        for (String line : Files.readAllLines(c.csv, StandardCharsets.UTF_8)) {
          String[] f = line.split(",");
          if (f.length == 4 && !f[0].equals("step") && Long.parseLong(f[0]) <= keepThroughStep) {
            c.points.add(new Point(Long.parseLong(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                Double.parseDouble(f[3])));
          }
        }
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException("Cannot resume loss curve " + c.csv + ": " + e.getMessage(), e);
      }
    }
    return c;
  }

  /** Adds a step's loss and rewrites the CSV. */
  public void add(Point p) {
    points.add(p);
    StringBuilder b = new StringBuilder("step,epoch,records,loss\n");
    for (Point q : points) {
      b.append(q.step).append(',').append(q.epoch).append(',').append(q.records).append(',')
          .append(Double.toString(q.loss)).append('\n');
    }
    AtomicFiles.write(csv, b.toString().getBytes(StandardCharsets.UTF_8));
  }

  public List<Point> points() {
    return List.copyOf(points);
  }

  /** Draws {@code loss.png} (loss against step, log scale when the losses span more than a decade). */
  public void plot(String title) {
    System.setProperty("java.awt.headless", "true");
    int w = 640;
    int h = 400;
    int left = 70;
    int right = 20;
    int top = 40;
    int bottom = 50;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    g.setColor(Color.DARK_GRAY);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(title, left, 22);
    g.drawRect(left, top, w - left - right, h - top - bottom);
    if (!points.isEmpty()) {
      double lo = Double.MAX_VALUE;
      double hi = -Double.MAX_VALUE;
      for (Point p : points) {
        lo = Math.min(lo, p.loss);
        hi = Math.max(hi, p.loss);
      }
      boolean log = lo > 0 && hi / lo > 10;
      double a = log ? Math.log10(lo) : lo;
      double b = log ? Math.log10(hi) : hi;
      if (b - a < 1e-12) {
        b = a + 1;
      }
      long first = points.get(0).step;
      long last = Math.max(first + 1, points.get(points.size() - 1).step);
      g.drawString(String.format(Locale.ROOT, "%.4g", hi), 4, top + 10);
      g.drawString(String.format(Locale.ROOT, "%.4g", lo), 4, h - bottom);
      g.drawString("step " + first, left, h - bottom + 18);
      g.drawString("step " + last + (log ? "   (log-scale loss)" : ""), w - right - 200, h - bottom + 18);
      g.setColor(new Color(0x1f77b4));
      g.setStroke(new BasicStroke(2f));
      int px = -1;
      int py = -1;
      for (Point p : points) {
        double y = log ? Math.log10(p.loss) : p.loss;
        int x = left + (int) Math.round((p.step - first) * (double) (w - left - right) / (last - first));
        int yy = top + (int) Math.round((b - y) * (h - top - bottom) / (b - a));
        if (px >= 0) {
          g.drawLine(px, py, x, yy);
        }
        g.fillOval(x - 2, yy - 2, 5, 5);
        px = x;
        py = yy;
      }
    }
    g.dispose();
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(img, "png", out);
      AtomicFiles.write(png, out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + png + ": " + e.getMessage(), e);
    }
  }
}

package io.convt.engine.cli;

import io.convt.engine.train.LossHistory;
import io.convt.engine.train.LossPlotter;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws a training run's loss curve ({@code loss.png}) with headless java.awt: the {@link LossPlotter} an application
 * (the Spark job's {@code train}) hands to the engine's {@link io.convt.engine.train.TrainingLoop}, which stores the
 * picture; drawing stays out of the library.
 */
public final class LossCurve implements LossPlotter {
  @Override
  public byte[] png(List<LossHistory.Point> points, String title) {
    return draw(points, title);
  }

  /** PNG bytes of the loss against step, log scale when the losses span more than a decade. */
  public static byte[] draw(List<LossHistory.Point> points, String title) {
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
      for (LossHistory.Point p : points) {
        lo = Math.min(lo, p.loss());
        hi = Math.max(hi, p.loss());
      }
      boolean log = lo > 0 && hi / lo > 10;
      double a = log ? Math.log10(lo) : lo;
      double b = log ? Math.log10(hi) : hi;
      if (b - a < 1e-12) {
        b = a + 1;
      }
      long first = points.get(0).step();
      long last = Math.max(first + 1, points.get(points.size() - 1).step());
      g.drawString(String.format(Locale.ROOT, "%.4g", hi), 4, top + 10);
      g.drawString(String.format(Locale.ROOT, "%.4g", lo), 4, h - bottom);
      g.drawString("step " + first, left, h - bottom + 18);
      g.drawString("step " + last + (log ? "   (log-scale loss)" : ""), w - right - 200, h - bottom + 18);
      g.setColor(new Color(0x1f77b4));
      g.setStroke(new BasicStroke(2f));
      int px = -1;
      int py = -1;
      for (LossHistory.Point p : points) {
        double y = log ? Math.log10(p.loss()) : p.loss();
        int x = left + (int) Math.round((p.step() - first) * (double) (w - left - right) / (last - first));
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
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot draw the loss curve: " + e.getMessage(), e);
    }
  }
}

package io.convt.engine.train;

import java.util.List;

/**
 * Draws a run's loss curve as a picture ({@code loss.png}). Drawing is application code (the engine's command-line
 * package has a plot); the loop only stores what it is given.
 */
@FunctionalInterface
public interface LossPlotter {
  /** PNG bytes of {@code points} under {@code title}. */
  byte[] png(List<LossHistory.Point> points, String title);
}

package io.convt.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LossTest {
  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  @Test
  void mseAndL1ValuesMatchTheirDefinitions() {
    float[] y = {1f, -2f, 0.5f};
    float[] t = {0f, 1f, 0.5f};
    assertEquals(1 + 9 + 0, new Loss(LossKind.MSE, LossReduction.SUM).sumValue(y, t, "r"), 0);
    assertEquals(1 + 3 + 0, new Loss(LossKind.L1, LossReduction.SUM).sumValue(y, t, "r"), 0);
    float[] g = new float[3];
    new Loss(LossKind.MSE, LossReduction.SUM).sumValueAndGradient(y, t, g, "r");
    assertArrayEquals(new float[] {2f, -6f, 0f}, g, 0f);
    new Loss(LossKind.L1, LossReduction.SUM).sumValueAndGradient(y, t, g, "r");
    assertArrayEquals(new float[] {1f, -1f, 0f}, g, 0f); // sign, 0 at equality as PyTorch
  }

  @Test
  void gradientMatchesCentralFiniteDifferences() {
    Random r = new Random(7);
    for (LossKind kind : LossKind.values()) {
      Loss loss = new Loss(kind, LossReduction.SUM);
      float[] y = random(r, 40);
      float[] t = random(r, 40);
      float[] g = new float[40];
      loss.sumValueAndGradient(y, t, g, "r");
      float h = 1e-2f;
      for (int i = 0; i < y.length; i++) {
        if (Math.abs(y[i] - t[i]) < 2 * h) {
          continue; // L1 is not differentiable at the kink; random data almost never lands there
        }
        float[] plus = y.clone();
        float[] minus = y.clone();
        plus[i] += h;
        minus[i] -= h;
        double fd = (loss.sumValue(plus, t, "r") - loss.sumValue(minus, t, "r")) / ((double) plus[i] - minus[i]);
        assertEquals(fd, g[i], 1e-3 * Math.max(1, Math.abs(fd)), kind + " element " + i);
      }
    }
  }

  @Test
  void meanDividesTheDatasetSumByTheGlobalElementCountAtTheEnd() {
    Loss mean = Loss.parse("mse", "mean");
    Random r = new Random(3);
    // Two "records" of 6 elements each, as two partitions would see them.
    float[] y1 = random(r, 6), t1 = random(r, 6), y2 = random(r, 6), t2 = random(r, 6);
    double sum = mean.sumValue(y1, t1, "a") + mean.sumValue(y2, t2, "b");
    float[] all = new float[12], allT = new float[12];
    System.arraycopy(y1, 0, all, 0, 6);
    System.arraycopy(y2, 0, all, 6, 6);
    System.arraycopy(t1, 0, allT, 0, 6);
    System.arraycopy(t2, 0, allT, 6, 6);
    assertEquals(mean.sumValue(all, allT, "all") / 12, mean.reduce(sum, 12), 1e-12);
    float[] grad = {12f, -6f};
    mean.finishGradient(grad, 12);
    assertArrayEquals(new float[] {1f, -0.5f}, grad, 0f);
    float[] same = {12f, -6f};
    Loss.parse("l1", "sum").finishGradient(same, 12);
    assertArrayEquals(new float[] {12f, -6f}, same, 0f);
    assertEquals(5.0, Loss.parse("L1", "SUM").reduce(5.0, 12), 0);
  }

  @Test
  void nonFiniteValuesAreClearErrors() {
    Loss loss = Loss.parse("mse", "mean");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> loss.sumValue(new float[] {1f, Float.NaN}, new float[] {0f, 0f}, "record 4 of y.npy"));
    assertTrue(e.getMessage().startsWith("Cannot compute mse loss of record 4 of y.npy: output element 1"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> loss.sumValueAndGradient(new float[] {1f}, new float[] {Float.POSITIVE_INFINITY}, new float[1], "r"));
    assertTrue(e.getMessage().contains("target element 0 is not finite"), e.getMessage());
    // Finite inputs whose float gradient overflows are caught too.
    e = assertThrows(IllegalArgumentException.class, () -> loss.sumValueAndGradient(
        new float[] {Float.MAX_VALUE}, new float[] {-Float.MAX_VALUE}, new float[1], "r"));
    assertTrue(e.getMessage().contains("element 0 overflows float"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> loss.reduce(Double.NaN, 3));
    assertTrue(e.getMessage().startsWith("Cannot reduce mse/mean"), e.getMessage());
  }

  @Test
  void badArgumentsAreRejected() {
    Loss loss = Loss.parse("l1", "mean");
    assertThrows(IllegalArgumentException.class, () -> loss.sumValue(new float[2], new float[3], "r"));
    assertThrows(IllegalArgumentException.class, () -> loss.reduce(1, 0));
    assertEquals("Cannot use --loss huber: expected mse or l1",
        assertThrows(IllegalArgumentException.class, () -> Loss.parse("huber", "mean")).getMessage());
    assertEquals("Cannot use --reduction avg: expected mean or sum",
        assertThrows(IllegalArgumentException.class, () -> Loss.parse("mse", "avg")).getMessage());
  }
}

package io.convt.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.convt.engine.train.TrainingOptimizer.Kind;
import io.convt.engine.train.TrainingOptimizer.Regularization;
import io.convt.engine.train.TrainingOptimizer.Settings;
import org.junit.jupiter.api.Test;

/** Spec §5.4 / §7.12 with double-precision oracles. */
class TrainingOptimizerTest {
  @Test
  void adamFirstStepUsesTimeStepOneAndTheTfEpsilon() {
    TrainingOptimizer o = new TrainingOptimizer(Settings.defaults(Kind.ADAM));
    float[][] w = o.step(new float[][] {{1f, -2f}, null}, new float[][] {{0.5f, -0.25f}, null});
    assertEquals(1, o.timeStep());
    for (int i = 0; i < 2; i++) {
      double g = new double[] {0.5, -0.25}[i];
      double m = 0.1 * g;
      double v = 0.001 * g * g;
      double lrT = 1e-3 * Math.sqrt(1 - 0.999) / (1 - 0.9);
      double want = new double[] {1, -2}[i] - lrT * m / (Math.sqrt(v) + 1e-8);
      assertEquals(want, w[0][i], 1e-6);
    }
    assertNull(w[1]); // no bias vector: left alone
    o.step(w, new float[][] {{0.5f, -0.25f}, null});
    assertEquals(2, o.timeStep());
  }

  @Test
  void sgdClipsBeforeRescalingThenRegularises() {
    Settings s = new Settings(Kind.SGD, 0.1f, 2f, true, -1f, 1f, Regularization.L2, 0.5f, 0f, false, 0.9, 0.9,
        0.999, 1e-8f, false);
    float[][] w = new TrainingOptimizer(s).step(new float[][] {{3f}}, new float[][] {{10f}});
    // g = clip(10) = 1, ×2 = 2, + 0.5·3 = 3.5; w = 3 − 0.1·3.5
    assertEquals(3f - 0.1f * 3.5f, w[0][0], 1e-6f);
  }

  @Test
  void stateRoundTripsAndFailuresLeaveItUntouched() {
    TrainingOptimizer a = new TrainingOptimizer(Settings.defaults(Kind.ADAM));
    float[][] w = a.step(new float[][] {{1f, 2f}}, new float[][] {{0.1f, 0.2f}});
    TrainingOptimizer b = new TrainingOptimizer(Settings.defaults(Kind.ADAM));
    b.restore(a.state(), a.timeStep());
    float[][] g = {{0.3f, -0.1f}};
    assertArrayEquals(a.step(w, g)[0], b.step(w, g)[0], 0f);
    long t = b.timeStep();
    assertThrows(IllegalArgumentException.class, () -> b.step(new float[][] {{1f, 2f}}, new float[][] {{Float.NaN, 0f}}));
    assertEquals(t, b.timeStep());
    assertArrayEquals(a.state().get("m.0"), b.state().get("m.0"), 0f);
  }
}

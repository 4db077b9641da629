package io.convt.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.GradientState;
import io.convt.engine.WeightsAndBiasesState;
import io.convt.engine.train.TrainingOptimizer.Kind;
import io.convt.engine.train.TrainingOptimizer.Regularization;
import io.convt.engine.train.TrainingOptimizer.Settings;
import org.junit.jupiter.api.Test;

/**
 * Several steps of each MPS rule (spec §5.4) against oracles written independently in double precision from the
 * spec's formulas; the float implementation must stay within float rounding of them.
 */
class OptimizerOracleTest {
  static final double[] W0 = {0.5, -1.25, 2.0};
  static final double[][] G = {{0.3, -0.7, 0.05}, {-0.2, 0.4, 0.9}, {0.6, 0.1, -0.3}};

  static Settings settings(Kind k, float lr, float mu, boolean nesterov, Regularization reg, float lambda,
      boolean amsgrad) {
    return new Settings(k, lr, 1f, false, 0f, 0f, reg, lambda, mu, nesterov, 0.9, 0.9, 0.999, 1e-8f, amsgrad);
  }

  static double[] run(TrainingOptimizer o) {
    float[] w = {(float) W0[0], (float) W0[1], (float) W0[2]};
    for (double[] g : G) {
      w = o.step(new float[][] {w}, new float[][] {{(float) g[0], (float) g[1], (float) g[2]}})[0];
    }
    return new double[] {w[0], w[1], w[2]};
  }

  static double reg(Regularization r, double lambda, double w) {
    return r == Regularization.L2 ? lambda * w : r == Regularization.L1 ? lambda * Math.signum(w) : 0;
  }

  @Test
  void sgdMomentumAndNesterov() {
    for (boolean nesterov : new boolean[] {false, true}) {
      double lr = 0.1, mu = 0.9, lambda = 0.01;
      double[] w = W0.clone();
      double[] m = new double[3];
      for (double[] g : G) {
        for (int i = 0; i < 3; i++) {
          double gi = g[i] + reg(Regularization.L2, lambda, w[i]);
          if (nesterov) {
            m[i] = mu * m[i] + gi;
            w[i] -= lr * (gi + mu * m[i]);
          } else {
            m[i] = mu * m[i] + lr * gi; // MPS folds lr into m, unlike PyTorch
            w[i] -= m[i];
          }
        }
      }
      assertArrayEquals(w, run(new TrainingOptimizer(settings(Kind.SGD, 0.1f, 0.9f, nesterov, Regularization.L2,
          0.01f, false))), 1e-5, "nesterov=" + nesterov);
    }
  }

  @Test
  void rmsPropWithL1() {
    double lr = 0.01, d = 0.9, eps = 1e-8, lambda = 0.05;
    double[] w = W0.clone();
    double[] s = new double[3];
    for (double[] g : G) {
      for (int i = 0; i < 3; i++) {
        double gi = g[i] + reg(Regularization.L1, lambda, w[i]);
        s[i] = d * s[i] + (1 - d) * gi * gi;
        w[i] -= lr * gi / (Math.sqrt(s[i]) + eps);
      }
    }
    assertArrayEquals(w, run(new TrainingOptimizer(settings(Kind.RMSPROP, 0.01f, 0f, false, Regularization.L1, 0.05f,
        false))), 1e-5);
  }

  @Test
  void adamAndAmsGradOverThreeSteps() {
    for (boolean ams : new boolean[] {false, true}) {
      double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
      double[] w = W0.clone();
      double[] m = new double[3];
      double[] v = new double[3];
      double[] vmax = new double[3];
      int t = 0;
      for (double[] g : G) {
        t++; // incremented before use
        double lrT = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
        for (int i = 0; i < 3; i++) {
          m[i] = b1 * m[i] + (1 - b1) * g[i];
          v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
          vmax[i] = Math.max(vmax[i], v[i]);
          w[i] -= lrT * m[i] / (Math.sqrt(ams ? vmax[i] : v[i]) + eps); // TF epsilon: not bias-corrected
        }
      }
      TrainingOptimizer o = new TrainingOptimizer(settings(Kind.ADAM, 0.01f, 0f, false, Regularization.NONE, 0f, ams));
      assertArrayEquals(w, run(o), 1e-5, "amsgrad=" + ams);
      assertEquals(3, o.timeStep());
    }
  }

  @Test
  void oneMomentVectorLeavesTheBiasUntouchedAndTheSourceStateIsNotModified() {
    GradientState grads = new GradientState() {
      public float[] gradientForWeights() { return new float[] {1f, -1f}; }
      public float[] gradientForBiases() { return new float[] {0.5f}; }
    };
    WeightsAndBiasesState src = new WeightsAndBiasesState(new float[] {1f, 2f}, new float[] {3f});
    TrainingOptimizer sgd = new TrainingOptimizer(settings(Kind.SGD, 0.1f, 0f, false, Regularization.NONE, 0f, false));
    WeightsAndBiasesState weightsOnly = sgd.encode(grads, src, false);
    assertArrayEquals(new float[] {0.9f, 2.1f}, weightsOnly.weights(), 1e-7f);
    assertArrayEquals(new float[] {3f}, weightsOnly.biases(), 0f);
    WeightsAndBiasesState both = sgd.encode(grads, src, true);
    assertArrayEquals(new float[] {2.95f}, both.biases(), 1e-7f);
    assertArrayEquals(new float[] {1f, 2f}, src.weights(), 0f);
    assertArrayEquals(new float[] {3f}, src.biases(), 0f);
  }
}

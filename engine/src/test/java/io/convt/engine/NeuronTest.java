package io.convt.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Every neuron type against its formula (spec §1.2) written out here in double precision, with MPS's defaults
 * for parameters that are not given and with explicit parameters. The expected values never come from
 * {@link Neuron} itself.
 */
class NeuronTest {
  static final double[] XS = {-7.5, -2, -1, -0.3, 0, 0.25, 0.5, 1, 2.5, 6, 9};
  static final Set<NeuronType> TESTED = EnumSet.noneOf(NeuronType.class);

  static void check(Neuron n, DoubleUnaryOperator want, double... xs) {
    TESTED.add(n.type());
    for (double x : xs) {
      double w = want.applyAsDouble(x);
      float got = n.apply((float) x, 0);
      if (Double.isNaN(w)) {
        assertTrue(Float.isNaN(got), n + " at " + x + ": want NaN, got " + got);
      } else {
        assertEquals(w, got, 1e-6 * Math.max(1, Math.abs(w)), n + " at x=" + x);
      }
    }
  }

  static void check(Neuron n, DoubleUnaryOperator want) {
    check(n, want, XS);
  }

  static double clamp01(double v) {
    return v < 0 ? 0 : v > 1 ? 1 : v;
  }

  /** erf by its Maclaurin series, accurate to ~1e-12 for |x| ≤ 3 (used only there). */
  static double erf(double x) {
    double sum = 0;
    double term = x;
    for (int n = 0; n < 200; n++) {
      sum += term / (2 * n + 1);
      term *= -x * x / (n + 1);
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }

  @Test
  void noneIsTheIdentity() {
    check(Neuron.of(NeuronType.NONE), x -> x);
    check(Neuron.NONE, x -> x);
  }

  @Test
  void linearDefaultsToTheIdentityAndUsesGivenParameters() {
    check(Neuron.of(NeuronType.LINEAR), x -> 1 * x + 0);
    check(Neuron.of(NeuronType.LINEAR, 2f, 1f, 0f), x -> 2 * x + 1);
    check(Neuron.of(NeuronType.LINEAR, new float[] {3f}), x -> 3 * x + 0);
  }

  @Test
  void reluDefaultsToSlopeZeroAndLeaksWithA() {
    check(Neuron.of(NeuronType.RELU), x -> x >= 0 ? x : 0);
    check(Neuron.of(NeuronType.RELU, new float[] {0.1f}), x -> x >= 0 ? x : 0.1f * x);
  }

  @Test
  void sigmoid() {
    check(Neuron.of(NeuronType.SIGMOID), x -> 1 / (1 + Math.exp(-x)));
  }

  @Test
  void hardSigmoidDefaultsToAPointTwoBPointFive() {
    check(Neuron.of(NeuronType.HARD_SIGMOID), x -> clamp01(0.2f * x + 0.5));
    check(Neuron.of(NeuronType.HARD_SIGMOID, new float[] {1f}), x -> clamp01(x + 0.5));
    check(Neuron.of(NeuronType.HARD_SIGMOID, new float[] {0.5f, 0.25f}), x -> clamp01(0.5 * x + 0.25));
  }

  @Test
  void tanhWithoutParametersIsPlainTanh() {
    Neuron n = Neuron.of(NeuronType.TANH);
    check(n, Math::tanh);
    assertTrue(n.apply(1f, 0) > 0.7f, "tanh(1) is not zero");
    check(Neuron.of(NeuronType.TANH, new float[] {2f}), x -> 2 * Math.tanh(x));
    check(Neuron.of(NeuronType.TANH, new float[] {2f, 0.5f}), x -> 2 * Math.tanh(0.5 * x));
  }

  @Test
  void absolute() {
    check(Neuron.of(NeuronType.ABSOLUTE), Math::abs);
  }

  @Test
  void softPlusDefaultsToAOneBOne() {
    check(Neuron.of(NeuronType.SOFT_PLUS), x -> Math.log(1 + Math.exp(x)));
    check(Neuron.of(NeuronType.SOFT_PLUS, new float[] {2f}), x -> 2 * Math.log(1 + Math.exp(x)));
    check(Neuron.of(NeuronType.SOFT_PLUS, new float[] {2f, 3f}), x -> 2 * Math.log(1 + Math.exp(3 * x)));
  }

  @Test
  void softSign() {
    check(Neuron.of(NeuronType.SOFT_SIGN), x -> x / (1 + Math.abs(x)));
  }

  @Test
  void eluDefaultsToAOne() {
    check(Neuron.of(NeuronType.ELU), x -> x >= 0 ? x : Math.exp(x) - 1);
    check(Neuron.of(NeuronType.ELU, new float[] {0.5f}), x -> x >= 0 ? x : 0.5 * (Math.exp(x) - 1));
  }

  @Test
  void preluUsesTheSlopeOfItsChannel() {
    Neuron n = Neuron.prelu(new float[] {0.25f, 3f});
    TESTED.add(NeuronType.PRELU);
    for (double x : XS) {
      assertEquals(x >= 0 ? x : 0.25 * x, n.apply((float) x, 0), 1e-6);
      assertEquals(x >= 0 ? x : 3 * x, n.apply((float) x, 1), 1e-6);
    }
  }

  @Test
  void reluNDefaultsToAOneBSix() {
    check(Neuron.of(NeuronType.RELUN), x -> Math.min(x >= 0 ? x : 1 * x, 6));
    assertEquals(6f, Neuron.of(NeuronType.RELUN).apply(9f, 0));
    check(Neuron.of(NeuronType.RELUN, new float[] {0f}), x -> Math.min(x >= 0 ? x : 0, 6));
    check(Neuron.of(NeuronType.RELUN, new float[] {0.1f, 2f}), x -> Math.min(x >= 0 ? x : 0.1f * x, 2));
  }

  @Test
  void powerDefaultsToTheIdentity() {
    check(Neuron.of(NeuronType.POWER), x -> Math.pow(x, 1));
    check(Neuron.of(NeuronType.POWER, 1f, 1f, 2f), x -> (x + 1) * (x + 1));
    check(Neuron.of(NeuronType.POWER, new float[] {2f, 0f, 0.5f}), x -> Math.sqrt(2 * x), 0, 0.5, 2, 8);
  }

  @Test
  void exponentialDefaultsToBaseE() {
    check(Neuron.of(NeuronType.EXPONENTIAL), Math::exp);
    check(Neuron.of(NeuronType.EXPONENTIAL, new float[] {2f, 1f}), x -> Math.exp(2 * x + 1), -2, 0, 1, 3);
    check(Neuron.of(NeuronType.EXPONENTIAL, 1f, 0f, Neuron.BASE_E), Math::exp);
    check(Neuron.of(NeuronType.EXPONENTIAL, 1f, 0f, 2f), x -> Math.pow(2, x));
  }

  @Test
  void logarithmDefaultsToTheNaturalLogarithm() {
    double[] positive = {0.01, 0.5, 1, 2.718281828, 10, 1000};
    check(Neuron.of(NeuronType.LOGARITHM), Math::log, positive);
    check(Neuron.of(NeuronType.LOGARITHM, new float[] {1f, 1f}), x -> Math.log(x + 1), positive);
    check(Neuron.of(NeuronType.LOGARITHM, 1f, 0f, 10f), Math::log10, positive);
    check(Neuron.of(NeuronType.LOGARITHM), x -> Double.NaN, -1, -0.5); // log of a negative number, as in MPS
  }

  @Test
  void gelu() {
    check(Neuron.of(NeuronType.GELU), x -> 0.5 * x * (1 + erf(x / Math.sqrt(2))), -4, -2, -1, -0.3, 0, 0.25, 1, 2.5, 4);
    check(Neuron.of(NeuronType.GELU), x -> x > 0 ? x : 0, -9, 9); // erf(±6.4) is ±1 to double precision
  }

  @Test
  void defaultsAreTheSpecsTable() {
    // spec §1.2: Linear a=1,b=0; ReLU a=0; HardSigmoid a=0.2,b=0.5; TanH a=1,b=1; SoftPlus a=1,b=1; ELU a=1;
    // ReLUN a=1,b=6; Power a=1,b=0,c=1; Exponential and Logarithm a=1,b=0,c=-1.
    float[][] want = {
      {NeuronType.LINEAR.ordinal(), 1, 0}, {NeuronType.RELU.ordinal(), 0}, {NeuronType.HARD_SIGMOID.ordinal(), 0.2f, 0.5f},
      {NeuronType.TANH.ordinal(), 1, 1}, {NeuronType.SOFT_PLUS.ordinal(), 1, 1}, {NeuronType.ELU.ordinal(), 1},
      {NeuronType.RELUN.ordinal(), 1, 6}, {NeuronType.POWER.ordinal(), 1, 0, 1},
      {NeuronType.EXPONENTIAL.ordinal(), 1, 0, -1}, {NeuronType.LOGARITHM.ordinal(), 1, 0, -1}
    };
    for (float[] row : want) {
      NeuronType t = NeuronType.values()[(int) row[0]];
      Neuron n = Neuron.of(t);
      assertEquals(row.length - 1, t.parameterCount(), t + " parameter count");
      float[] abc = {n.a(), n.b(), n.c()};
      for (int i = 1; i < row.length; i++) {
        assertEquals(row[i], abc[i - 1], t + " default " + "abc".charAt(i - 1));
      }
    }
  }

  @Test
  void moreParametersThanTheTypeUsesAreRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Neuron.of(NeuronType.SIGMOID, new float[] {2f}));
    assertEquals("Cannot create neuron SIGMOID: it takes no parameters, got 1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Neuron.of(NeuronType.RELU, new float[] {1f, 2f}));
    assertEquals("Cannot create neuron RELU: it takes at most 1 parameter (a), got 2", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Neuron.of(NeuronType.TANH, new float[] {Float.NaN}));
    assertThrows(IllegalArgumentException.class, () -> Neuron.of(NeuronType.PRELU, new float[0]));
  }

  @Test
  void everyTypeHasATestHere() {
    // Runs the per-type tests' checks again so that this test does not depend on execution order.
    noneIsTheIdentity();
    linearDefaultsToTheIdentityAndUsesGivenParameters();
    reluDefaultsToSlopeZeroAndLeaksWithA();
    sigmoid();
    hardSigmoidDefaultsToAPointTwoBPointFive();
    tanhWithoutParametersIsPlainTanh();
    absolute();
    softPlusDefaultsToAOneBOne();
    softSign();
    eluDefaultsToAOne();
    preluUsesTheSlopeOfItsChannel();
    reluNDefaultsToAOneBSix();
    powerDefaultsToTheIdentity();
    exponentialDefaultsToBaseE();
    logarithmDefaultsToTheNaturalLogarithm();
    gelu();
    assertEquals(EnumSet.allOf(NeuronType.class), TESTED);
  }
}

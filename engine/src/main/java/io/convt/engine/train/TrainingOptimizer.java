package io.convt.engine.train;

import io.convt.engine.GradientState;
import io.convt.engine.WeightsAndBiasesState;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The update rules of {@code MPSNNOptimizerStochasticGradientDescent}, {@code …RMSProp} and {@code …Adam} (spec
 * §5.4) over the two vectors of a convolution (index 0 weights, 1 biases), out of place, with every piece of state
 * exposed as named float arrays so a checkpoint can store and restore it bit for bit.
 *
 * <p>Each gradient element is preprocessed in MPS's order: clip to [min, max] (if enabled), multiply by
 * {@code gradientRescale}, then add the regularisation gradient ({@code λ·w} for L2, {@code λ·sign(w)} for L1).
 * SGD: {@code m = μ·m + lr·g; w −= m} (Nesterov: {@code m = μ·m + g; w −= lr·(g + μ·m)}; no momentum:
 * {@code w −= lr·g}). RMSProp: {@code s = d·s + (1−d)·g²; w −= lr·g/(√s + ε)}. Adam (TF form): {@code t += 1} before
 * use, {@code lr_t = lr·√(1−β2^t)/(1−β1^t)}, {@code m = β1·m + (1−β1)·g}, {@code v = β2·v + (1−β2)·g²},
 * {@code w −= lr_t·m/(√v + ε)}; AMSGrad divides by {@code √max(vmax, v) + ε}. The time step is per optimizer
 * object and advances once per {@link #step}.
 *
 * <p>{@link #encode} is the MPS-shaped form over gradient and weights states; {@link #step} the plain-array form the
 * training job uses. Moments are kept in float, as MPS keeps them in its moment vectors.
 */
public final class TrainingOptimizer {
  /** The update rule. */
  public enum Kind { SGD, RMSPROP, ADAM }

  /** The regularisation added to each gradient element. */
  public enum Regularization { NONE, L1, L2 }

  /**
   * Hyper-parameters (MPS descriptor defaults in {@link #defaults}).
   *
   * @param kind rule
   * @param learningRate lr
   * @param gradientRescale multiplier after clipping
   * @param clipGradients whether to clip to [clipMin, clipMax]
   * @param clipMin lower clip
   * @param clipMax upper clip
   * @param regularization regularisation type
   * @param regularizationScale λ
   * @param momentum SGD μ
   * @param nesterov SGD Nesterov form
   * @param decay RMSProp decay
   * @param beta1 Adam β1
   * @param beta2 Adam β2
   * @param epsilon RMSProp/Adam ε
   * @param amsgrad Adam AMSGrad
   */
  public record Settings(Kind kind, float learningRate, float gradientRescale, boolean clipGradients, float clipMin,
      float clipMax, Regularization regularization, float regularizationScale, float momentum, boolean nesterov,
      double decay, double beta1, double beta2, float epsilon, boolean amsgrad) {
    public Settings {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(regularization, "regularization");
      if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
        throw new IllegalArgumentException("Cannot use --learning-rate " + learningRate + ": must be > 0");
      }
      if (clipGradients && !(clipMin <= clipMax)) {
        throw new IllegalArgumentException("Cannot clip gradients to [" + clipMin + ", " + clipMax + "]: min > max");
      }
    }

    /** MPS defaults for {@code kind}: lr 1e-3, rescale 1, no clipping or regularisation, μ 0, decay 0.9, β 0.9/0.999, ε 1e-8. */
    public static Settings defaults(Kind kind) {
      return new Settings(kind, 1e-3f, 1f, false, 0f, 0f, Regularization.NONE, 0f, 0f, false, 0.9, 0.9, 0.999,
          1e-8f, false);
    }

    /** Parses {@code sgd}, {@code rmsprop} or {@code adam}. */
    public static Kind kind(String s) {
      try {
        return Kind.valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("Cannot use --optimizer " + s + ": expected sgd, rmsprop or adam");
      }
    }
  }

  private final Settings settings;
  private final Map<String, float[]> state = new LinkedHashMap<>();
  private long timeStep;

  public TrainingOptimizer(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  public Settings settings() {
    return settings;
  }

  /** Adam's time step (steps taken so far); 0 before the first step. */
  public long timeStep() {
    return timeStep;
  }

  /** Every state vector by name ({@code m.0}, {@code v.1}, ...), copied. */
  public Map<String, float[]> state() {
    Map<String, float[]> out = new LinkedHashMap<>();
    state.forEach((k, v) -> out.put(k, v.clone()));
    return out;
  }

  /** Restores what {@link #state()} and {@link #timeStep()} returned (e.g. from a checkpoint). */
  public void restore(Map<String, float[]> saved, long savedTimeStep) {
    state.clear();
    saved.forEach((k, v) -> state.put(k, v.clone()));
    timeStep = savedTimeStep;
  }

  /**
   * One update of every vector ({@code values[i]} with gradient {@code gradients[i]}); returns new arrays. Null
   * entries (e.g. a layer without bias) are skipped and stay null.
   *
   * @throws IllegalArgumentException when lengths differ, or a gradient or result is not finite (the caller's
   *     weights are never modified)
   */
  public float[][] step(float[][] values, float[][] gradients) {
    long t = timeStep + 1;
    double lrT = settings.learningRate();
    if (settings.kind() == Kind.ADAM) {
      lrT = settings.learningRate() * Math.sqrt(1 - Math.pow(settings.beta2(), t)) / (1 - Math.pow(settings.beta1(), t));
    }
    Map<String, float[]> next = state();
    float[][] out = new float[values.length][];
    for (int vi = 0; vi < values.length; vi++) {
      if (values[vi] == null || gradients[vi] == null) {
        continue;
      }
      float[] w = values[vi];
      float[] g = gradients[vi];
      if (w.length != g.length) {
        throw new IllegalArgumentException("Cannot step optimizer: vector " + vi + " has " + w.length
            + " values but its gradient " + g.length);
      }
      out[vi] = update(vi, w, g, (float) lrT, next);
    }
    state.clear();
    state.putAll(next);
    timeStep = t;
    return out;
  }

  /**
   * MPS's convolution-state encode ({@code encodeToCommandBuffer:convolutionGradientState:convolutionSourceState:
   * inputMomentumVectors:resultState:}): vector 0 is the weights, vector 1 the biases. {@code updateBias = false}
   * is MPS's one-element moment-vector array: the bias is carried over unchanged (and its moments untouched).
   * Out of place: {@code source} is not modified.
   */
  public WeightsAndBiasesState encode(GradientState gradients, WeightsAndBiasesState source, boolean updateBias) {
    Objects.requireNonNull(gradients, "gradients");
    Objects.requireNonNull(source, "source");
    boolean bias = updateBias && source.biases() != null && gradients.gradientForBiases() != null;
    float[][] next = step(new float[][] {source.weights(), bias ? source.biases() : null},
        new float[][] {gradients.gradientForWeights(), bias ? gradients.gradientForBiases() : null});
    return new WeightsAndBiasesState(next[0], bias ? next[1] : source.biases() == null ? null : source.biases().clone());
  }

  private float[] update(int vi, float[] w, float[] g, float lrT, Map<String, float[]> st) {
    Settings s = settings;
    float[] m = st.computeIfAbsent("m." + vi, k -> new float[w.length]);
    float[] v = s.kind() == Kind.ADAM ? st.computeIfAbsent("v." + vi, k -> new float[w.length]) : null;
    float[] vmax = s.kind() == Kind.ADAM && s.amsgrad() ? st.computeIfAbsent("vmax." + vi, k -> new float[w.length]) : null;
    float[] out = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      float gi = g[i];
      if (!Float.isFinite(gi)) {
        throw new IllegalArgumentException("Cannot step optimizer: gradient " + vi + "[" + i + "] is not finite ("
            + gi + ")");
      }
      if (s.clipGradients()) {
        gi = Math.max(s.clipMin(), Math.min(s.clipMax(), gi));
      }
      gi *= s.gradientRescale();
      if (s.regularization() == Regularization.L2) {
        gi += s.regularizationScale() * w[i];
      } else if (s.regularization() == Regularization.L1) {
        gi += s.regularizationScale() * Math.signum(w[i]);
      }
      float wi;
      switch (s.kind()) {
        case SGD:
          if (s.momentum() == 0f && !s.nesterov()) {
            wi = w[i] - s.learningRate() * gi;
          } else if (s.nesterov()) {
            m[i] = s.momentum() * m[i] + gi;
            wi = w[i] - s.learningRate() * (gi + s.momentum() * m[i]);
          } else {
            m[i] = s.momentum() * m[i] + s.learningRate() * gi;
            wi = w[i] - m[i];
          }
          break;
        case RMSPROP:
          m[i] = (float) (s.decay() * m[i] + (1 - s.decay()) * gi * gi);
          wi = w[i] - s.learningRate() * gi / ((float) Math.sqrt(m[i]) + s.epsilon());
          break;
        default:
          m[i] = (float) (s.beta1() * m[i] + (1 - s.beta1()) * gi);
          v[i] = (float) (s.beta2() * v[i] + (1 - s.beta2()) * gi * gi);
          float denom = v[i];
          if (vmax != null) {
            vmax[i] = Math.max(vmax[i], v[i]);
            denom = vmax[i];
          }
          wi = w[i] - lrT * m[i] / ((float) Math.sqrt(denom) + s.epsilon());
          break;
      }
      if (!Float.isFinite(wi)) {
        throw new IllegalArgumentException("Cannot step optimizer: weight " + vi + "[" + i + "] became " + wi);
      }
      out[i] = wi;
    }
    return out;
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvGeometry;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.KernelWeights;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.util.concurrent.ConcurrentHashMap;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vectorised twin of {@link ScalarBackend} (JDK Vector API, {@code FloatVector.SPECIES_PREFERRED}). It
 * accumulates in float with FMA, so it agrees with the double-accumulating reference to within a rounding error
 * that grows with the reduction length. Loaded reflectively by {@code KernelBackends}.
 *
 * <p>HALF accumulation (fp16 rounding after every multiply-add) runs {@link SimdHalfForward}: the reference's
 * sequence per output channel, lanes side by side, the reference's bits. Not handled ({@link #handlesForward},
 * {@link #handlesBackward}: a plan sends these passes to the scalar reference and says so): kernels wider than 64
 * columns. Called directly with such a problem, the backend still delegates to the scalar reference (logged once per
 * shape).
 *
 * <p>Two caches, each least-recently-used within its own byte budget, so cheap plans never evict expensive packs:
 * {@link WeightPack}s per weight shape (the packed weights, shared by every image size of a layer;
 * {@code convt.simd.cacheBytes}, default 256 MiB) and {@link SimdPlan}s per geometry (masks and block tables, rebuilt
 * in microseconds from one row's columns; {@code convt.simd.planCacheBytes}, default 256 KiB: a stream of a few
 * sizes never rebuilds them, a stream of thousands costs at most the budget). A cached plan holds no pack: each
 * call binds the pack of its shape ({@link SimdPlan#withPack}).
 */
public final class SimdBackend implements KernelBackend {
  private static final Logger LOG = LoggerFactory.getLogger(SimdBackend.class);
  private static final long DEFAULT_PACK_CACHE_BYTES = 256L << 20;
  private static final long DEFAULT_PLAN_CACHE_BYTES = 256L << 10;

  private final ByteBoundedCache<ConvGeometry, SimdPlan> plans;
  private final ByteBoundedCache<WeightPack.Shape, WeightPack> packs;
  private final ConcurrentHashMap<ConvGeometry, Boolean> delegatedLogged = new ConcurrentHashMap<>();

  /**
   * Creates the backend with the caches' budgets from {@code convt.simd.cacheBytes} (packed weights) and
   * {@code convt.simd.planCacheBytes} (plans).
   *
   * @throws UnsupportedOperationException when the preferred vector species is narrower than 4 floats
   * @throws IllegalArgumentException naming the property when a budget is not a number of bytes >= 0, or
   *     {@code convt.simd.parallelMinMacs} or {@code convt.simd.spinMicros} not a number >= 0
   */
  public SimdBackend() {
    this(budget("convt.simd.cacheBytes", DEFAULT_PACK_CACHE_BYTES),
        budget("convt.simd.planCacheBytes", DEFAULT_PLAN_CACHE_BYTES));
  }

  /** A byte budget from system property {@code key}, or {@code defaultBytes} when it is not set. */
  static long budget(String key, long defaultBytes) {
    return nonNegative(key, defaultBytes, "bytes");
  }

  /**
   * A count of {@code unit} from system property {@code key}, or {@code defaultValue} when it is not set.
   *
   * @throws IllegalArgumentException naming the property and its value when it is not a whole number >= 0
   */
  static long nonNegative(String key, long defaultValue, String unit) {
    String v = System.getProperty(key);
    if (v == null) {
      return defaultValue;
    }
    try {
      long n = Long.parseLong(v.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below with the property's name
    }
    throw new IllegalArgumentException("Invalid -D" + key + "=" + v + ": expected a number of " + unit + " >= 0");
  }

  /** A backend whose caches hold at most {@code packCacheBytes} of packed weights, {@code planCacheBytes} of plans. */
  SimdBackend(long packCacheBytes, long planCacheBytes) {
    // checked here so that a bad value stops the backend loading with its name, before Parallel first reads it
    nonNegative(Parallel.MIN_MACS_KEY, Parallel.DEFAULT_MIN_PARALLEL_MACS, Parallel.MIN_MACS_UNIT);
    nonNegative(HotWorkers.SPIN_KEY, HotWorkers.DEFAULT_SPIN_MICROS, HotWorkers.SPIN_UNIT);
    int lanes = FloatVector.SPECIES_PREFERRED.length();
    if (lanes < 4) {
      throw new UnsupportedOperationException(
          "Cannot use the vectorised kernel: preferred float vector has " + lanes + " lanes (need ≥ 4)");
    }
    this.packs = new ByteBoundedCache<>(packCacheBytes, WeightPack::maxBytes);
    this.plans = new ByteBoundedCache<>(planCacheBytes, SimdPlan::bytes);
  }

  @Override
  public String name() {
    return "simd";
  }

  @Override
  public boolean handlesForward(int kernelWidth, boolean halfAccumulation) {
    return kernelWidth <= SimdPlan.MAX_KERNEL_WIDTH;
  }

  @Override
  public boolean handlesBackward(int kernelWidth) {
    return kernelWidth <= SimdPlan.MAX_KERNEL_WIDTH;
  }

  /**
   * Four vectors at a time: {@code x - x} is 0 for a finite value and NaN for NaN or ±infinity, and a NaN survives
   * the sum, so one compare tells whether the 4 vectors are all finite; the first bad index is then found by the
   * scalar loop (the answer is the scalar one by construction).
   */
  @Override
  public int firstNonFinite(float[] values) {
    int n = FloatVector.SPECIES_PREFERRED.length();
    int step = 4 * n;
    int i = 0;
    for (; i <= values.length - step; i += step) {
      FloatVector a = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, values, i);
      FloatVector b = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, values, i + n);
      FloatVector c = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, values, i + 2 * n);
      FloatVector d = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, values, i + 3 * n);
      FloatVector zeroUnlessBad = a.sub(a).add(b.sub(b)).add(c.sub(c).add(d.sub(d)));
      if (zeroUnlessBad.compare(VectorOperators.NE, 0f).anyTrue()) {
        break;
      }
    }
    for (; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The plan for a problem's geometry (cached, or built and logged), bound to the packed weights of its weight
   * shape (cached, or a new empty pack the kernels fill) for a call computing with {@code weights}.
   */
  SimdPlan plan(ConvProblem p, KernelWeights weights) {
    ConvGeometry k = p.geometry();
    SimdPlan plan = plans.get(k);
    if (plan == null) {
      SimdPlan made = new SimdPlan(k);
      plan = plans.putIfAbsent(k, made);
      if (plan == made) {
        LOG.debug("convt simd plan for {}: {}", k.describe(), made.describe());
      }
    }
    WeightPack.Shape shape = WeightPack.Shape.of(k);
    WeightPack pack = packs.get(shape);
    if (pack == null) {
      pack = packs.putIfAbsent(shape, new WeightPack(plan.packBytes() + FewOutputsDataWeights.maxBytes(shape)));
    }
    return plan.withPack(pack.bind(weights));
  }

  /** Plans cached now (for tests). */
  int cachedPlans() {
    return plans.size();
  }

  /** Weight packs cached now (for tests). */
  int cachedPacks() {
    return packs.size();
  }

  /** The plan cache (for tests of its accounting). */
  ByteBoundedCache<ConvGeometry, SimdPlan> planCache() {
    return plans;
  }

  /** Bytes charged to the caches now: the plans' plus each cached pack's most bytes. */
  @Override
  public long cachedBytes() {
    return plans.bytes() + packs.bytes();
  }

  private boolean delegate(ConvProblem p, String pass, boolean forward) {
    String why = p.kW() > SimdPlan.MAX_KERNEL_WIDTH ? "kernel wider than " + SimdPlan.MAX_KERNEL_WIDTH + " columns"
        : null;
    if (why != null && delegatedLogged.size() < 1024 && delegatedLogged.putIfAbsent(p.geometry(), Boolean.TRUE) == null) {
      LOG.info("convt simd: {} of {} delegated to the scalar reference: {}", pass, p.describe(), why);
    }
    return why != null;
  }

  @Override
  public void forward(
      ConvProblem p, float[] src, KernelWeights weights, float[] bias, Activation neuron, float[] dst, int threads) {
    float[] w = weights.values();
    if (p.images() == 0 || p.clipH() == 0 || p.clipW() == 0) {
      return;
    }
    if (delegate(p, "forward", true)) {
      ScalarBackend.INSTANCE.forward(p, src, w, bias, neuron, dst, threads);
      return;
    }
    final int workers = Parallel.threadsFor(p, threads);
    if (p.halfAccumulation()) {
      SimdHalfForward.run(p, src, w, bias, neuron, dst, workers);
      return;
    }
    SimdForward.run(plan(p, weights), p, src, w, bias, neuron, dst, workers);
  }

  @Override
  public void backwardData(ConvProblem p, float[] gradOut, KernelWeights weights, float[] gradIn, int threads) {
    float[] w = weights.values();
    if (p.images() == 0 || p.cinRead() == 0) {
      return;
    }
    if (delegate(p, "backwardData", false)) {
      ScalarBackend.INSTANCE.backwardData(p, gradOut, w, gradIn, threads);
      return;
    }
    final int workers = Parallel.threadsFor(p, threads);
    SimdPlan plan = plan(p, weights);
    if (SimdFewOutputs.dataFits(p) && SimdFewOutputs.data(p, gradOut, w, plan.weightPack(), gradIn, workers)) {
      return;
    }
    SimdBackwardData.run(plan, p, gradOut, w, gradIn, workers);
  }

  @Override
  public void backwardWeights(
      ConvProblem p, float[] src, float[] gradOut, float[] gradWeights, float[] gradBias, int threads) {
    if (delegate(p, "backwardWeights", false)) {
      ScalarBackend.INSTANCE.backwardWeights(p, src, gradOut, gradWeights, gradBias, threads);
      return;
    }
    final int workers = Parallel.threadsFor(p, threads);
    if (SimdFewOutputs.fits(p) && SimdFewOutputs.weights(p, src, gradOut, gradWeights, workers)) {
      if (gradBias != null) {
        FewOutputsBias.gradient(p, gradOut, gradBias, workers);
      }
      return;
    }
    SimdBackwardWeights.run(p, src, gradOut, gradWeights, gradBias, workers);
  }
}

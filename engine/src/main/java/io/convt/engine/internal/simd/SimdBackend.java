package io.convt.engine.internal.simd;

import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvGeometry;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
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
 * <p>Caches, both bounded in bytes ({@code convt.simd.cacheBytes}, default 256 MiB, cleared as a whole when an
 * insert would pass it): {@link SimdPlan}s per geometry (small: masks and block tables) and {@link WeightPack}s
 * per weight shape (the packed weights), so many image sizes through one layer share one packed copy.
 */
public final class SimdBackend implements KernelBackend {
  private static final Logger LOG = LoggerFactory.getLogger(SimdBackend.class);
  private static final long DEFAULT_CACHE_BYTES = 256L << 20;

  private final long cacheBytes;
  private final AtomicLong cachedBytes = new AtomicLong();
  private final ConcurrentHashMap<ConvGeometry, SimdPlan> plans = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<WeightPack.Shape, WeightPack> packs = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<ConvGeometry, Boolean> delegatedLogged = new ConcurrentHashMap<>();

  /**
   * Creates the backend.
   *
   * @throws UnsupportedOperationException when the preferred vector species is narrower than 4 floats
   */
  public SimdBackend() {
    this(Long.getLong("convt.simd.cacheBytes", DEFAULT_CACHE_BYTES));
  }

  /** A backend whose plan and packed-weight caches hold at most about {@code cacheBytes}. */
  SimdBackend(long cacheBytes) {
    int lanes = FloatVector.SPECIES_PREFERRED.length();
    if (lanes < 4) {
      throw new UnsupportedOperationException(
          "Cannot use the vectorised kernel: preferred float vector has " + lanes + " lanes (need ≥ 4)");
    }
    this.cacheBytes = cacheBytes;
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

  /** The cached plan for a problem's geometry (built and logged once while it stays cached). */
  SimdPlan plan(ConvProblem p) {
    ConvGeometry k = p.geometry();
    SimdPlan plan = plans.get(k);
    if (plan != null) {
      return plan;
    }
    WeightPack.Shape shape = WeightPack.Shape.of(k);
    WeightPack pack = packs.get(shape);
    SimdPlan made = new SimdPlan(k, pack == null ? new WeightPack(0) : pack);
    if (pack == null) {
      pack = new WeightPack(made.packBytes());
      charge(pack.maxBytes());
      WeightPack raced = packs.putIfAbsent(shape, pack);
      pack = raced != null ? raced : pack;
      made = new SimdPlan(k, pack);
    }
    charge(made.bytes());
    SimdPlan raced = plans.putIfAbsent(k, made);
    if (raced != null) {
      return raced;
    }
    LOG.debug("convt simd plan for {}: {}", k.describe(), made.describe());
    return made;
  }

  /** Counts {@code bytes} against the budget, first emptying both caches when they would pass it. */
  private void charge(long bytes) {
    if (cachedBytes.addAndGet(bytes) > cacheBytes) {
      plans.clear();
      packs.clear();
      cachedBytes.set(bytes);
    }
  }

  /** Plans cached now (for tests). */
  int cachedPlans() {
    return plans.size();
  }

  /** Weight packs cached now (for tests). */
  int cachedPacks() {
    return packs.size();
  }

  /** Bytes charged to the caches now (their budget's measure: plans plus each pack's most bytes). */
  @Override
  public long cachedBytes() {
    return cachedBytes.get();
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
      ConvProblem p, float[] src, float[] w, float[] bias, Activation neuron, float[] dst, int threads) {
    if (p.images() == 0 || p.clipH() == 0 || p.clipW() == 0) {
      return;
    }
    if (delegate(p, "forward", true)) {
      ScalarBackend.INSTANCE.forward(p, src, w, bias, neuron, dst, threads);
      return;
    }
    if (p.halfAccumulation()) {
      SimdHalfForward.run(p, src, w, bias, neuron, dst, threads);
      return;
    }
    SimdForward.run(plan(p), p, src, w, bias, neuron, dst, threads);
  }

  @Override
  public void backwardData(ConvProblem p, float[] gradOut, float[] w, float[] gradIn, int threads) {
    if (p.images() == 0 || p.cinRead() == 0) {
      return;
    }
    if (delegate(p, "backwardData", false)) {
      ScalarBackend.INSTANCE.backwardData(p, gradOut, w, gradIn, threads);
      return;
    }
    SimdBackwardData.run(plan(p), p, gradOut, w, gradIn, threads);
  }

  @Override
  public void backwardWeights(
      ConvProblem p, float[] src, float[] gradOut, float[] gradWeights, float[] gradBias, int threads) {
    if (delegate(p, "backwardWeights", false)) {
      ScalarBackend.INSTANCE.backwardWeights(p, src, gradOut, gradWeights, gradBias, threads);
      return;
    }
    SimdBackwardWeights.run(p, src, gradOut, gradWeights, gradBias, threads);
  }
}

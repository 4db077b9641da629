package io.convt.engine;

import io.convt.engine.backend.KernelBackends;
import io.convt.engine.backend.KernelImpl;

/**
 * How a kernel instance computes (not what): implementation, intra-op threads, and weight storage precision.
 *
 * @param impl AUTO (SIMD with logged scalar fallback), SCALAR, or SIMD (fail if unavailable); null means AUTO
 * @param threads intra-op threads for one encode, ≥ 1 (a Spark task owns one core: 1 there)
 * @param weightPrecision FLOAT32 (default) or FLOAT16 to reproduce MPS's fp16 weight storage
 */
public record KernelOptions(KernelImpl impl, int threads, WeightPrecision weightPrecision) {
  public KernelOptions {
    if (impl == null) {
      impl = KernelImpl.AUTO;
    }
    if (threads < 1) {
      throw new IllegalArgumentException("Cannot create kernel options: threads must be >= 1 (" + threads + ")");
    }
    if (weightPrecision == null) {
      weightPrecision = WeightPrecision.FLOAT32;
    }
  }

  /** Defaults: implementation from {@code convt.engine.impl} (auto), 1 thread, float32 weights. */
  public static KernelOptions defaults() {
    return new KernelOptions(KernelBackends.configuredImpl(), 1, WeightPrecision.FLOAT32);
  }

  public KernelOptions withThreads(int n) {
    return new KernelOptions(impl, n, weightPrecision);
  }

  public KernelOptions withImpl(KernelImpl i) {
    return new KernelOptions(i, threads, weightPrecision);
  }

  /**
   * {@link #withImpl(KernelImpl)} from a flag value ("auto", "scalar", "simd").
   *
   * @throws IllegalArgumentException for another value, listing the choices
   */
  public KernelOptions withImpl(String i) {
    return withImpl(KernelImpl.parse(i, "kernel implementation"));
  }

  public KernelOptions withWeightPrecision(WeightPrecision p) {
    return new KernelOptions(impl, threads, p);
  }
}

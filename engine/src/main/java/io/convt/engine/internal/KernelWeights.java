package io.convt.engine.internal;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The weights a {@link KernelBackend} computes with: OHWI values {@code [cout][kH][kW][cig]} and a version that
 * names exactly these values. The contract that lets a backend keep derived data (the vectorised backend's packed
 * weights) keyed by {@link #version()} alone, without comparing the values on every call: <b>the values never
 * change after the handle is made</b>. Whoever changes weights makes a new handle (a new version); the engine's API
 * layer makes one per load, reload and weight update, from arrays it copied and never hands out.
 *
 * <p>Versions come from one process-wide counter, so two handles never share one, even over the same array (a
 * backend may then pack the same values twice, never use stale ones).
 */
public final class KernelWeights {
  private static final AtomicLong VERSIONS = new AtomicLong();

  private final float[] values;
  private final long version;

  private KernelWeights(float[] values) {
    this.values = Objects.requireNonNull(values, "weights");
    this.version = VERSIONS.incrementAndGet();
  }

  /**
   * A handle with a new version over {@code values}, which the caller hands over: neither it nor anyone it shares
   * the array with may modify it afterwards (not copied, to hold the weights once).
   */
  public static KernelWeights of(float[] values) {
    return new KernelWeights(values);
  }

  /** The OHWI values (not copied): read-only by contract. */
  public float[] values() {
    return values;
  }

  /** Names these values: equal versions mean the same handle, hence the same values. */
  public long version() {
    return version;
  }

  /** Number of weights. */
  public int length() {
    return values.length;
  }

  @Override
  public String toString() {
    return "KernelWeights[v" + version + ", " + values.length + " floats]";
  }
}

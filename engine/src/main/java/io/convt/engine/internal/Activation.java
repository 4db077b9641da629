package io.convt.engine.internal;

/**
 * The fused activation a forward pass applies after the bias, as the kernels see it. The API's {@code Neuron}
 * is adapted to this interface by the plan, so the kernel packages never depend on the API package.
 */
public interface Activation {
  /** The identity: kernels may skip the per-element call. */
  Activation IDENTITY = new Activation() {
    @Override
    public float apply(float x, int channel) {
      return x;
    }

    @Override
    public boolean isIdentity() {
      return true;
    }
  };

  /** The activation of {@code x} in output channel {@code channel}. */
  float apply(float x, int channel);

  /** True when {@link #apply} returns its argument unchanged. */
  default boolean isIdentity() {
    return false;
  }
}

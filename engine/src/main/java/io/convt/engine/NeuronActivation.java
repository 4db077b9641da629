package io.convt.engine;

import io.convt.engine.internal.Activation;

/** A {@link Neuron} as the kernels' {@link Activation}: the identity maps to the kernels' identity constant. */
final class NeuronActivation implements Activation {
  private final Neuron neuron;

  private NeuronActivation(Neuron neuron) {
    this.neuron = neuron;
  }

  static Activation of(Neuron neuron) {
    return neuron.isIdentity() ? Activation.IDENTITY : new NeuronActivation(neuron);
  }

  @Override
  public float apply(float x, int channel) {
    return neuron.apply(x, channel);
  }
}

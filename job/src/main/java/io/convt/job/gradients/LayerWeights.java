package io.convt.job.gradients;

import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import java.io.Serializable;

/**
 * What the driver broadcasts for one gradient pass: the layer definition and its current weights in MPS layout
 * (plain arrays, never Arrow buffers, so Spark can serialise them). Immutable by convention: never modify the
 * arrays after construction.
 *
 * @param spec the layer flags (geometry, layout, options)
 * @param weightsMps weights {@code [Cout][kH][kW][Cin/g]}
 * @param bias per output channel, or null
 * @param geometry {@code {cout, kH, kW, cin}}
 */
public record LayerWeights(LayerSpec spec, float[] weightsMps, float[] bias, int[] geometry) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The weights a layer holds now. */
  public static LayerWeights of(Layer layer) {
    return new LayerWeights(layer.spec(), layer.weightsMps(), layer.bias(), layer.geometry());
  }

  /** A new layer (kernel) over these weights; each executor task builds its own. */
  public Layer open() {
    return Layer.of(spec, weightsMps, bias, geometry);
  }

  /** Output channels. */
  public int outputChannels() {
    return geometry[0];
  }

  /** Number of weights. */
  public int weightCount() {
    return weightsMps.length;
  }
}

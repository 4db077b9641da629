package io.convt.engine.train;

import io.convt.engine.layout.WeightLayout;
import io.convt.engine.layout.WeightLayouts;
import java.util.Objects;

/**
 * The shape of the weights being trained and the layout the final weights file is written in: the loop works in
 * MPS layout ({@code [Cout][kH][kW][Cin/g]}) and writes {@code weights.npy} in the layout the user gave.
 *
 * @param layout layout of the written weights file
 * @param outputChannels Cout
 * @param kernelHeight kH
 * @param kernelWidth kW
 * @param inputChannels Cin
 * @param groups groups
 */
public record TrainedWeights(WeightLayout layout, int outputChannels, int kernelHeight, int kernelWidth,
    int inputChannels, int groups) {
  public TrainedWeights {
    Objects.requireNonNull(layout, "layout");
    if (outputChannels < 1 || kernelHeight < 1 || kernelWidth < 1 || inputChannels < 1 || groups < 1
        || inputChannels % groups != 0) {
      throw new IllegalArgumentException("Cannot train weights of Cout " + outputChannels + ", kernel "
          + kernelHeight + "x" + kernelWidth + ", Cin " + inputChannels + " in " + groups + " groups");
    }
  }

  /** The MPS shape {@code [Cout, kH, kW, Cin/g]}, as checkpoints store it. */
  public int[] mpsShape() {
    return new int[] {outputChannels, kernelHeight, kernelWidth, inputChannels / groups};
  }

  /** Values in MPS layout. */
  public int count() {
    return outputChannels * kernelHeight * kernelWidth * (inputChannels / groups);
  }

  /** The shape of the written weights file. */
  public int[] fileShape() {
    return layout.shape(outputChannels, kernelHeight, kernelWidth, inputChannels, groups);
  }

  /** MPS-layout weights in the file's layout. */
  public float[] toFile(float[] mps) {
    return WeightLayouts.fromMps(layout, mps, outputChannels, kernelHeight, kernelWidth, inputChannels, groups);
  }
}

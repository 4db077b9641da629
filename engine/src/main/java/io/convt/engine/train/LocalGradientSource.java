package io.convt.engine.train;

import io.convt.engine.ConvTranspose;
import io.convt.engine.ConvTransposeGradient;
import io.convt.engine.ConvolutionTransposeGradientState;
import io.convt.engine.GradientOption;
import io.convt.engine.WeightsAndBiasesState;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.NpyArray;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * A {@link GradientSource} in this JVM over records held in memory ({@code [N, Cin, H, W]} inputs and
 * {@code [N, Cout, H', W']} targets), on the engine's own gradient code: each record is run forward as its own
 * one-image batch, its loss gradient is taken, {@link ConvTransposeGradient} gives its weight and bias gradients, and
 * a {@link GradientAccumulator} over the record index sums them, the same fixed tree the Spark job's distributed
 * pass uses, so both give the same bits for the same records and weights.
 */
public final class LocalGradientSource implements GradientSource {
  private final Function<WeightsAndBiasesState, ConvTranspose> kernelFor;
  private final Loss loss;
  private final NpyArray inputs;
  private final NpyArray targets;
  private final String targetName;

  /**
   * @param kernelFor the layer's kernel with given weights (padding and other properties set as for inference)
   * @param loss the loss whose gradient is propagated
   * @param inputs {@code [N, Cin, H, W]}
   * @param targets {@code [N, Cout, H', W']}
   * @param targetName names the targets in messages (e.g. their file)
   */
  public LocalGradientSource(Function<WeightsAndBiasesState, ConvTranspose> kernelFor, Loss loss, NpyArray inputs,
      NpyArray targets, String targetName) {
    this.kernelFor = Objects.requireNonNull(kernelFor, "kernelFor");
    this.loss = Objects.requireNonNull(loss, "loss");
    this.inputs = inputs.requireRank("inputs", 4);
    this.targets = targets.requireRank(targetName, 4);
    this.targetName = targetName;
    if (inputs.shape()[0] != targets.shape()[0]) {
      throw new IllegalArgumentException("Cannot pair " + inputs.shape()[0] + " inputs with " + targets.shape()[0]
          + " targets in " + targetName);
    }
  }

  /** Records available. */
  public int records() {
    return inputs.shape()[0];
  }

  /** Output elements of one record. */
  public long elementsPerRecord() {
    return (long) targets.shape()[1] * targets.shape()[2] * targets.shape()[3];
  }

  @Override
  public StepTotals gradients(WeightsAndBiasesState weights, long first, int count) {
    if (first < 0 || count < 1 || first + count > records()) {
      throw new IllegalArgumentException("Cannot compute gradients of records " + first + "+" + count + ": there are "
          + records());
    }
    ConvTranspose kernel = kernelFor.apply(weights);
    ConvTransposeGradient gradient = new ConvTransposeGradient(kernel);
    gradient.setGradientOption(GradientOption.WEIGHTS_AND_BIAS);
    int cout = kernel.outputFeatureChannels();
    GradientAccumulator sum = GradientAccumulator.forRange(first, first + count, weights.weights().length, cout);
    LossSum lossSum = new LossSum();
    try (BufferAllocator alloc = new RootAllocator()) {
      for (long index = first; index < first + count; index++) {
        try (ImageBatch src = NchwArrays.toBatch(alloc, record(inputs, index));
            ImageBatch out = kernel.encodeBatch(alloc, src)) {
          List<ConvolutionTransposeGradientState> states = kernel.resultStateBatch(src, null, out);
          NpyArray y = record(targets, index);
          float[] dy = new float[y.size()];
          lossSum.add(loss.sumValueAndGradient(NchwArrays.fromBatch(out), y.floats(), dy,
              "record " + index + " of " + targetName));
          try (ImageBatch gy = NchwArrays.toBatch(alloc, new NpyArray("<f4", y.shape(), dy, null));
              ImageBatch dx = gradient.encodeBatch(alloc, gy, src, states)) {
            ConvolutionTransposeGradientState s = states.get(0);
            float[] db = s.gradientForBiases() == null ? new float[cout] : s.gradientForBiases();
            sum.add(index, s.gradientForWeights(), db);
          }
        }
      }
    }
    return new StepTotals(sum.weightGradient(), sum.biasGradient(), lossSum);
  }

  private static NpyArray record(NpyArray stack, long index) {
    int[] shape = stack.shape().clone();
    shape[0] = 1;
    int per = shape[1] * shape[2] * shape[3];
    int from = Math.toIntExact(index * per);
    return new NpyArray("<f4", shape, Arrays.copyOfRange(stack.floats(), from, from + per), null);
  }
}

package io.convt.engine.cli;

import io.convt.engine.ConvTranspose;
import io.convt.engine.ConvTransposeGradient;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.TensorFormatException;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.WeightLayouts;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code convt backward}: the gradients of {@code Y = convT(X)} for an upstream gradient {@code GY}: {@code GX}
 * (like X), {@code GW} (in the layout named by {@code --weights-layout}) and {@code GB}, summed over the batch.
 * With {@code --weights-layout pytorch} they equal PyTorch autograd's {@code x.grad}, {@code w.grad},
 * {@code b.grad} for {@code y.backward(GY)}. A fused neuron is not differentiated (as in MPS): GY is taken with
 * respect to the pre-activation. Unlike {@code forward}, it holds X, GY and GX whole in memory (the weight gradient
 * sums over every record).
 */
@Command(name = "backward", mixinStandardHelpOptions = true,
    description = "Gradients of the transposed convolution w.r.t. input, weights and bias. Reads the whole "
        + "stacks into memory (unlike forward, which streams): for large N raise the heap, CONVT_JAVA_OPTS=-Xmx8g.")
public final class BackwardCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, paramLabel = "X.npy", description = "Input stack [N,Cin,H,W].")
  Path input;

  @Option(names = "--grad-output", required = true, paramLabel = "GY.npy", description = "dL/dY [N,Cout,H',W'].")
  Path gradOutput;

  @Option(names = "--grad-input", required = true, paramLabel = "GX.npy", description = "Writes dL/dX [N,Cin,H,W].")
  Path gradInput;

  @Option(names = "--grad-weights", required = true, paramLabel = "GW.npy",
      description = "Writes dL/dW in the --weights-layout layout.")
  Path gradWeights;

  @Option(names = "--grad-bias", paramLabel = "GB.npy", description = "Writes dL/db [Cout].")
  Path gradBias;

  @Mixin LayerOptions layer;

  @Override
  public Integer call() {
    LayerSpec spec = layer.validate();
    NpyArray x = Npy.readFloat(input).requireRank(input.toString(), 4);
    NpyArray gy = Npy.readFloat(gradOutput).requireRank(gradOutput.toString(), 4);
    Layer l = layer.open(spec, x.shape()[2], x.shape()[3]);
    spec = l.spec();
    if (x.shape()[1] != l.inputChannels()) {
      throw new TensorFormatException(input.toString(), "has " + x.shape()[1] + " channels " + x.shapeString()
          + " but the weights " + spec.weights() + " expect " + l.inputChannels());
    }
    ConvTranspose k = l.kernel();
    try (RootAllocator alloc = new RootAllocator(); ImageBatch src = NchwArrays.toBatch(alloc, x)) {
      ConvTranspose.StatefulResult fwd = k.encodeBatchWithState(alloc, src, null, false);
      try (ImageBatch y = fwd.image()) {
        int[] want = {y.count(), y.channels(), y.height(), y.width()};
        if (!Arrays.equals(want, gy.shape())) {
          throw new TensorFormatException(gradOutput.toString(), "has shape " + gy.shapeString()
              + " but the output Y of this layer for " + input + " has shape " + Arrays.toString(want));
        }
        try (ImageBatch g = NchwArrays.toBatch(alloc, gy);
            ImageBatch gx = new ConvTransposeGradient(k).encode(alloc, g, src, fwd.state())) {
          Npy.writeFloat32(gradInput, x.shape(), NchwArrays.fromBatch(gx));
        }
      }
      int[] geo = l.geometry();
      int groups = spec.geometry().groups();
      Npy.writeFloat32(gradWeights, spec.layout().shape(geo[0], geo[1], geo[2], geo[3], groups),
          WeightLayouts.fromMps(spec.layout(), fwd.state().gradientForWeights(), geo[0], geo[1], geo[2], geo[3], groups));
      if (gradBias != null) {
        float[] gb = fwd.state().gradientForBiases();
        Npy.writeFloat32(gradBias, new int[] {geo[0]}, gb != null ? gb : new float[geo[0]]);
      }
    }
    return 0;
  }
}

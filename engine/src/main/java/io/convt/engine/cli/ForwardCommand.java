package io.convt.engine.cli;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.TensorFormatException;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code convt forward}: {@code Y = convT(X)} for a float32 NCHW stack {@code X.npy}, written as float32 NCHW
 * {@code Y.npy}. With {@code --weights-layout pytorch} the result equals
 * {@code torch.nn.functional.conv_transpose2d(X, W, B, stride, padding, output_padding, groups, dilation)}.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
    description = "Run the transposed convolution over an NCHW .npy stack.")
public final class ForwardCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, paramLabel = "X.npy", description = "Input stack [N,Cin,H,W] float32.")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "Y.npy", description = "Output stack [N,Cout,H',W'] float32.")
  Path output;

  @Mixin LayerOptions layer;

  @Override
  public Integer call() {
    LayerSpec spec = layer.toSpec();
    NpyArray x = Npy.readFloat(input).requireRank(input.toString(), 4);
    Layer l = Layer.open(spec);
    int[] s = x.shape();
    if (s[1] != l.inputChannels()) {
      throw new TensorFormatException(input.toString(), "has " + s[1] + " channels " + x.shapeString()
          + " but the weights " + spec.weights() + " expect " + l.inputChannels());
    }
    try (RootAllocator alloc = new RootAllocator();
        ImageBatch src = NchwArrays.toBatch(alloc, x);
        ImageBatch dst = l.apply(alloc, src)) {
      Npy.writeFloat32(output, new int[] {dst.count(), dst.channels(), dst.height(), dst.width()},
          NchwArrays.fromBatch(dst));
    }
    return 0;
  }
}

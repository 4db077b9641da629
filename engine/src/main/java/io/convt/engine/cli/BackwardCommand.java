package io.convt.engine.cli;

import io.convt.engine.io.HeapBudget;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.io.NpyFloat32Writer;
import io.convt.engine.io.OutputPaths;
import io.convt.engine.io.PixelScaling;
import io.convt.engine.io.TensorFormatException;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layer.OutputShape;
import io.convt.engine.layer.WeightGeometry;
import io.convt.engine.layout.WeightLayouts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * sums over every record). Every gradient is computed before any file is written, and the files are renamed into
 * place together at the end: a failure leaves none of them.
 */
@Command(name = "backward", mixinStandardHelpOptions = true,
    description = "Gradients of the transposed convolution w.r.t. input, weights and bias. Reads the whole "
        + "stacks into memory (unlike forward, which streams): for large N raise the heap, CONVT_JAVA_OPTS=-Xmx8g.")
public final class BackwardCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, paramLabel = "X.npy",
      description = "Input stack [N,Cin,H,W] float16/32/64 (or uint8 pixels scaled by --input-scaling).")
  Path input;

  @Option(names = "--input-scaling", paramLabel = "SCALING",
      description = "How a uint8 input becomes floats: unit (v/255, default), signed (2v/255-1) or raw (v).")
  String inputScaling = "unit";

  @Option(names = "--grad-output", required = true, paramLabel = "GY.npy", description = "dL/dY [N,Cout,H',W'].")
  Path gradOutput;

  @Option(names = "--grad-input", required = true, paramLabel = "GX.npy", description = "Writes dL/dX [N,Cin,H,W].")
  Path gradInput;

  @Option(names = "--grad-weights", required = true, paramLabel = "GW.npy",
      description = "Writes dL/dW in the --weights-layout layout.")
  Path gradWeights;

  @Option(names = "--grad-bias", paramLabel = "GB.npy", description = "Writes dL/db [Cout].")
  Path gradBias;

  @Option(names = "--quiet", description = "No progress on stderr (by default a long run reports each pass: "
      + "records done, %, rate and ETA for the forward pass and the data gradient, time left for the weight "
      + "gradient).")
  boolean quiet;

  @Mixin LayerOptions layer;

  /** One gradient file to write: where, which shape, which values. */
  private record Gradient(Path file, int[] shape, float[] values) {}

  @Override
  public Integer call() {
    LayerSpec spec = layer.validate();
    PixelScaling scaling = PixelScaling.parse(inputScaling, "--input-scaling");
    List<OutputPaths.Named> inputs = new ArrayList<>(layer.inputFiles());
    inputs.add(new OutputPaths.Named("--input", input));
    inputs.add(new OutputPaths.Named("--grad-output", gradOutput));
    OutputPaths.check(inputs, List.of(new OutputPaths.Named("--grad-input", gradInput),
        new OutputPaths.Named("--grad-weights", gradWeights), new OutputPaths.Named("--grad-bias", gradBias)),
        OutputPaths.Kind.FILE);
    NpyArray x = Npy.readFloat(input, scaling).requireRank(input.toString(), 4);
    NpyArray gy = Npy.readFloat(gradOutput).requireRank(gradOutput.toString(), 4);
    Layer l = layer.open(spec, x.shape()[2], x.shape()[3]);
    spec = l.spec();
    if (x.shape()[1] != l.inputChannels()) {
      throw new TensorFormatException(input.toString(), "has " + x.shape()[1] + " channels " + x.shapeString()
          + " but the weights " + spec.weights() + " expect " + l.inputChannels());
    }
    OutputShape o = l.outputShape(x.shape()[2], x.shape()[3]);
    int[] hwc = {o.height(), o.width(), o.channels()};
    long perRecord = StreamingForward.bytesPerRecord(x.shape()[1], x.shape()[2], x.shape()[3], hwc);
    if (HeapBudget.bytes(x.shape()[0], perRecord) > HeapBudget.limitBytes()) {
      throw new IllegalArgumentException("Cannot run backward on " + input + ": its " + x.shape()[0] + " records "
          + "and their outputs " + Arrays.toString(new int[] {hwc[2], hwc[0], hwc[1]}) + " need about "
          + HeapBudget.mb(HeapBudget.bytes(x.shape()[0], perRecord)) + " at once, more than the "
          + HeapBudget.mb(HeapBudget.limitBytes()) + " allowed (half of the maximum heap); raise the heap "
          + "(CONVT_JAVA_OPTS=-Xmx...) or split the stack");
    }
    List<Gradient> gradients = new ArrayList<>();
    ConsoleProgress.Style style = quiet ? ConsoleProgress.Style.OFF : ConsoleProgress.Style.detect();
    BackwardPasses passes = new BackwardPasses(l.kernel(), BackwardPasses.defaultChunkRecords(x.shape()[0]),
        new BackwardPasses.Reporting(style, ForwardCommand.PROGRESS_SECONDS * 1000L, System.err), done -> { });
    BackwardPasses.Gradients g;
    try (RootAllocator alloc = new RootAllocator()) {
      g = passes.run(alloc, x, gy, input.toString(), gradOutput.toString());
    }
    gradients.add(new Gradient(gradInput, x.shape(), g.input()));
    WeightGeometry geo = l.geometry();
    int cout = geo.outputChannels();
    int kh = geo.kernelHeight();
    int kw = geo.kernelWidth();
    int cin = geo.inputChannels();
    int groups = spec.geometry().groups();
    gradients.add(new Gradient(gradWeights, spec.layout().shape(cout, kh, kw, cin, groups),
        WeightLayouts.fromMps(spec.layout(), g.weightsMps(), cout, kh, kw, cin, groups)));
    if (gradBias != null) {
      gradients.add(new Gradient(gradBias, new int[] {cout}, g.biases() != null ? g.biases() : new float[cout]));
    }
    writeAll(gradients);
    return 0;
  }

  /** Writes every file to its temporary sibling first and renames them only when all are complete. */
  private static void writeAll(List<Gradient> gradients) {
    List<NpyFloat32Writer> writers = new ArrayList<>();
    try {
      for (Gradient g : gradients) {
        NpyFloat32Writer w = NpyFloat32Writer.open(g.file(), g.shape());
        writers.add(w);
        w.append(g.values(), 0, g.values().length);
      }
      for (NpyFloat32Writer w : writers) {
        w.commit();
      }
    } finally {
      for (NpyFloat32Writer w : writers) {
        w.close();
      }
    }
  }
}

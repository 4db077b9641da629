package io.convt.job.ml;

import io.convt.engine.cli.LayerOptions;
import io.convt.engine.layer.LayerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

/**
 * The {@link ConvTransposeTransformer}'s parameters: the layer, named as on {@code scripts/convt-job}'s command
 * line ({@code weights} is {@code --weights}, {@code outputPadding} is {@code --output-padding}, ...), and the
 * columns it reads and adds. Spark finds the params through these public no-argument methods, as for its own
 * stages. {@link #layerSpec()} turns them into the job's {@link LayerSpec} through the job's own flag parser, so a
 * bad value fails with the same one-line message as on the command line.
 */
public abstract class ConvTransposeParams extends Transformer {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> weights;
  private final Param<String> bias;
  private final Param<String> weightsLayout;
  private final IntArrayParam stride;
  private final IntArrayParam padding;
  private final IntArrayParam outputPadding;
  private final IntArrayParam dilation;
  private final IntParam groups;
  private final Param<String> autoPad;
  private final IntArrayParam outputShape;
  private final Param<String> neuron;
  private final Param<String> weightPrecision;
  private final Param<String> inputCol;
  private final Param<String> shapeCol;
  private final Param<String> outputCol;
  private final Param<String> outputShapeCol;
  private final IntParam batchSize;

  protected ConvTransposeParams(String uid) {
    this.uid = uid;
    weights = new Param<>(this, "weights", "weights file (.npy, .npz or .safetensors), as --weights");
    bias = new Param<>(this, "bias", "bias file (.npy: Cout values), as --bias; optional");
    weightsLayout = new Param<>(this, "weightsLayout", "pytorch, mps or tensorflow, as --weights-layout");
    stride = new IntArrayParam(this, "stride", "stride SH,SW (one value: both), as --stride");
    padding = new IntArrayParam(this, "padding", "PyTorch padding PH,PW or ONNX pads T,L,B,R, as --padding");
    outputPadding = new IntArrayParam(this, "outputPadding", "PyTorch output_padding OH,OW, as --output-padding");
    dilation = new IntArrayParam(this, "dilation", "dilation DH,DW, as --dilation");
    groups = new IntParam(this, "groups", "groups, as --groups");
    autoPad = new Param<>(this, "autoPad", "ONNX auto_pad: notset, same_upper, same_lower or valid, as --auto-pad; "
        + "same_* derive the pads from each record's size");
    outputShape = new IntArrayParam(this, "outputShape", "ONNX output_shape H,W, as --output-shape: pads derived "
        + "per record size as ONNX specifies");
    neuron = new Param<>(this, "neuron", "fused neuron TYPE[:A[,B[,C]]] (none, relu, relu:0.1, ...), as --neuron");
    weightPrecision = new Param<>(this, "weightPrecision", "float32 or float16, as --weight-precision");
    inputCol = new Param<>(this, "inputCol", "input tensor column: array<float>, C,H,W order");
    shapeCol = new Param<>(this, "shapeCol", "input shape column array<int> [C,H,W]; may be absent when the input "
        + "column carries arrow.fixed_shape_tensor metadata");
    outputCol = new Param<>(this, "outputCol", "output tensor column (array<float>, C,H,W order)");
    outputShapeCol = new Param<>(this, "outputShapeCol", "output shape column (array<int> [C,H,W])");
    batchSize = new IntParam(this, "batchSize", "records of one shape per kernel call, as batch.size");
    setDefault(stride, new int[] {1, 1});
    setDefault(padding, new int[] {0, 0});
    setDefault(outputPadding, new int[] {0, 0});
    setDefault(dilation, new int[] {1, 1});
    setDefault(groups, 1);
    setDefault(neuron, "none");
    setDefault(weightPrecision, "float32");
    setDefault(inputCol, "data");
    setDefault(shapeCol, "shape");
    setDefault(outputCol, "output");
    setDefault(outputShapeCol, "output_shape");
    setDefault(batchSize, 16);
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> weights() { return weights; }

  public Param<String> bias() { return bias; }

  public Param<String> weightsLayout() { return weightsLayout; }

  public IntArrayParam stride() { return stride; }

  public IntArrayParam padding() { return padding; }

  public IntArrayParam outputPadding() { return outputPadding; }

  public IntArrayParam dilation() { return dilation; }

  public IntParam groups() { return groups; }

  public Param<String> autoPad() { return autoPad; }

  public IntArrayParam outputShape() { return outputShape; }

  public Param<String> neuron() { return neuron; }

  public Param<String> weightPrecision() { return weightPrecision; }

  public Param<String> inputCol() { return inputCol; }

  public Param<String> shapeCol() { return shapeCol; }

  public Param<String> outputCol() { return outputCol; }

  public Param<String> outputShapeCol() { return outputShapeCol; }

  public IntParam batchSize() { return batchSize; }

  public String getInputCol() { return getOrDefault(inputCol); }

  public String getShapeCol() { return getOrDefault(shapeCol); }

  public String getOutputCol() { return getOrDefault(outputCol); }

  public String getOutputShapeCol() { return getOrDefault(outputShapeCol); }

  public int getBatchSize() { return (Integer) getOrDefault(batchSize); }

  /**
   * The layer these params define, parsed by the job's own flag parser ({@link LayerOptions}); fails with the
   * job's one-line message naming the flag (e.g. {@code Invalid value for --weights-layout: 'x' (...)}). ONNX sizing
   * ({@code autoPad}, {@code outputShape}) is kept in the spec and applied per input size by the layer.
   */
  LayerSpec layerSpec() {
    List<String> args = new ArrayList<>();
    if (isDefined(weights)) {
      args.addAll(List.of("--weights", getOrDefault(weights)));
    }
    if (isDefined(bias)) {
      args.addAll(List.of("--bias", getOrDefault(bias)));
    }
    if (isDefined(weightsLayout)) {
      args.addAll(List.of("--weights-layout", getOrDefault(weightsLayout)));
    }
    args.addAll(List.of("--stride", csv(getOrDefault(stride)), "--padding", csv(getOrDefault(padding)),
        "--output-padding", csv(getOrDefault(outputPadding)), "--dilation", csv(getOrDefault(dilation)),
        "--groups", String.valueOf(getOrDefault(groups)), "--neuron", getOrDefault(neuron),
        "--weight-precision", getOrDefault(weightPrecision)));
    if (isDefined(autoPad)) {
      args.addAll(List.of("--auto-pad", getOrDefault(autoPad)));
    }
    if (isDefined(outputShape)) {
      args.addAll(List.of("--output-shape", csv(getOrDefault(outputShape))));
    }
    LayerFlags flags = new LayerFlags();
    try {
      new CommandLine(flags).parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      // only a missing required flag gets here: the values themselves are checked by toSpec
      throw new IllegalArgumentException("Cannot define layer: " + e.getMessage()
          .replace("'--weights=W.npy'", "'--weights=W.npy' (param weights)")
          .replace("'--weights-layout=LAYOUT'", "'--weights-layout=LAYOUT' (param weightsLayout)"), e);
    }
    if (getBatchSize() < 1) {
      throw new IllegalArgumentException("Invalid value for batchSize: " + getBatchSize() + " (expected >= 1)");
    }
    // validate(), not toSpec(): a stage runs the layer per record size (Layer.forInput), as infer does, so ONNX's
    // size-dependent pads (autoPad same_*, outputShape) are allowed
    return flags.layer.validate();
  }

  private static String csv(int[] v) {
    return IntStream.of(v).mapToObj(String::valueOf).collect(Collectors.joining(","));
  }

  /** A command holding the job's layer flags, so the params go through the very parser the CLI uses. */
  @CommandLine.Command(name = "layer")
  static final class LayerFlags {
    @Mixin LayerOptions layer;
  }
}

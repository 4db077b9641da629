package io.convt.job.ml;

import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.job.LayerWeights;
import io.convt.job.infer.KernelHolder;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * The transposed-convolution layer as a Spark ML stage: adds to each row the layer's output for the row's tensor
 * ({@code outputCol}, {@code array<float>} in C,H,W order) and its shape ({@code outputShapeCol}, {@code [C,H,W]}).
 * The input is a tensor column with its shape, as the job's Parquet output has them ({@code data} and
 * {@code shape}), so a saved job output, or any DataFrame of that form, goes straight in, and stages chain.
 *
 * <p>{@link #transform} reads and checks the weights on the driver (the job's one-line messages), broadcasts them
 * in MPS layout, and each executor JVM builds one kernel per stage, shared by its tasks, exactly as
 * {@code convt-job infer} does; partitions run in Arrow batches of {@code batchSize} records of one shape. Results
 * are bit for bit those of {@code scripts/convt forward} and {@code convt-job infer} with the same flags.
 *
 * <p>Saving ({@link #write}) stores the params as Spark's JSON metadata and copies the weight files into the stage's
 * directory, so a saved {@code PipelineModel} is self-contained; {@link #read} loads them from there.
 */
public final class ConvTransposeTransformer extends ConvTransposeParams implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  public ConvTransposeTransformer() {
    this(Identifiable$.MODULE$.randomUID("convTranspose"));
  }

  /** Spark's readers and {@link #copy} create stages by uid. */
  public ConvTransposeTransformer(String uid) {
    super(uid);
  }

  public ConvTransposeTransformer setWeights(String path) { set(weights(), path); return this; }

  public ConvTransposeTransformer setBias(String path) { set(bias(), path); return this; }

  public ConvTransposeTransformer setWeightsLayout(String layout) { set(weightsLayout(), layout); return this; }

  public ConvTransposeTransformer setStride(int... v) { set(stride(), v); return this; }

  public ConvTransposeTransformer setPadding(int... v) { set(padding(), v); return this; }

  public ConvTransposeTransformer setOutputPadding(int... v) { set(outputPadding(), v); return this; }

  public ConvTransposeTransformer setDilation(int... v) { set(dilation(), v); return this; }

  public ConvTransposeTransformer setGroups(int g) { set(groups(), g); return this; }

  public ConvTransposeTransformer setNeuron(String n) { set(neuron(), n); return this; }

  public ConvTransposeTransformer setWeightPrecision(String p) { set(weightPrecision(), p); return this; }

  public ConvTransposeTransformer setInputCol(String c) { set(inputCol(), c); return this; }

  public ConvTransposeTransformer setShapeCol(String c) { set(shapeCol(), c); return this; }

  public ConvTransposeTransformer setOutputCol(String c) { set(outputCol(), c); return this; }

  public ConvTransposeTransformer setOutputShapeCol(String c) { set(outputShapeCol(), c); return this; }

  public ConvTransposeTransformer setBatchSize(int n) { set(batchSize(), n); return this; }

  /** Checks the columns only; the weights are read by {@link #transform}. */
  @Override
  public StructType transformSchema(StructType schema) {
    TensorColumns.of(schema, getInputCol(), getShapeCol());
    return TensorColumns.output(schema, getOutputCol(), getOutputShapeCol(), null);
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType schema = dataset.schema();
    TensorColumns columns = TensorColumns.of(schema, getInputCol(), getShapeCol());
    LayerSpec spec = layerSpec();
    Layer layer = Layer.open(spec);
    int[] fixedOutput = null;
    int[] fixed = columns.fixedShape();
    if (fixed != null) {
      if (fixed[0] != layer.inputChannels()) {
        throw new IllegalArgumentException("Cannot read input column '" + getInputCol() + "': records have "
            + fixed[0] + " channels, the weights " + spec.weights() + " expect " + layer.inputChannels());
      }
      int[] hwc = layer.outputShape(fixed[1], fixed[2]);
      fixedOutput = new int[] {hwc[2], hwc[0], hwc[1]};
    }
    StructType out = TensorColumns.output(schema, getOutputCol(), getOutputShapeCol(), fixedOutput);
    Broadcast<LayerWeights> weights = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext())
        .broadcast(LayerWeights.of(layer));
    Dataset<Row> result = dataset.toDF().mapPartitions(partition(weights, columns, getBatchSize()), Encoders.row(out));
    // the row encoder keeps types, not column metadata: put the fixed output shape back for the next stage
    return result.withMetadata(getOutputCol(), out.apply(getOutputCol()).metadata());
  }

  /** Static, so the closure carries the broadcast and the column positions, never the stage. */
  private static MapPartitionsFunction<Row, Row> partition(Broadcast<LayerWeights> weights, TensorColumns columns,
      int batchSize) {
    long broadcastId = weights.id();
    return rows -> new TensorRows(rows, KernelHolder.layer(broadcastId, weights.value(), null), columns, batchSize);
  }

  @Override
  public ConvTransposeTransformer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** Writes the params as Spark's metadata and the weight files into the stage's directory. */
  @Override
  public MLWriter write() {
    return new StageFiles.Writer(this);
  }

  /** Spark's own metadata writer for these params (used by {@link StageFiles.Writer}). */
  MLWriter metadataWriter() {
    return DefaultParamsWritable.super.write();
  }

  /** Reads a stage written by {@link #write}; Spark's {@code PipelineModel.load} finds it by this name. */
  public static MLReader<ConvTransposeTransformer> read() {
    return new StageFiles.Reader();
  }

  public static ConvTransposeTransformer load(String path) {
    return read().load(path);
  }

  @Override
  public String toString() {
    return "ConvTransposeTransformer: uid=" + uid() + ", inputCol=" + getInputCol() + ", outputCol=" + getOutputCol();
  }
}

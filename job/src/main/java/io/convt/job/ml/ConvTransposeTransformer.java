package io.convt.job.ml;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.exists;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.raise_error;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layer.OutputShape;
import io.convt.job.LayerWeights;
import io.convt.job.infer.KernelHolder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * The transposed-convolution layer as a Spark ML stage: adds to each row the layer's output for the row's tensor
 * ({@code outputCol}, {@code array<float>} in C,H,W order) and its shape ({@code outputShapeCol}, {@code [C,H,W]}).
 * The input is a tensor column with its shape, as the job's Parquet output has them ({@code data} and
 * {@code shape}), so a saved job output, or any DataFrame of that form, goes straight in, and stages chain.
 *
 * <p>{@link #transform} reads and checks the weights on the driver (the job's one-line messages), broadcasts them
 * in MPS layout, and each executor JVM builds one kernel per stage, shared by its tasks, exactly as
 * {@code convt-job infer} does; partitions run in Arrow batches of {@code batchSize} records of one shape. Results
 * are bit for bit those of {@code scripts/convt forward} and {@code convt-job infer} with the same flags. With ONNX
 * sizing ({@code autoPad} {@code same_upper}/{@code same_lower}, {@code outputShape}) the pads are derived for each
 * record's own size, as {@code infer --auto-pad/--output-shape} does; a size ONNX's pads cannot serve fails the task
 * naming the record.
 *
 * <p>Saving ({@link #write}) stores the params as Spark's JSON metadata and copies the weight files into the stage's
 * directory, so a saved {@code PipelineModel} is self-contained; {@link #read} loads them from there.
 */
public final class ConvTransposeTransformer extends ConvTransposeParams implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;
  private static final DataType FLOAT_ARRAY = DataTypes.createArrayType(DataTypes.FloatType, false);
  private static final DataType INT_ARRAY = DataTypes.createArrayType(DataTypes.IntegerType, false);

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

  /** ONNX {@code auto_pad} ({@code notset}, {@code same_upper}, {@code same_lower}, {@code valid}). */
  public ConvTransposeTransformer setAutoPad(String mode) { set(autoPad(), mode); return this; }

  /** ONNX {@code output_shape} {@code H, W}. */
  public ConvTransposeTransformer setOutputShape(int... hw) { set(outputShape(), hw); return this; }

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
      OutputShape o = layer.outputShape(fixed[1], fixed[2]);
      fixedOutput = new int[] {o.channels(), o.height(), o.width()};
    }
    StructType out = TensorColumns.output(schema, getOutputCol(), getOutputShapeCol(), fixedOutput);
    Broadcast<LayerWeights> weights = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext())
        .broadcast(LayerWeights.of(layer));
    // the tensor travels as a bean (primitive arrays), the other columns as a Row, untouched; then back in order
    List<String> others = new ArrayList<>(Arrays.asList(schema.fieldNames()));
    others.remove(getInputCol());
    // a struct needs a field: a frame of the tensor column alone carries a placeholder
    StructType otherSchema = others.isEmpty() ? new StructType().add("_", DataTypes.IntegerType, false)
        : new StructType(others.stream().map(schema::apply).toArray(StructField[]::new));
    Column[] otherColumns = others.isEmpty() ? new Column[] {lit(0).as("_")}
        : others.stream().map(c -> col(quote(c))).toArray(Column[]::new);
    int idIndex = others.contains("id") && schema.apply("id").dataType().equals(DataTypes.StringType)
        ? others.indexOf("id") : -1;
    Column tensor = struct(tensorValues(schema).as("data"),
        columns.hasShapeColumn() ? col(quote(getShapeCol())).as("shape") : lit(null).cast(INT_ARRAY).as("shape"),
        lit(null).cast(FLOAT_ARRAY).as("output"), lit(null).cast(INT_ARRAY).as("outputShape"));
    Encoder<Tuple2<Row, TensorRecord>> encoder = Encoders.tuple(Encoders.row(otherSchema),
        Encoders.bean(TensorRecord.class));
    Dataset<Tuple2<Row, TensorRecord>> rows = dataset.toDF()
        .select(struct(otherColumns).as("_1"), tensor.as("_2")).as(encoder)
        .mapPartitions(partition(weights, columns.fixedShape(), idIndex, getBatchSize()), encoder);
    List<Column> result = new ArrayList<>();
    for (StructField f : out.fields()) {
      Column c = f.name().equals(getInputCol()) ? col("_2.data")
          : f.name().equals(getOutputCol()) ? col("_2.output")
          : f.name().equals(getOutputShapeCol()) ? col("_2.outputShape")
          : col("_1").getField(f.name());
      result.add(c.as(f.name(), f.metadata()));
    }
    return rows.select(result.toArray(Column[]::new));
  }

  /**
   * The input tensor column; one that may hold null values gets a check first, since a primitive array has no
   * null: a null value fails the task naming the record.
   */
  private Column tensorValues(StructType schema) {
    Column data = col(quote(getInputCol()));
    if (!((ArrayType) schema.apply(getInputCol()).dataType()).containsNull()) {
      return data;
    }
    Column who = Arrays.asList(schema.fieldNames()).contains("id")
        ? coalesce(col("id").cast(DataTypes.StringType), lit("(null id)")) : lit("(no id column)");
    return when(exists(data, Column::isNull), raise_error(concat(lit("Bad record "), who,
        lit(" (null): column '" + getInputCol() + "' holds a null value")))).otherwise(data);
  }

  private static String quote(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  /** Static, so the closure carries the broadcast and the column positions, never the stage. */
  private static MapPartitionsFunction<Tuple2<Row, TensorRecord>, Tuple2<Row, TensorRecord>> partition(
      Broadcast<LayerWeights> weights, int[] fixedShape, int idIndex, int batchSize) {
    long broadcastId = weights.id();
    return rows -> new TensorRows(rows, KernelHolder.layer(broadcastId, weights.value(), null), fixedShape, idIndex,
        batchSize);
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

package io.convt.job.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Parquet tensor dataset as input records: columns {@code id} (string), {@code shape} (array of integers,
 * {@code [C,H,W]}), {@code data} (array of floats) and, when present, {@code index}. Datasets written by other tools
 * are taken as they come where nothing is lost or invented: {@code data} of doubles is cast to float32 (noted in
 * the run summary: the kernel is float32), {@code shape} of any integer type is cast to int. Integer {@code data}
 * is refused (pixel bytes need a scaling the dataset does not state), as is a missing or mistyped column, with one
 * line naming a file of the dataset and the column, before any Spark work.
 */
final class ParquetInput {
  /** The records, whether the dataset carries its own {@code index} column, and notes for the run summary. */
  record Read(Dataset<InputRecord> records, boolean indexed, List<String> notes) {}

  private ParquetInput() {}

  static Read read(SparkSession spark, String input) {
    Dataset<Row> rows = spark.read().parquet(input);
    StructType schema = rows.schema();
    String[] files = rows.inputFiles();
    String where = "Cannot read input " + (files.length > 0 ? files[0] : input);
    List<String> notes = new ArrayList<>();
    DataType id = field(schema, "id", where).dataType();
    if (!id.equals(DataTypes.StringType)) {
      throw new IllegalArgumentException(where + ": column id is " + id.simpleString() + ", expected string");
    }
    DataType shapeElement = element(field(schema, "shape", where), where);
    if (!integral(shapeElement)) {
      throw new IllegalArgumentException(where + ": column shape is array<" + shapeElement.simpleString()
          + ">, expected an array of integers");
    }
    DataType dataElement = element(field(schema, "data", where), where);
    Column data = col("data");
    if (dataElement.equals(DataTypes.DoubleType)) {
      data = data.cast(DataTypes.createArrayType(DataTypes.FloatType));
      notes.add("data cast from double to float");
    } else if (!dataElement.equals(DataTypes.FloatType)) {
      throw new IllegalArgumentException(where + ": column data is array<" + dataElement.simpleString()
          + ">, expected array<float> (float32; double is cast to float)");
    }
    boolean indexed = schema.getFieldIndex("index").isDefined() && integral(schema.apply("index").dataType());
    Column index = indexed ? col("index").cast(DataTypes.LongType) : lit(null).cast(DataTypes.LongType);
    Dataset<InputRecord> records = rows.select(col("id"),
        col("shape").cast(DataTypes.createArrayType(DataTypes.IntegerType)).as("shape"), data.as("data"),
        lit(null).cast("string").as("error"), lit(null).cast("string").as("reason"), index.as("index"))
        .as(Encoders.bean(InputRecord.class));
    return new Read(records, indexed, notes);
  }

  private static StructField field(StructType schema, String name, String where) {
    if (schema.getFieldIndex(name).isEmpty()) {
      throw new IllegalArgumentException(where + ": no column " + name + " (a tensor dataset has id, shape, data; "
          + "found " + String.join(", ", schema.fieldNames()) + ")");
    }
    return schema.apply(name);
  }

  private static DataType element(StructField f, String where) {
    if (!(f.dataType() instanceof ArrayType a)) {
      throw new IllegalArgumentException(where + ": column " + f.name() + " is " + f.dataType().simpleString()
          + ", expected an array");
    }
    return a.elementType();
  }

  private static boolean integral(DataType t) {
    return t.equals(DataTypes.IntegerType) || t.equals(DataTypes.LongType) || t.equals(DataTypes.ShortType)
        || t.equals(DataTypes.ByteType);
  }
}

package io.convt.job.ml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Where a stage finds its tensors in a row and where it puts its outputs: the input column ({@code array<float>},
 * C,H,W order) and its shape: a {@code [C,H,W]} {@code array<int>} column per row, as the job's Parquet output has,
 * or one fixed shape from the column's {@code arrow.fixed_shape_tensor} metadata. Validated on the driver.
 *
 * @param hasShapeColumn whether the shape column exists (else the fixed shape applies to every row)
 * @param fixedShape {@code [C,H,W]} from the column metadata, or null
 */
record TensorColumns(boolean hasShapeColumn, int[] fixedShape) implements Serializable {
  static final String EXTENSION_NAME = "ARROW:extension:name";
  static final String EXTENSION_METADATA = "ARROW:extension:metadata";
  static final String FIXED_SHAPE_TENSOR = "arrow.fixed_shape_tensor";

  /** Finds and checks the columns; every error names the column and what is wrong. */
  static TensorColumns of(StructType schema, String inputCol, String shapeCol) {
    StructField in = field(schema, inputCol, "inputCol");
    if (!(in.dataType() instanceof ArrayType a) || !a.elementType().equals(DataTypes.FloatType)) {
      throw new IllegalArgumentException("Cannot read column '" + inputCol + "' (inputCol): it is "
          + in.dataType().simpleString() + ", expected array<float> (C,H,W order)");
    }
    int[] fixed = fixedShape(in);
    boolean hasShape = Arrays.asList(schema.fieldNames()).contains(shapeCol);
    if (hasShape) {
      StructField s = schema.apply(shapeCol);
      DataType t = s.dataType();
      if (!(t instanceof ArrayType st) || !st.elementType().equals(DataTypes.IntegerType)) {
        throw new IllegalArgumentException("Cannot read column '" + shapeCol + "' (shapeCol): it is "
            + t.simpleString() + ", expected array<int> [C,H,W]");
      }
    } else if (fixed == null) {
      throw new IllegalArgumentException("Cannot read column '" + inputCol + "' (inputCol): no shape column '"
          + shapeCol + "' (shapeCol) and no " + FIXED_SHAPE_TENSOR + " metadata on the column (columns: "
          + String.join(", ", schema.fieldNames()) + ")");
    }
    return new TensorColumns(hasShape, fixed);
  }

  /** The input schema plus the output tensor and shape columns (the tensor with fixed-shape metadata if known). */
  static StructType output(StructType schema, String outputCol, String outputShapeCol, int[] fixedOutputShape) {
    for (String c : new String[] {outputCol, outputShapeCol}) {
      if (Arrays.asList(schema.fieldNames()).contains(c)) {
        throw new IllegalArgumentException("Cannot add column '" + c + "': the input already has a column of that "
            + "name (set outputCol / outputShapeCol)");
      }
    }
    return schema
        .add(outputCol, DataTypes.createArrayType(DataTypes.FloatType, false), true, tensorMetadata(fixedOutputShape))
        .add(outputShapeCol, DataTypes.createArrayType(DataTypes.IntegerType, false), true);
  }

  /** Arrow's canonical extension metadata for a fixed {@code [C,H,W]} tensor column, or none. */
  static Metadata tensorMetadata(int[] chw) {
    if (chw == null) {
      return Metadata.empty();
    }
    return new MetadataBuilder()
        .putString(EXTENSION_NAME, FIXED_SHAPE_TENSOR)
        .putString(EXTENSION_METADATA, "{\"shape\":[" + chw[0] + "," + chw[1] + "," + chw[2] + "]}")
        .build();
  }

  private static StructField field(StructType schema, String name, String param) {
    if (!Arrays.asList(schema.fieldNames()).contains(name)) {
      throw new IllegalArgumentException("Cannot read column '" + name + "' (" + param + "): no such column ("
          + "columns: " + String.join(", ", schema.fieldNames()) + ")");
    }
    return schema.apply(name);
  }

  private static int[] fixedShape(StructField f) {
    Metadata m = f.metadata();
    if (!m.contains(EXTENSION_NAME) || !FIXED_SHAPE_TENSOR.equals(m.getString(EXTENSION_NAME))
        || !m.contains(EXTENSION_METADATA)) {
      return null;
    }
    String json = m.getString(EXTENSION_METADATA);
    try {
      JsonNode shape = new ObjectMapper().readTree(json).get("shape");
      if (shape == null || !shape.isArray() || shape.size() != 3) {
        throw new IllegalArgumentException("shape is not [C,H,W]");
      }
      int[] chw = new int[3];
      for (int i = 0; i < 3; i++) {
        if (!shape.get(i).canConvertToInt() || shape.get(i).asInt() < 1) {
          throw new IllegalArgumentException("shape is not [C,H,W] of positive integers");
        }
        chw[i] = shape.get(i).asInt();
      }
      return chw;
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      throw new IllegalArgumentException("Cannot read column '" + f.name() + "': bad " + FIXED_SHAPE_TENSOR
          + " metadata " + json + " (" + e.getMessage().lines().findFirst().orElse("") + ")", e);
    }
  }
}

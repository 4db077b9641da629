package io.convt.job.infer;

import java.util.Arrays;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet output's {@code data} column metadata (in Spark's schema footer): {@code dim_names} {@code C,H,W}
 * always, and Arrow's canonical {@code arrow.fixed_shape_tensor} extension ({@code {"shape":[C,H,W],
 * "dim_names":["C","H","W"]}}, as the Arrow output writes it) when every record of the file has one shape. The
 * driver knows the shape in advance only for {@code .npy} stacks; for images each task records the shape its file
 * actually got, as the Arrow output does per file, so a dataset of images of one size says that size in every file.
 */
final class TensorColumnMetadata {
  static final String EXTENSION_NAME = "arrow.fixed_shape_tensor";
  private static final String DIM_NAMES = "[\"C\",\"H\",\"W\"]";

  private TensorColumnMetadata() {}

  /** The column metadata for records of shape {@code chw}, or of mixed or unknown shapes ({@code null}). */
  static Metadata of(int[] chw) {
    MetadataBuilder b = new MetadataBuilder().putStringArray("dim_names", new String[] {"C", "H", "W"});
    if (chw != null) {
      b.putString("ARROW:extension:name", EXTENSION_NAME).putString("ARROW:extension:metadata",
          "{\"shape\":[" + chw[0] + "," + chw[1] + "," + chw[2] + "],\"dim_names\":" + DIM_NAMES + "}");
    }
    return b.build();
  }

  /**
   * Spark's schema JSON for one file: the driver's {@code sparkSchema}, with the {@code data} column's metadata
   * for {@code fileShape} when the file's records all had that shape (a file without records keeps the driver's).
   */
  static String forFile(String sparkSchema, int[] fileShape) {
    if (fileShape == null) {
      return sparkSchema;
    }
    StructType s = (StructType) DataType.fromJson(sparkSchema);
    StructField[] fields = s.fields().clone();
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].name().equals("data")) {
        fields[i] = new StructField("data", fields[i].dataType(), fields[i].nullable(), of(fileShape));
      }
    }
    return new StructType(fields).json();
  }

  /** The one shape of a file's records as they are written, or null once two differ. */
  static final class FileShape {
    private int[] shape;
    private boolean mixed;

    void see(int[] chw) {
      if (mixed || chw == null || chw.length != 3) {
        mixed |= chw == null || chw.length != 3;
      } else if (shape == null) {
        shape = chw.clone();
      } else if (!Arrays.equals(shape, chw)) {
        mixed = true;
      }
    }

    /** The shape every record had, or null (no records, or records of different shapes). */
    int[] single() {
      return mixed ? null : shape;
    }
  }
}

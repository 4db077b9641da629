package io.convt.job.ml;

import java.util.List;
import java.util.function.Supplier;
import scala.jdk.javaapi.CollectionConverters;

/**
 * An {@code array<float>} / {@code array<int>} value of a Spark {@link org.apache.spark.sql.Row} as a primitive
 * array. Spark hands arrays without null elements to a row as a wrapped primitive array (taken as is, no copy);
 * arrays of a column that may hold nulls arrive boxed and are copied, refusing a null element.
 */
final class SparkArrays {
  private SparkArrays() {}

  static float[] floats(Object value, Supplier<String> record) {
    if (value instanceof float[] f) {
      return f;
    }
    if (value instanceof scala.collection.mutable.ArraySeq.ofFloat s) {
      return s.array();
    }
    if (value instanceof scala.collection.immutable.ArraySeq.ofFloat s) {
      return s.unsafeArray();
    }
    List<?> boxed = boxed(value);
    float[] f = new float[boxed.size()];
    for (int i = 0; i < f.length; i++) {
      if (!(boxed.get(i) instanceof Float v)) {
        throw new IllegalArgumentException("Bad record " + record.get() + " (null): value " + i + " is null");
      }
      f[i] = v;
    }
    return f;
  }

  static int[] ints(Object value) {
    if (value instanceof int[] v) {
      return v;
    }
    if (value instanceof scala.collection.mutable.ArraySeq.ofInt s) {
      return s.array();
    }
    if (value instanceof scala.collection.immutable.ArraySeq.ofInt s) {
      return s.unsafeArray();
    }
    // a shape with a null entry is no shape: -1 makes the record fail the shape check, naming it
    return boxed(value).stream().mapToInt(v -> v instanceof Integer i ? i : -1).toArray();
  }

  private static List<?> boxed(Object value) {
    if (value instanceof scala.collection.Seq<?> s) {
      return CollectionConverters.asJava(s);
    }
    if (value instanceof List<?> l) {
      return l;
    }
    throw new IllegalStateException("Spark gave an array column as " + value.getClass().getName());
  }
}

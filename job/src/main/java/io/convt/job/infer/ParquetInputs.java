package io.convt.job.infer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * Driver side: checks a Parquet tensor dataset's footers before Spark reads it, so a file of another schema fails
 * with one line naming the file and the column (not Spark's analyzer text), before any output is staged.
 */
final class ParquetInputs {
  /** Footers checked at most: enough to catch a foreign dataset without reading thousands of footers. */
  private static final int MAX_FOOTERS = 64;

  private ParquetInputs() {}

  /**
   * Checks the footers of the dataset's files (at most {@link #MAX_FOOTERS}) for the tensor columns and returns the
   * shape {@code [C, H, W]} of its first record (first file in name order), or null when that cannot be read here
   * (the tasks then check every record).
   */
  static int[] check(String input, Configuration hadoop) {
    List<Path> files = files(input, hadoop);
    for (Path f : files.subList(0, Math.min(files.size(), MAX_FOOTERS))) {
      MessageType schema = schema(input, f, hadoop);
      column(schema, f, "id", java.util.Set.of(PrimitiveTypeName.BINARY));
      column(schema, f, "shape", java.util.Set.of(PrimitiveTypeName.INT32, PrimitiveTypeName.INT64));
      // double data is cast to float when read (ParquetInput), with a note in the run summary
      column(schema, f, "data", java.util.Set.of(PrimitiveTypeName.FLOAT, PrimitiveTypeName.DOUBLE));
    }
    return firstShape(files.get(0), hadoop);
  }

  /**
   * The data files of a Parquet dataset (a directory, file or glob; hidden and {@code _} files left out), in name
   * order.
   */
  static List<Path> files(String input, Configuration hadoop) {
    List<Path> files = new ArrayList<>();
    try {
      Path p = new Path(input);
      FileSystem fs = p.getFileSystem(hadoop);
      FileStatus[] matched = fs.globStatus(p);
      if (matched == null || matched.length == 0) {
        throw new IllegalArgumentException("Cannot read input " + input + ": no such file, directory or glob match");
      }
      for (FileStatus s : matched) {
        if (s.isDirectory()) {
          for (FileStatus c : fs.listStatus(s.getPath())) {
            String n = c.getPath().getName();
            if (c.isFile() && !n.startsWith(".") && !n.startsWith("_")) {
              files.add(c.getPath());
            }
          }
        } else {
          files.add(s.getPath());
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot list input " + input + ": " + e.getMessage(), e);
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("Cannot read input " + input + ": no Parquet files in it");
    }
    files.sort(null);
    return files;
  }

  /** The schema in {@code file}'s footer; one line naming the dataset and the file when it is not Parquet. */
  static MessageType schema(String input, Path file, Configuration hadoop) {
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(file, hadoop))) {
      return r.getFileMetaData().getSchema();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("Cannot read input " + input + ": " + file + " is not a readable Parquet "
          + "file (" + e.getMessage() + ")");
    }
  }

  /** The {@code shape} of the file's first row, or null (empty file, a layout this reader does not know). */
  private static int[] firstShape(Path file, Configuration hadoop) {
    Configuration c = new Configuration(hadoop);
    try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(c).build()) {
      Group row = r.read();
      if (row == null || row.getFieldRepetitionCount("shape") == 0) {
        return null;
      }
      int[] dims = shape(row);
      return dims.length == 3 ? dims : null;
    } catch (IOException | RuntimeException e) {
      return null; // the tasks read and check every record anyway
    }
  }

  /** The {@code shape} list of a row read with {@link GroupReadSupport} (either Parquet list layout). */
  static int[] shape(Group row) {
    Group shape = row.getGroup("shape", 0);
    boolean legacyList = shape.getType().getType(0).isPrimitive(); // "repeated int32 array" vs LIST of element
    int n = shape.getFieldRepetitionCount(0);
    int[] dims = new int[n];
    for (int i = 0; i < n; i++) {
      String v = legacyList ? shape.getValueToString(0, i) : shape.getGroup(0, i).getValueToString(0, 0);
      dims[i] = Math.toIntExact(Long.parseLong(v));
    }
    return dims;
  }

  private static void column(MessageType schema, Path file, String name, java.util.Set<PrimitiveTypeName> want) {
    for (ColumnDescriptor c : schema.getColumns()) {
      if (c.getPath().length > 0 && c.getPath()[0].equals(name)) {
        PrimitiveTypeName got = c.getPrimitiveType().getPrimitiveTypeName();
        if (!want.contains(got)) {
          throw new IllegalArgumentException("Cannot read input " + file + ": column '" + name + "' holds "
              + got + " values, expected " + String.join(" or ", want.stream().map(Enum::name).sorted().toList())
              + " (a tensor dataset has id string, shape list<int>, data list<float or double>)");
        }
        return;
      }
    }
    throw new IllegalArgumentException("Cannot read input " + file + ": it has no column '" + name
        + "' (a tensor dataset has id string, shape list<int32>, data list<float>)");
  }
}

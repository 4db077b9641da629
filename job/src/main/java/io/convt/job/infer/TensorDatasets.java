package io.convt.job.infer;

import io.convt.engine.io.TensorIpc;
import io.convt.job.storage.HadoopConf;
import io.convt.job.storage.HadoopFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The tensor datasets {@code infer} reads and writes (Parquet with {@code id}/{@code shape}/{@code data} columns,
 * Arrow IPC files of {@code arrow.fixed_shape_tensor}), for commands that pair two of them by id
 * ({@code gradients}, {@code train}): the same format detection, footer checks and readers as {@code infer}.
 */
public final class TensorDatasets {
  /** A tensor dataset's format. */
  public enum Format {
    PARQUET, ARROW
  }

  /**
   * One record as the driver lists it: id, shape and the file it is in; no tensor values.
   *
   * @param shape the record's shape as stored (any rank; a tensor record is {@code [C, H, W]})
   */
  public record Listed(String id, int[] shape, String file) {}

  private TensorDatasets() {}

  /**
   * The tensor format of {@code path} as {@code infer} detects it ({@code .arrow} files, Parquet by content), or
   * null when it is no tensor dataset ({@code .npy}, images, or nothing there).
   */
  public static Format format(String path, Configuration hadoop) {
    switch (InputPlan.detect(path, hadoop)) {
      case "parquet":
        return Format.PARQUET;
      case "arrow":
        return Format.ARROW;
      default:
        return null;
    }
  }

  /**
   * Every record's id and shape, read on the driver without Spark: the {@code id} and {@code shape} columns of
   * each Parquet file (the footers checked as {@code infer} does), or each Arrow file's tensors one file at a time.
   *
   * @param flag the flag naming the dataset, for messages
   * @throws IllegalArgumentException one line naming the dataset, the file and what is wrong
   */
  public static List<Listed> list(String path, Format format, String flag, Configuration hadoop) {
    try {
      return format == Format.PARQUET ? listParquet(path, hadoop) : listArrow(path, hadoop);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().replace("Cannot read input ", "Cannot read " + flag + " ")
          .replace("Cannot list input ", "Cannot list " + flag + " "), e);
    }
  }

  private static List<Listed> listParquet(String path, Configuration hadoop) {
    ParquetInputs.check(path, hadoop);
    List<Listed> out = new ArrayList<>();
    for (Path f : ParquetInputs.files(path, hadoop)) {
      MessageType schema = ParquetInputs.schema(path, f, hadoop);
      Configuration c = new Configuration(hadoop);
      // only the id and shape columns are read: the tensors stay on disk until the tasks read them
      c.set(ReadSupport.PARQUET_READ_SCHEMA,
          new MessageType(schema.getName(), schema.getType("id"), schema.getType("shape")).toString());
      String file = RecordIds.canonical(f.toString());
      try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), f).withConf(c).build()) {
        long row = 0;
        for (Group g = r.read(); g != null; g = r.read(), row++) {
          if (g.getFieldRepetitionCount("id") == 0 || g.getFieldRepetitionCount("shape") == 0) {
            throw new IllegalArgumentException("Cannot read input " + path + ": row " + row + " of " + file
                + " has a null " + (g.getFieldRepetitionCount("id") == 0 ? "id" : "shape"));
          }
          out.add(new Listed(g.getString("id", 0), ParquetInputs.shape(g), file));
        }
      } catch (IOException | RuntimeException e) {
        if (e instanceof IllegalArgumentException a && a.getMessage().startsWith("Cannot read input ")) {
          throw a;
        }
        throw new IllegalArgumentException("Cannot read input " + path + ": " + file + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static List<Listed> listArrow(String path, Configuration hadoop) {
    List<Listed> out = new ArrayList<>();
    for (InputItem item : arrowFiles(path, hadoop)) {
      String file = item.path();
      try {
        Path p = new Path(file);
        long bytes = p.getFileSystem(hadoop).getFileStatus(p).getLen();
        long budget = Runtime.getRuntime().maxMemory() / 2;
        if (bytes > budget) { // as the tasks' reader: a file is read whole
          throw new IllegalArgumentException("Cannot read input " + path + ": " + file + " has " + bytes
              + " bytes, more than half the heap (" + budget + " bytes); write it as several files");
        }
      } catch (IOException e) {
        throw new IllegalArgumentException("Cannot read input " + path + ": " + file + ": " + e.getMessage(), e);
      }
      try (RootAllocator alloc = new RootAllocator(); SeekableByteChannel in = HadoopFiles.open(file, hadoop)) {
        for (TensorIpc.Tensor t : TensorIpc.read(in, file, alloc)) {
          out.add(new Listed(t.id(), t.shape(), file));
        }
      } catch (IOException | RuntimeException e) {
        if (e instanceof IllegalArgumentException a && a.getMessage().startsWith("Cannot read input ")) {
          throw a;
        }
        throw new IllegalArgumentException("Cannot read input " + path + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** The {@code .arrow} files of a directory, file or glob, as {@code infer} lists them (sorted). */
  private static List<InputItem> arrowFiles(String path, Configuration hadoop) {
    // subdirectories are not read (no --recursive for tensor datasets); the listing's note about them is dropped
    return InputPlan.of(path, "arrow", 1, 1, hadoop, false, new PrintWriter(new StringWriter())).items();
  }

  /**
   * Every record of the dataset as Spark reads it for {@code infer}: Parquet through Spark's Parquet source
   * ({@code data} of doubles cast to float), Arrow files one task per file group with {@code infer}'s reader.
   * Unreadable Arrow files arrive as records with an error.
   *
   * @param partitions tasks to read Arrow files with (at most one per file)
   */
  public static JavaRDD<InputRecord> read(SparkSession spark, String path, Format format, HadoopConf hadoop,
      int partitions) {
    if (format == Format.PARQUET) {
      return ParquetInput.read(spark, path).records().javaRDD();
    }
    List<InputItem> items = arrowFiles(path, hadoop.get());
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    // Arrow files need no image settings: the reader's settings only drive image decoding
    return jsc.parallelize(items, Math.max(1, Math.min(items.size(), partitions)))
        .mapPartitions(it -> new InputReader(it, null, hadoop));
  }
}

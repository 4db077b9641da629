package io.convt.job.infer;

import io.convt.engine.io.NpyHeader;
import io.convt.job.storage.HadoopFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Driver side: what to read. Resolves the input format, lists image files or plans {@code .npy} slices, and
 * fails before any Spark work with one line naming the input when it cannot be used.
 *
 * @param fixedShape the shape of every record when the input fixes it ({@code .npy}), else null
 * @param firstShape the shape of the first record when the driver can read it cheaply (a Parquet dataset's first
 *     row, an Arrow file's schema), for the driver's channel check; else null
 */
record InputPlan(String format, String input, List<InputItem> items, long records, TensorShape fixedShape,
    TensorShape firstShape) {

  /**
   * @param partitions the tasks a sliced input ({@code .npy}) should be read by: slices are at most
   *     {@code batchSize} records and small enough that there are at least this many (when there are that many
   *     records)
   */
  static InputPlan of(String input, String format, int batchSize, int partitions, Configuration hadoop,
      boolean recursive, PrintWriter notes) {
    String f = format.equals("auto") ? detect(input, hadoop) : format;
    switch (f) {
      case "npy":
        return npy(input, batchSize, partitions, hadoop);
      case "images":
        return images(input, hadoop, false, recursive, notes);
      case "arrow":
        return images(input, hadoop, true, recursive, notes);
      case "parquet":
        int[] first = ParquetInputs.check(input, hadoop);
        return new InputPlan("parquet", input, List.of(), -1, null,
            first == null ? null : new TensorShape(first[0], first[1], first[2]));
      case "spark-image":
        // read by Spark's image data source; listed here only to fail early and to count for the progress line
        InputPlan listed = images(input, hadoop, false, recursive, notes); // its order numbers the records
        return new InputPlan("spark-image", input, listed.items(), listed.records(), null, null);
      default:
        throw new IllegalArgumentException("Invalid value for configuration key 'input.format': '" + f
            + "' (expected auto, npy, images, spark-image, parquet or arrow)");
    }
  }

  static String detect(String input, Configuration hadoop) {
    String l = input.toLowerCase(Locale.ROOT);
    if (l.endsWith(".npy")) {
      return "npy";
    }
    List<String> names = childNames(input, hadoop);
    if (l.endsWith(".arrow") || names.stream().anyMatch(n -> n.endsWith(".arrow"))) {
      return "arrow";
    }
    if (l.endsWith(".parquet") || ParquetDetection.isParquet(input, hadoop)) { // by content, not by _SUCCESS
      return "parquet";
    }
    return "images";
  }

  /** The names in directory {@code input} on its file system (none when it is not a directory). */
  private static List<String> childNames(String input, Configuration hadoop) {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(input);
      FileSystem fs = p.getFileSystem(hadoop);
      if (!fs.getFileStatus(p).isDirectory()) {
        return List.of();
      }
      return Arrays.stream(fs.listStatus(p)).map(s -> s.getPath().getName()).toList();
    } catch (IOException | IllegalArgumentException e) {
      return List.of(); // not a directory (a glob, a missing path): the images reader says what is wrong
    }
  }

  private static InputPlan npy(String input, int batchSize, int partitions, Configuration hadoop) {
    NpyHeader h = HadoopFiles.npyHeader(input, hadoop);
    if (h.shape().length != 4) {
      throw new IllegalArgumentException("Cannot read input " + input + ": expected an [N,C,H,W] stack, got shape "
          + Arrays.toString(h.shape()));
    }
    if (h.itemSize() == 1) {
      throw new IllegalArgumentException("Cannot read input " + input + ": dtype " + h.dtype() + " is not a float type");
    }
    long n = h.shape()[0];
    // slices of at most batch.size records, and enough of them for every asked-for partition to get one
    long slice = Math.max(1, Math.min(batchSize, (n + Math.max(1, partitions) - 1) / Math.max(1, partitions)));
    List<InputItem> items = new ArrayList<>();
    for (long first = 0; first < n; first += slice) {
      items.add(new InputItem("npy", input, first, (int) Math.min(slice, n - first)));
    }
    TensorShape shape = new TensorShape(h.shape()[1], h.shape()[2], h.shape()[3]);
    return new InputPlan("npy", input, items, n, shape, shape);
  }

  /** Lists image files, or (arrow) the {@code .arrow} tensor files, of a directory, file or glob. */
  private static InputPlan images(String input, Configuration hadoop, boolean arrow, boolean recursive,
      PrintWriter notes) {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(input);
      FileSystem fs = p.getFileSystem(hadoop);
      FileStatus[] matched = fs.globStatus(p);
      if (matched == null || matched.length == 0) {
        throw new IllegalArgumentException("Cannot read input " + input + ": no such file, directory or glob match");
      }
      List<String> files = new ArrayList<>();
      int[] skippedDirs = {0};
      for (FileStatus s : matched) {
        if (s.isDirectory()) {
          list(fs, s.getPath(), arrow, recursive, files, skippedDirs);
        } else if (visible(s.getPath().getName())) {
          files.add(RecordIds.canonical(s.getPath().toString()));
        }
      }
      if (skippedDirs[0] > 0) {
        notes.println("convt-job: note: " + input + " has " + skippedDirs[0] + " subdirector"
            + (skippedDirs[0] == 1 ? "y" : "ies") + " that were not read (add --recursive to read them)");
      }
      if (files.isEmpty()) {
        throw new IllegalArgumentException("Cannot read input " + input + ": no files found");
      }
      files.sort(null); // a stable order: output ids and partitioning do not depend on listing order
      List<InputItem> items = new ArrayList<>(files.size());
      files.forEach(x -> items.add(arrow ? InputItem.arrow(x) : InputItem.image(x, items.size())));
      return new InputPlan(arrow ? "arrow" : "images", input, items, arrow ? -1 : files.size(), null,
          arrow ? ArrowInputs.firstShape(files.get(0), hadoop) : null);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot list input " + input + ": " + e.getMessage(), e);
    }
  }

  private static void list(FileSystem fs, org.apache.hadoop.fs.Path dir, boolean arrow, boolean recursive,
      List<String> files, int[] skippedDirs) throws IOException {
    for (FileStatus c : fs.listStatus(dir)) {
      String name = c.getPath().getName();
      if (!visible(name)) {
        continue;
      }
      if (c.isDirectory()) {
        if (recursive) {
          list(fs, c.getPath(), arrow, true, files, skippedDirs);
        } else {
          skippedDirs[0]++;
        }
      } else if (!arrow || name.endsWith(".arrow")) {
        // FIFOs, devices and sockets are listed too: the reader quarantines them as not_a_file, unopened
        files.add(RecordIds.canonical(c.getPath().toString()));
      }
    }
  }

  /** Hidden and bookkeeping files (".x", "_SUCCESS") are not inputs. */
  private static boolean visible(String name) {
    return !name.startsWith(".") && !name.startsWith("_");
  }
}

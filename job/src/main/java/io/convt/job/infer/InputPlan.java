package io.convt.job.infer;

import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyHeader;
import java.io.IOException;
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
 */
record InputPlan(String format, String input, List<InputItem> items, long records, int[] fixedShape) {

  static InputPlan of(String input, String format, int batchSize, Configuration hadoop) {
    String f = format.equals("auto") ? detect(input, hadoop) : format;
    switch (f) {
      case "npy":
        return npy(input, batchSize);
      case "images":
        return images(input, hadoop, false);
      case "arrow":
        return images(input, hadoop, true);
      case "parquet":
        return new InputPlan("parquet", input, List.of(), -1, null);
      case "spark-image":
        // read by Spark's image data source; listed here only to fail early and to count for the progress line
        InputPlan listed = images(input, hadoop, false); // its order numbers the records (RecordIndexes)
        return new InputPlan("spark-image", input, listed.items(), listed.records(), null);
      default:
        throw new IllegalArgumentException("Invalid value for configuration key 'input.format': '" + f
            + "' (expected auto, npy, images, spark-image, parquet or arrow)");
    }
  }

  private static String detect(String input, Configuration hadoop) {
    String l = input.toLowerCase(Locale.ROOT);
    if (l.endsWith(".npy")) {
      return "npy";
    }
    if (l.endsWith(".arrow") || hasSuffix(input, ".arrow")) {
      return "arrow";
    }
    if (l.endsWith(".parquet") || ParquetDetection.isParquet(input, hadoop)) { // by content, not by _SUCCESS
      return "parquet";
    }
    return "images";
  }

  private static boolean hasSuffix(String dir, String suffix) {
    String[] names = new java.io.File(dir).list();
    return names != null && Arrays.stream(names).anyMatch(n -> n.endsWith(suffix));
  }

  private static InputPlan npy(String input, int batchSize) {
    NpyHeader h = Npy.readHeader(Path.of(input));
    if (h.shape().length != 4) {
      throw new IllegalArgumentException("Cannot read input " + input + ": expected an [N,C,H,W] stack, got shape "
          + Arrays.toString(h.shape()));
    }
    if (h.itemSize() == 1) {
      throw new IllegalArgumentException("Cannot read input " + input + ": dtype " + h.dtype() + " is not a float type");
    }
    long n = h.shape()[0];
    List<InputItem> items = new ArrayList<>();
    for (long first = 0; first < n; first += batchSize) {
      items.add(new InputItem("npy", input, first, (int) Math.min(batchSize, n - first)));
    }
    return new InputPlan("npy", input, items, n, new int[] {h.shape()[1], h.shape()[2], h.shape()[3]});
  }

  /** Lists image files, or (arrow) the {@code .arrow} tensor files, of a directory, file or glob. */
  private static InputPlan images(String input, Configuration hadoop, boolean arrow) {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(input);
      FileSystem fs = p.getFileSystem(hadoop);
      FileStatus[] matched = fs.globStatus(p);
      if (matched == null || matched.length == 0) {
        throw new IllegalArgumentException("Cannot read input " + input + ": no such file, directory or glob match");
      }
      List<String> files = new ArrayList<>();
      for (FileStatus s : matched) {
        if (s.isDirectory()) {
          for (FileStatus c : fs.listStatus(s.getPath())) {
            if (c.isFile() && visible(c.getPath().getName()) && (!arrow || c.getPath().getName().endsWith(".arrow"))) {
              files.add(RecordIds.canonical(c.getPath().toString()));
            }
          }
        } else if (visible(s.getPath().getName())) {
          files.add(RecordIds.canonical(s.getPath().toString()));
        }
      }
      if (files.isEmpty()) {
        throw new IllegalArgumentException("Cannot read input " + input + ": no files found");
      }
      files.sort(null); // a stable order: output ids and partitioning do not depend on listing order
      List<InputItem> items = new ArrayList<>(files.size());
      files.forEach(x -> items.add(arrow ? InputItem.arrow(x) : InputItem.image(x, items.size())));
      return new InputPlan(arrow ? "arrow" : "images", input, items, arrow ? -1 : files.size(), null);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot list input " + input + ": " + e.getMessage(), e);
    }
  }

  /** Hidden and bookkeeping files (".x", "_SUCCESS") are not inputs. */
  private static boolean visible(String name) {
    return !name.startsWith(".") && !name.startsWith("_");
  }
}

package io.convt.job.infer;

import java.io.IOException;
import java.io.PrintWriter;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An {@code --input} that is a convt output root (it holds {@code run-summary.json}) is read through its data:
 * {@code data/} (Parquet or Arrow) or {@code images/}; never its summary or quarantine as records.
 */
final class InputRoots {
  private InputRoots() {}

  /** The path to read for {@code input}: its data directory when it is a convt output root, else itself. */
  static String dataOf(String input, Configuration hadoop, PrintWriter notes) {
    if (input.chars().anyMatch(c -> "*?[{".indexOf(c) >= 0)) { // a glob is never a root
      return input;
    }
    String data = null;
    try {
      Path p = new Path(input);
      FileSystem fs = p.getFileSystem(hadoop);
      if (!fs.exists(new Path(p, "run-summary.json"))) {
        return input;
      }
      for (String child : new String[] {"data", "images"}) {
        Path d = new Path(p, child);
        if (data == null && fs.exists(d) && fs.getFileStatus(d).isDirectory()) {
          data = input.endsWith("/") ? input + child : input + "/" + child;
        }
      }
    } catch (IOException | RuntimeException e) {
      return input; // not resolvable here: the input plan names the problem
    }
    if (data == null) {
      throw new IllegalArgumentException("Cannot read input " + input + ": it is a convt output root (it has "
          + "run-summary.json) without data/ or images/ (that run wrote no records)");
    }
    notes.println("convt-job: note: " + input + " is a convt output root; reading its records in " + data);
    return data;
  }
}

package io.convt.job;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * All-or-nothing output: everything is written into a hidden staging directory next to the output
 * ({@code .NAME.convt-staging-UUID}), the tasks write their part files inside it, and only after the last
 * byte (run summary, then {@code _SUCCESS}) is the staging directory renamed to the output. A failed or killed
 * run leaves no directory under the output's name; with {@code overwrite} the old output is replaced in one
 * rename, so a rerun is idempotent. (On object stores without atomic rename the final step is a copy; see docs.)
 */
public final class OutputCommit {
  private final FileSystem fs;
  private final Path target;
  private final Path staging;
  private final boolean overwrite;

  private OutputCommit(FileSystem fs, Path target, Path staging, boolean overwrite) {
    this.fs = fs;
    this.target = target;
    this.staging = staging;
    this.overwrite = overwrite;
  }

  /** Checks the output can be written ({@code mode} error or overwrite) and creates the staging directory. */
  public static OutputCommit begin(String output, String mode, Configuration conf) {
    try {
      Path target = new Path(output);
      FileSystem fs = target.getFileSystem(conf);
      target = fs.makeQualified(target);
      boolean overwrite = mode.equals("overwrite");
      if (fs.exists(target) && !overwrite) {
        throw new IllegalArgumentException("Cannot write output " + output
            + ": it already exists (use --mode overwrite or --conf mode=overwrite to replace it)");
      }
      if (target.getParent() != null) {
        fs.mkdirs(target.getParent());
      }
      Path staging = new Path(target.getParent(), "." + target.getName() + ".convt-staging-" + UUID.randomUUID());
      if (!fs.mkdirs(staging)) {
        throw new IllegalArgumentException("Cannot write output " + output + ": cannot create " + staging);
      }
      return new OutputCommit(fs, target, staging, overwrite);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot write output " + output + ": " + e.getMessage(), e);
    }
  }

  /** A path inside the staging directory, for Spark writers. */
  public String staging(String child) {
    return new Path(staging, child).toString();
  }

  /** Creates a directory inside the staging directory and returns its path. */
  public String mkdir(String child) {
    Path p = new Path(staging, child);
    try {
      fs.mkdirs(p);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot create " + p + ": " + e.getMessage(), e);
    }
    return p.toString();
  }

  /** Writes a small text file into the staging directory. */
  public void writeText(String child, String text) {
    try (OutputStream out = fs.create(new Path(staging, child), true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("Cannot write " + child + " to " + staging + ": " + e.getMessage(), e);
    }
  }

  /** Publishes the staging directory as the output, with {@code _SUCCESS} written last inside it. */
  public void commit() {
    commit(true);
  }

  /**
   * Publishes the staging directory as the output; {@code _SUCCESS} is written last inside it only when
   * {@code markSuccess} (a run that exits 3 publishes its summary and quarantine without it).
   */
  public void commit(boolean markSuccess) {
    try {
      if (markSuccess) {
        fs.create(new Path(staging, "_SUCCESS"), true).close();
      }
      Path old = null;
      if (fs.exists(target)) {
        if (!overwrite) {
          throw new IllegalStateException("Cannot commit output " + target + ": it appeared during the run");
        }
        old = new Path(target.getParent(), "." + target.getName() + ".convt-old-" + UUID.randomUUID());
        if (!fs.rename(target, old)) {
          throw new IllegalStateException("Cannot replace output " + target + ": rename to " + old + " failed");
        }
      }
      if (!fs.rename(staging, target)) {
        throw new IllegalStateException("Cannot commit output " + target + ": rename from " + staging + " failed");
      }
      if (old != null) {
        fs.delete(old, true);
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot commit output " + target + ": " + e.getMessage(), e);
    }
  }

  /** Removes the staging directory after a failure (best effort: it is hidden either way). */
  public void abort() {
    try {
      fs.delete(staging, true);
    } catch (IOException | RuntimeException e) {
      // nothing more to do: the staging directory is hidden and never looks like output
    }
  }

  /** The final output path. */
  public String target() {
    return target.toString();
  }
}

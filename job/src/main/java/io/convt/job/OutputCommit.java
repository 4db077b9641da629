package io.convt.job;

import io.convt.job.storage.CommitFiles;
import io.convt.job.storage.TaskAttempt;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * All-or-nothing output, on file systems with and without an atomic rename.
 *
 * <p>Tasks name every file after their attempt ({@link TaskAttempt}: partition and attempt id), so retries and
 * speculative copies never write the same file. At commit the driver keeps, per partition, exactly the attempt
 * whose result it collected and deletes every other attempt's files ({@link CommitFiles}), then writes
 * {@code manifest.json} (every committed file, with its size) and, last, {@code _SUCCESS}. A reader trusts an output
 * only when {@code _SUCCESS} is present, and then reads the files the manifest lists.
 *
 * <p>Where directories rename atomically ({@code file:}, {@code hdfs:}, {@code viewfs:}) all of that happens in a
 * hidden staging directory next to the output ({@code .NAME.convt-staging-UUID}), renamed to the output at the end:
 * a failed run leaves no directory under the output's name. Elsewhere (object stores such as {@code s3a:}, where
 * a rename is a copy of every object) the files are written straight under the output, and {@code _SUCCESS},
 * written last, is the commit: a failed or killed run leaves no {@code _SUCCESS}.
 */
public final class OutputCommit {
  /** Schemes whose directory rename is atomic. */
  private static final Set<String> RENAMING = Set.of("file", "hdfs", "viewfs");
  /** The steps of a commit that publish something, in order. */
  enum Step { MANIFEST, SUCCESS }

  /**
   * Runs on the driver just before each {@link Step}. A no-op here; it exists so that tests in this package can
   * kill the driver between steps and check that a half-done commit never looks complete.
   */
  static volatile Consumer<Step> beforeStep = step -> { };
  public static final String MANIFEST = "manifest.json";
  private final FileSystem fs;
  private final Path target;
  private final Path staging;
  private final boolean overwrite;
  private final boolean rename;

  private OutputCommit(FileSystem fs, Path target, Path staging, boolean overwrite, boolean rename) {
    this.fs = fs;
    this.target = target;
    this.staging = staging;
    this.overwrite = overwrite;
    this.rename = rename;
  }

  /** Checks the output can be written ({@code mode} error or overwrite) and creates the directory to write into. */
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
      boolean rename = RENAMING.contains(target.toUri().getScheme().toLowerCase(Locale.ROOT));
      if (target.getParent() != null) {
        fs.mkdirs(target.getParent());
      }
      Path staging;
      if (rename) {
        staging = new Path(target.getParent(), "." + target.getName() + ".convt-staging-" + UUID.randomUUID());
      } else {
        staging = target;
        if (overwrite) {
          // the old output stops being an output (its _SUCCESS goes first), then goes
          fs.delete(new Path(target, "_SUCCESS"), false);
          fs.delete(target, true);
        }
      }
      if (!fs.mkdirs(staging)) {
        throw new IllegalArgumentException("Cannot write output " + output + ": cannot create " + staging);
      }
      return new OutputCommit(fs, target, staging, overwrite, rename);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot write output " + output + ": " + e.getMessage(), e);
    }
  }

  /** A path inside the directory being written, for writers. */
  public String staging(String child) {
    return new Path(staging, child).toString();
  }

  /** Creates a directory inside the directory being written and returns its path. */
  public String mkdir(String child) {
    Path p = new Path(staging, child);
    try {
      fs.mkdirs(p);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot create " + p + ": " + e.getMessage(), e);
    }
    return p.toString();
  }

  /** Writes a small text file into the directory being written. */
  public void writeText(String child, String text) {
    try (OutputStream out = fs.create(new Path(staging, child), true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("Cannot write " + child + " to " + staging + ": " + e.getMessage(), e);
    }
  }

  /** Publishes the staging directory as the output, with {@code _SUCCESS} written last inside it. */
  public void commit() {
    commit(null, true);
  }

  /**
   * Publishes the output: keeps exactly the files of {@code winners} (one attempt per partition, as collected by
   * the write action; null when the files are not attempt-named), deletes every other attempt's, writes the
   * manifest and then, only when {@code markSuccess}, {@code _SUCCESS} (a run that exits 3 publishes its summary and
   * quarantine without it), and (where rename is atomic) renames the staging directory to the output.
   */
  public void commit(List<TaskAttempt> winners, boolean markSuccess) {
    try {
      CommitFiles files = new CommitFiles(fs, staging);
      if (winners != null) {
        files.keepOnly(winners);
      }
      beforeStep.accept(Step.MANIFEST);
      writeText(MANIFEST, files.manifestJson());
      if (markSuccess) {
        beforeStep.accept(Step.SUCCESS);
        fs.create(new Path(staging, "_SUCCESS"), true).close();
      }
      if (!rename) {
        return;
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

  /**
   * Removes what this run wrote after a failure (best effort): the staging directory, or on an object store the
   * output's objects (never committed: no {@code _SUCCESS} was written).
   */
  public void abort() {
    try {
      fs.delete(staging, true);
    } catch (IOException | RuntimeException e) {
      // nothing more to do: without _SUCCESS nothing here looks like output
    }
  }

  /** The final output path. */
  public String target() {
    return target.toString();
  }
}

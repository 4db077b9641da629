package io.convt.job.train;

import io.convt.job.OutputGuard;
import io.convt.job.OutputMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@code train}'s output directory under the job's one overwrite policy: it may not be or touch an input, an
 * existing one is refused ({@code --mode error}), continued ({@code --resume}) or replaced ({@code --mode
 * overwrite}). A training run writes its output as it goes (checkpoints, loss curve), so replacing is not one
 * rename: the old output is renamed aside to {@code .NAME.convt-old-UUID} before the first step and deleted after the
 * last; a crash in between leaves it there, and the next run restores it (when the output is missing) or reports it.
 * Paths are on any Hadoop file system (on an object store the rename aside is a copy).
 */
final class TrainOutputs {
  private TrainOutputs() {}

  static void check(Trainer.Plan plan, OutputMode mode, Configuration hadoop, PrintWriter notes) {
    TrainRequest r = plan.request();
    List<OutputGuard.Named> outputs = new ArrayList<>();
    outputs.add(new OutputGuard.Named("--output", r.outputDir()));
    if (!inside(r.checkpointDir(), r.outputDir(), hadoop)) { // the default, OUTPUT/checkpoints, is part of the output
      outputs.add(new OutputGuard.Named("--checkpoint-dir", r.checkpointDir()));
    }
    new OutputGuard(hadoop, notes).resumable().check(outputs,
        List.of(new OutputGuard.Named("--input", r.input()),
            new OutputGuard.Named("--target", r.target()),
            new OutputGuard.Named("--weights", plan.spec().weights().toString()),
            new OutputGuard.Named("--bias", plan.spec().bias() == null ? null : plan.spec().bias().toString())),
        mode, r.resume());
  }

  /** Whether {@code child} lies strictly inside {@code parent} (both qualified on their file systems). */
  private static boolean inside(String child, String parent, Configuration hadoop) {
    String c = qualified(child, hadoop).toString();
    String p = qualified(parent, hadoop).toString();
    return !c.equals(p) && c.startsWith(p.endsWith("/") ? p : p + "/");
  }

  private static Path qualified(String path, Configuration hadoop) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(hadoop).makeQualified(p);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("Cannot resolve path " + path + ": " + e.getMessage(), e);
    }
  }

  /** Renames an existing output aside before a {@code --mode overwrite} run; null when there is none. */
  static Path moveAside(String output, Configuration hadoop) {
    Path o = qualified(output, hadoop);
    try {
      FileSystem fs = o.getFileSystem(hadoop);
      if (!fs.exists(o)) {
        return null;
      }
      Path old = new Path(o.getParent(), "." + o.getName() + ".convt-old-" + UUID.randomUUID());
      if (!fs.rename(o, old)) {
        throw new IOException("the file system refused the rename to " + old);
      }
      return old;
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot overwrite output " + output + ": cannot rename it aside: "
          + e.getMessage());
    }
  }

  /** Deletes what {@link #moveAside} kept, once the new run finished. */
  static void deleteAside(Path old, Configuration hadoop) {
    if (old == null) {
      return;
    }
    try {
      old.getFileSystem(hadoop).delete(old, true);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete the replaced output " + old, e);
    }
  }
}

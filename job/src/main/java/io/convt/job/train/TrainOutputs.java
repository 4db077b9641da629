package io.convt.job.train;

import io.convt.job.OutputGuard;
import io.convt.job.OutputMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;

/**
 * {@code train}'s output directory under the job's one overwrite policy: it may not be or touch an input, an
 * existing one is refused ({@code --mode error}), continued ({@code --resume}) or replaced ({@code --mode
 * overwrite}). A training run writes its output as it goes (checkpoints, loss curve), so replacing is not one
 * rename: the old output is renamed aside to {@code .NAME.convt-old-UUID} before the first step and deleted after the
 * last; a crash in between leaves it there, and the next run restores it (when the output is missing) or reports it.
 */
final class TrainOutputs {
  private TrainOutputs() {}

  static void check(Trainer.Plan plan, OutputMode mode, Configuration hadoop, PrintWriter notes) {
    TrainRequest r = plan.request();
    Path out = r.outputDir().toAbsolutePath().normalize();
    Path ckpt = r.checkpointDir().toAbsolutePath().normalize();
    List<OutputGuard.Named> outputs = new ArrayList<>();
    outputs.add(new OutputGuard.Named("--output", r.outputDir().toString()));
    boolean ckptInside = !ckpt.equals(out) && ckpt.startsWith(out);
    if (!ckptInside) { // the default, OUTPUT/checkpoints, is part of the output
      outputs.add(new OutputGuard.Named("--checkpoint-dir", r.checkpointDir().toString()));
    }
    new OutputGuard(hadoop, notes).resumable().check(outputs,
        List.of(new OutputGuard.Named("--input", r.input().toString()),
            new OutputGuard.Named("--target", r.target().toString()),
            new OutputGuard.Named("--weights", plan.spec().weights().toString()),
            new OutputGuard.Named("--bias", plan.spec().bias() == null ? null : plan.spec().bias().toString())),
        mode, r.resume());
  }

  /** Renames an existing output aside before a {@code --mode overwrite} run; null when there is none. */
  static Path moveAside(Path output) {
    Path o = output.toAbsolutePath().normalize();
    if (!Files.exists(o)) {
      return null;
    }
    Path old = o.resolveSibling("." + o.getFileName() + ".convt-old-" + UUID.randomUUID());
    try {
      Files.move(o, old, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot overwrite output " + output + ": cannot rename it aside: " + e.getMessage());
    }
    return old;
  }

  /** Deletes what {@link #moveAside} kept, once the new run finished. */
  static void deleteAside(Path old) {
    if (old == null) {
      return;
    }
    try (Stream<Path> all = Files.walk(old)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete the replaced output " + old, e);
    }
  }
}

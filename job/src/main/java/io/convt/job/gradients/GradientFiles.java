package io.convt.job.gradients;

import io.convt.engine.io.Npy;
import io.convt.job.storage.CommitFiles;
import io.convt.job.storage.TaskAttempt;
import io.convt.job.storage.WholeFiles;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes the files of {@code gradients} on any Hadoop file system, each whole ({@link WholeFiles}: local
 * directories straight through the engine's atomic java.nio writers, other file systems by writing a local
 * temporary file with the same writer and copying it up).
 *
 * <p>dL/dX stacks are written by executors into their attempt's directory ({@link CommitFiles#attemptDir}), then a
 * hidden {@value #COMPLETE} marker: the marker is created only after the stack is closed, so an attempt that has it
 * wrote a complete file (a killed attempt may leave a truncated stack, never the marker). Every complete attempt of
 * a slice holds the same bytes (a slice's dL/dX is a pure function of its records and the weights), so the driver
 * may keep any of them: {@link #completeAttempts} picks the lowest attempt id per partition, and
 * {@link io.convt.job.OutputCommit} moves its files into place and deletes the rest.
 */
final class GradientFiles {
  /** Marker an attempt writes after its dL/dX stack is closed. */
  static final String COMPLETE = ".complete";

  private GradientFiles() {}

  /**
   * Writes {@code dir/name} with {@code writer}, which writes a local file (created atomically) at the path given
   * ({@link WholeFiles#replace}).
   */
  static void write(String dir, String name, Configuration conf, Consumer<java.nio.file.Path> writer) {
    WholeFiles.replace(new Path(dir, name).toString(), conf, writer);
  }

  /**
   * Writes the dL/dX stack of records {@code [first, first + count)} under {@code dir} (the staging directory of
   * {@code --write-grad-input}): inside a Spark task into the attempt's directory followed by the
   * {@value #COMPLETE} marker, outside one (a direct call) straight into {@code dir}.
   */
  static void writeGradInput(String dir, long first, int count, int[] shape, float[] values, Configuration conf) {
    String name = PartitionGradients.gradInputFileName(first, count);
    TaskAttempt attempt = TaskAttempt.current();
    if (attempt.attempt() < 0) {
      write(dir, name, conf, f -> Npy.writeFloat32(f, shape, values));
      return;
    }
    String attemptDir = CommitFiles.attemptDir(dir, attempt);
    write(attemptDir, name, conf, f -> Npy.writeFloat32(f, shape, values));
    Path marker = new Path(attemptDir, COMPLETE);
    try {
      marker.getFileSystem(conf).create(marker, true).close();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + marker + ": " + e.getMessage(), e);
    }
  }

  /**
   * One complete attempt per partition under {@code dir}: the attempts whose dL/dX stacks the commit keeps.
   *
   * @param partitions the pass's partition count; each must have a complete attempt
   * @throws IllegalStateException naming the first partition without one
   */
  static List<TaskAttempt> completeAttempts(String dir, int partitions, Configuration conf) {
    Path attempts = new Path(dir, CommitFiles.ATTEMPTS);
    TreeMap<Integer, TaskAttempt> won = new TreeMap<>();
    try {
      FileSystem fs = attempts.getFileSystem(conf);
      FileStatus[] list;
      try {
        list = fs.listStatus(attempts);
      } catch (FileNotFoundException e) {
        list = new FileStatus[0];
      }
      for (FileStatus s : list) {
        TaskAttempt a = TaskAttempt.ofFileName(s.getPath().getName());
        if (a == null || !s.isDirectory() || !fs.exists(new Path(s.getPath(), COMPLETE))) {
          continue;
        }
        TaskAttempt before = won.get(a.partition());
        if (before == null || a.attempt() < before.attempt()) {
          won.put(a.partition(), a);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + attempts + ": " + e.getMessage(), e);
    }
    for (int p = 0; p < partitions; p++) {
      if (!won.containsKey(p)) {
        throw new IllegalStateException("Cannot commit --write-grad-input: partition " + p
            + " has no complete dL/dX stack under " + attempts);
      }
    }
    return new ArrayList<>(won.values());
  }
}

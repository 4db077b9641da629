package io.convt.job.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.commons.io.FileUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * Writes one file on any Hadoop file system so that a reader sees the old file or the new one, whole, never a
 * part: the file is produced by a writer of local files (the engine's atomic java.nio writers), then
 * <ul>
 *   <li>local paths: written in place by that writer (temporary sibling, then rename; no Hadoop {@code .crc} side
 *       files, byte for byte what a local run always wrote);
 *   <li>file systems with an atomic rename ({@code hdfs:}, {@code viewfs:}): copied up to a hidden temporary
 *       sibling {@code .NAME.UUID.tmp}, then one rename that replaces the old file
 *       ({@link Options.Rename#OVERWRITE});
 *   <li>object stores ({@code s3a:} and the rest): copied straight to the name, because an object store publishes
 *       an object only when its upload completes, whole, and a rename there would be a second copy.
 * </ul>
 */
public final class WholeFiles {
  /** Schemes whose rename is atomic (as the job's output commit has them). */
  private static final Set<String> RENAMING = Set.of("hdfs", "viewfs");

  private WholeFiles() {}

  /**
   * Writes (or replaces) {@code target} with {@code writer}, which writes a local file, created atomically, at the
   * path it is given; the parent directory is created if needed.
   *
   * @throws UncheckedIOException naming {@code target} when it cannot be written
   */
  public static void replace(String target, Configuration conf, Consumer<java.nio.file.Path> writer) {
    try {
      java.nio.file.Path local = HadoopFiles.localFile(target, conf);
      if (local != null) {
        writer.accept(local);
        return;
      }
      Path to = new Path(target);
      FileSystem fs = to.getFileSystem(conf);
      to = fs.makeQualified(to);
      java.nio.file.Path tmpDir = Files.createTempDirectory("convt-upload-");
      try {
        java.nio.file.Path tmp = tmpDir.resolve(to.getName());
        writer.accept(tmp);
        fs.mkdirs(to.getParent());
        if (!RENAMING.contains(to.toUri().getScheme().toLowerCase(Locale.ROOT))) {
          fs.copyFromLocalFile(true, true, new Path(tmp.toUri()), to);
          return;
        }
        Path hidden = new Path(to.getParent(), "." + to.getName() + "." + UUID.randomUUID() + ".tmp");
        try {
          fs.copyFromLocalFile(true, true, new Path(tmp.toUri()), hidden);
          FileContext.getFileContext(fs.getUri(), conf).rename(hidden, to, Options.Rename.OVERWRITE);
        } finally {
          fs.delete(hidden, false); // only left when the rename failed
        }
      } finally {
        FileUtils.deleteQuietly(tmpDir.toFile());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + target + ": " + e.getMessage(), e);
    }
  }
}

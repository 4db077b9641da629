package io.convt.job.train;

import io.convt.engine.io.AtomicFiles;
import io.convt.engine.train.TrainingStore;
import io.convt.job.storage.HadoopFiles;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * The training loop's {@link TrainingStore} on any Hadoop file system, opened with the driver's configuration (the
 * loop runs on the driver). A file is replaced whole or not at all:
 * <ul>
 *   <li>local paths: through the engine's {@link AtomicFiles} (temporary sibling, then rename), as a local run
 *       always wrote them;
 *   <li>file systems with an atomic rename ({@code hdfs:}, {@code viewfs:}): a hidden temporary sibling
 *       {@code .NAME.UUID.tmp}, then one rename that replaces the old file ({@link Options.Rename#OVERWRITE});
 *   <li>object stores ({@code s3a:} and the rest): written straight to the name, because an object store publishes
 *       an object only when its upload completes, whole, and a rename there would be a copy.
 * </ul>
 */
final class HadoopTrainingStore implements TrainingStore {
  /** Schemes whose rename is atomic (as the job's output commit has them). */
  private static final Set<String> RENAMING = Set.of("hdfs", "viewfs");
  private final String dir;
  private final Configuration conf;

  /**
   * @param dir a directory path or URI ({@code out}, {@code /data/run1}, {@code hdfs://nn/run1}, {@code s3a://b/r})
   * @param conf the driver's Hadoop configuration
   */
  HadoopTrainingStore(String dir, Configuration conf) {
    this.dir = dir;
    this.conf = conf;
  }

  @Override
  public String location(String name) {
    return new Path(new Path(dir), name).toString();
  }

  @Override
  public byte[] read(String name) {
    String where = location(name);
    try {
      Path p = new Path(where);
      FileSystem fs = p.getFileSystem(conf);
      FileStatus st;
      try {
        st = fs.getFileStatus(p);
      } catch (FileNotFoundException e) {
        return null;
      }
      if (st.getLen() > Integer.MAX_VALUE - 8) {
        throw new IOException("it has " + st.getLen() + " bytes, more than one array can hold");
      }
      try (InputStream in = fs.open(p)) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + where + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void replace(String name, byte[] bytes) {
    String where = location(name);
    try {
      java.nio.file.Path local = HadoopFiles.localFile(where, conf);
      if (local != null) {
        AtomicFiles.write(local, bytes);
        return;
      }
      Path target = new Path(where);
      FileSystem fs = target.getFileSystem(conf);
      target = fs.makeQualified(target);
      fs.mkdirs(target.getParent());
      if (!RENAMING.contains(target.toUri().getScheme().toLowerCase(Locale.ROOT))) {
        write(fs, target, bytes);
        return;
      }
      Path tmp = new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
      try {
        write(fs, tmp, bytes);
        FileContext.getFileContext(fs.getUri(), conf).rename(tmp, target, Options.Rename.OVERWRITE);
      } finally {
        fs.delete(tmp, false); // only left when the rename failed
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + where + ": " + e.getMessage(), e);
    }
  }

  private static void write(FileSystem fs, Path p, byte[] bytes) throws IOException {
    try (OutputStream out = fs.create(p, true)) {
      out.write(bytes);
    }
  }
}

package io.convt.job.train;

import io.convt.engine.io.AtomicFiles;
import io.convt.engine.train.TrainingStore;
import io.convt.job.storage.WholeFiles;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The training loop's {@link TrainingStore} on any Hadoop file system, opened with the driver's configuration (the
 * loop runs on the driver). A file is replaced whole or not at all ({@link WholeFiles}: the engine's
 * {@link AtomicFiles} on local paths, a hidden sibling renamed over the file on HDFS, one whole upload on an object
 * store).
 */
final class HadoopTrainingStore implements TrainingStore {
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
    WholeFiles.replace(location(name), conf, f -> AtomicFiles.write(f, bytes));
  }
}

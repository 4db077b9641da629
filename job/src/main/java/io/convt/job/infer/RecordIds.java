package io.convt.job.infer;

import java.io.File;
import org.apache.hadoop.fs.Path;

/**
 * The one form of a record id's file part, whichever reader produced it: the file's fully qualified Hadoop path
 * ({@code file:/abs/dir/x.png}, {@code hdfs://nn:8020/dir/x.png}). Spark's image source says {@code file:///...},
 * Hadoop's listing {@code file:/...} and a command line a relative path; all three become the same string, so the
 * same input file gives the same id through every reader and outputs of different runs join on {@code id}.
 */
final class RecordIds {
  private RecordIds() {}

  /**
   * {@code pathOrUri} qualified and normalised: a path without a scheme is made absolute (against this JVM's
   * working directory) on the local file system; {@code file:///x} and {@code file:/x} both give {@code file:/x}.
   */
  static String canonical(String pathOrUri) {
    Path p = new Path(pathOrUri);
    if (p.toUri().getScheme() == null) {
      p = new Path(new File(p.toUri().getPath()).getAbsoluteFile().toURI());
    }
    // Path(URI) keeps an empty authority ("file:///x"); rebuilding from the scheme and path drops it
    String authority = p.toUri().getAuthority();
    return new Path(p.toUri().getScheme(), authority == null || authority.isEmpty() ? null : authority,
        p.toUri().normalize().getPath()).toString();
  }

  /** The id of record {@code index} of a stack file ({@code .npy}): {@code canonical(path)#index}. */
  static String stackRecord(String canonicalPath, long index) {
    return canonicalPath + "#" + index;
  }
}

package io.convt.job.storage;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;
import org.apache.spark.TaskContext;

/**
 * The local file system, recording every file a Spark task opens or creates through it. Hadoop only uses it where
 * the configuration says {@code fs.file.impl} = this class (with {@code fs.file.impl.disable.cache=true}, so no
 * cached default instance is handed out instead): a file recorded here proves the setting reached that task.
 */
public class MarkingLocalFileSystem extends LocalFileSystem {
  static final Set<String> TASK_OPENED = ConcurrentHashMap.newKeySet();
  static final Set<String> TASK_CREATED = ConcurrentHashMap.newKeySet();

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    if (TaskContext.get() != null) {
      TASK_OPENED.add(f.getName());
    }
    return super.open(f, bufferSize);
  }

  @Override
  public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
      short replication, long blockSize, Progressable progress) throws IOException {
    if (TaskContext.get() != null) {
      TASK_CREATED.add(f.getName());
    }
    return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
  }
}

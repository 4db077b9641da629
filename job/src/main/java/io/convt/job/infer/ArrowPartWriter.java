package io.convt.job.infer;

import io.convt.engine.arrow.TensorIpc;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;

/**
 * {@code output.format=arrow}: each partition writes Arrow IPC files {@code part-PPPPP-KKK.arrow} of at most
 * {@link #ROWS_PER_FILE} same-shape tensors ({@code arrow.fixed_shape_tensor}, C,H,W) into the staging directory.
 * Names depend only on the partition and the row order, so a retried task overwrites its failed attempt's files.
 */
final class ArrowPartWriter {
  static final int ROWS_PER_FILE = 1024;

  private ArrowPartWriter() {}

  static void write(Iterator<OutputRecord> rows, String dir) throws IOException {
    Path d = new Path(dir);
    FileSystem fs = d.getFileSystem(new Configuration());
    fs.mkdirs(d);
    int partition = TaskContext.getPartitionId();
    List<String> ids = new ArrayList<>();
    List<float[]> data = new ArrayList<>();
    int[] shape = null;
    int file = 0;
    while (rows.hasNext()) {
      OutputRecord r = rows.next();
      if (shape != null && (!Arrays.equals(shape, r.getShape()) || ids.size() == ROWS_PER_FILE)) {
        flush(fs, d, partition, file++, shape, ids, data);
      }
      shape = r.getShape();
      ids.add(r.getId());
      data.add(r.getData());
    }
    if (!ids.isEmpty()) {
      flush(fs, d, partition, file, shape, ids, data);
    }
  }

  private static void flush(FileSystem fs, Path dir, int partition, int file, int[] shape, List<String> ids,
      List<float[]> data) throws IOException {
    Path p = new Path(dir, String.format("part-%05d-%03d.arrow", partition, file));
    try (OutputStream out = fs.create(p, true); RootAllocator alloc = new RootAllocator()) {
      TensorIpc.write(Channels.newChannel(out), shape, ids, data, alloc);
    }
    ids.clear();
    data.clear();
  }
}

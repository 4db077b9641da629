package io.convt.job.infer;

import io.convt.engine.io.TensorIpcWriter;
import io.convt.job.storage.TaskAttempt;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * {@code output.format=arrow}: each partition writes Arrow IPC files {@code part-PPPPP-aT-KKK.arrow} of at most
 * {@link #ROWS_PER_FILE} same-shape tensors ({@code arrow.fixed_shape_tensor}, C,H,W) into the staging directory.
 * Names depend on the task attempt ({@link TaskAttempt}) and the row order; the driver keeps one attempt per partition.
 *
 * <p>Rows are streamed into the open file as record batches of {@link #BATCH_ROWS} ({@link TensorIpcWriter}: one
 * Arrow batch allocated per file and refilled, each tensor one bulk copy), so a task holds one batch, not a file's
 * worth of rows: memory does not grow with the partition.
 */
final class ArrowPartWriter {
  static final int ROWS_PER_FILE = 1024;
  /** Rows per record batch inside a file (8 MB of Arrow memory per task for 131 KB records). */
  static final int BATCH_ROWS = 64;

  private ArrowPartWriter() {}

  /**
   * Writes {@code rows} (the task's good records) into {@code dir}.
   *
   * @param crcFiles write through Hadoop's file system even on a local path (with its {@code .crc} side files),
   *     see {@link PartFiles}
   */
  static void write(Iterator<OutputRecord> rows, String dir, boolean crcFiles, Configuration conf)
      throws IOException {
    Path d = new Path(dir);
    d.getFileSystem(conf).mkdirs(d);
    String stem = TaskAttempt.current().fileStem();
    int file = 0;
    int inFile = 0;
    TensorIpcWriter out = null;
    try (BufferAllocator alloc = new RootAllocator()) {
      try {
        while (rows.hasNext()) {
          OutputRecord r = rows.next();
          if (out != null && (!Arrays.equals(out.shape(), r.getShape()) || inFile == ROWS_PER_FILE)) {
            out.finish();
            out.close();
            out = null;
            file++;
          }
          if (out == null) {
            Path p = new Path(d, String.format("%s-%03d.arrow", stem, file));
            out = new TensorIpcWriter(PartFiles.channel(p, conf, crcFiles), r.getShape(), BATCH_ROWS, alloc);
            inFile = 0;
          }
          r.appendTo(out); // from the kernel's output batch when the record is a view of it
          inFile++;
        }
        if (out != null) {
          out.finish();
        }
      } finally {
        if (out != null) {
          out.close();
        }
      }
    }
  }
}

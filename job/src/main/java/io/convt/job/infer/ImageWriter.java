package io.convt.job.infer;

import io.convt.engine.io.ImageCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;

/**
 * Writes each output image as {@code PPPPP-NNNNNN-<stem>.png} (or {@code .jpg}) into the staging directory:
 * {@code PPPPP} the partition, {@code NNNNNN} the record's position in it, {@code <stem>} the input's file name
 * without directory or extension, reduced to {@code [A-Za-z0-9_-]} and at most {@value #MAX_STEM} characters. Names
 * are therefore unique by construction (inputs {@code a b.png}, {@code a_b.png} and {@code a\b.png} no longer
 * collide), carry one extension, never start with {@code _} or {@code .} (which Hadoop and this job treat as
 * hidden), stay far below 255 bytes, and are read back as image input. A retried task reads its partition in the
 * same order, so it overwrites exactly the files of its failed attempt.
 */
final class ImageWriter {
  static final int MAX_STEM = 64;

  private ImageWriter() {}

  static void write(Iterator<OutputRecord> rows, String dir, InferSettings s, Configuration conf)
      throws IOException {
    Path d = new Path(dir);
    FileSystem fs = d.getFileSystem(conf);
    fs.mkdirs(d);
    TaskContext task = TaskContext.get();
    int partition = task == null ? 0 : task.partitionId();
    long position = 0;
    while (rows.hasNext()) {
      OutputRecord r = rows.next();
      int[] sh = r.getShape();
      String format = s.outputFormat();
      byte[] image = ImageCodec.encode(r.getDataHwc(), sh[1], sh[2], sh[0],
          format, s.scaling(), s.bgr());
      try (OutputStream out = fs.create(new Path(d, fileName(partition, position++, r.getId(), format)), true)) {
        out.write(image);
      }
    }
  }

  /** {@code PPPPP-NNNNNN-<stem>.png} (or {@code .jpg}) for the record at {@code position} of {@code partition}. */
  static String fileName(int partition, long position, String id, String format) {
    return String.format("%05d-%06d-%s.%s", partition, position, stem(id), format.equals("png") ? "png" : "jpg");
  }

  /** The input's name without directory, extension or unsafe characters: {@code x_3} for {@code /d/x.npy#3}. */
  static String stem(String id) {
    String name = id.substring(id.lastIndexOf('/') + 1);
    String index = "";
    int hash = name.lastIndexOf('#');
    if (hash > 0) {
      index = "_" + name.substring(hash + 1);
      name = name.substring(0, hash);
    }
    int dot = name.lastIndexOf('.');
    if (dot > 0) {
      name = name.substring(0, dot);
    }
    String clean = (name + index).replaceAll("[^A-Za-z0-9_-]+", "_").replaceAll("^[_-]+|[_-]+$", "");
    if (clean.length() > MAX_STEM) {
      clean = clean.substring(0, MAX_STEM);
    }
    return clean.isEmpty() ? "record" : clean;
  }
}

package io.convt.job.infer;

import io.convt.engine.io.ImageCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes each output image as {@code <sanitised id>.png} (or {@code .jpg}) into the staging directory. Names are a function of the
 * record id, so a retried task overwrites exactly the files of its failed attempt.
 */
final class ImageWriter {
  private ImageWriter() {}

  static void write(Iterator<OutputRecord> rows, String dir, InferSettings s, Configuration conf)
      throws IOException {
    Path d = new Path(dir);
    FileSystem fs = d.getFileSystem(conf);
    fs.mkdirs(d);
    while (rows.hasNext()) {
      OutputRecord r = rows.next();
      int[] sh = r.getShape();
      String format = s.outputFormat();
      byte[] image = ImageCodec.encode(r.getDataHwc(), sh[1], sh[2], sh[0],
          format, s.scaling(), s.bgr());
      try (OutputStream out = fs.create(new Path(d, fileName(r.getId(), format)), true)) {
        out.write(image);
      }
    }
  }

  /** The id with path separators and unsafe characters replaced, plus ".png" or ".jpg". */
  static String fileName(String id, String format) {
    String base = id.replaceFirst("^[a-z]+:/+", "");
    return base.replaceAll("[^A-Za-z0-9._-]", "_") + (format.equals("png") ? ".png" : ".jpg");
  }
}

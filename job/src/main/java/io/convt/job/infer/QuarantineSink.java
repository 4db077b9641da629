package io.convt.job.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;

/**
 * Where a task puts its bad records: JSON lines {@code {"id", "index", "reason", "detail"}} in
 * {@code quarantine/part-PPPPP.json} of the staging directory, written in the same pass as the good records (no
 * second pass, no cached outputs). The name depends only on the partition, so a retried task overwrites its failed
 * attempt's file; the file is opened on the first bad record and closed when the task ends.
 */
final class QuarantineSink {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String dir;
  private OutputStream out;

  QuarantineSink(String dir) {
    this.dir = dir;
  }

  void write(OutputRecord bad) {
    try {
      if (out == null) {
        open();
      }
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("id", bad.getId());
      line.put("index", bad.getRecordIndex());
      line.put("reason", bad.getReason());
      line.put("detail", bad.getDetail());
      out.write((JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write quarantine record " + bad.getId() + " to " + dir, e);
    }
  }

  private void open() throws IOException {
    TaskContext ctx = TaskContext.get();
    int partition = ctx == null ? 0 : ctx.partitionId();
    Path d = new Path(dir);
    FileSystem fs = d.getFileSystem(new Configuration());
    out = fs.create(new Path(d, String.format("part-%05d.json", partition)), true);
    if (ctx != null) {
      ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> close());
    }
  }

  void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot close quarantine file in " + dir, e);
      } finally {
        out = null;
      }
    }
  }
}

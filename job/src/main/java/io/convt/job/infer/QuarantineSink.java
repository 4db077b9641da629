package io.convt.job.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.convt.job.storage.HadoopConf;
import io.convt.job.storage.TaskAttempt;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;

/**
 * Where a task puts its bad records: JSON lines {@code {"id", "index", "reason", "detail"}} in
 * {@code quarantine/part-PPPPP-aT.json} of the staging directory, written in the same pass as the good records (no
 * second pass, no cached outputs). The name is the task attempt's ({@link TaskAttempt}): the driver keeps one
 * attempt per partition at commit; the file is opened on the first bad record and closed when the task ends.
 */
final class QuarantineSink {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String dir;
  private final HadoopConf conf;
  private OutputStream out;

  QuarantineSink(String dir, HadoopConf conf) {
    this.dir = dir;
    this.conf = conf;
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
    Path d = new Path(dir);
    FileSystem fs = d.getFileSystem(conf.get());
    out = fs.create(new Path(d, TaskAttempt.current().fileStem() + ".json"), true);
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

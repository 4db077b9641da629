package io.convt.job.infer;

import io.convt.engine.io.TensorIpc;
import io.convt.job.storage.HadoopFiles;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;

/** Driver-side look at an Arrow IPC tensor dataset before any task runs. */
final class ArrowInputs {
  private ArrowInputs() {}

  /**
   * The tensor shape of {@code file} from its schema alone, or null when the file cannot be read here (the tasks
   * then name it when they read it).
   */
  static TensorShape firstShape(String file, Configuration hadoop) {
    try (RootAllocator alloc = new RootAllocator(); SeekableByteChannel in = HadoopFiles.open(file, hadoop)) {
      int[] s = TensorIpc.shape(in, file, alloc);
      return s.length == 3 ? new TensorShape(s[0], s[1], s[2]) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}

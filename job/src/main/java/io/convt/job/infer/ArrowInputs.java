package io.convt.job.infer;

import io.convt.engine.io.TensorIpc;
import io.convt.job.storage.HadoopFiles;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.hadoop.conf.Configuration;

/** Driver-side look at an Arrow IPC tensor dataset before any task runs. */
final class ArrowInputs {
  private ArrowInputs() {}

  /**
   * Whether {@code file} has an integer {@code index} column (read from its schema alone), so its rows keep their
   * own index; false when the file cannot be read here (the tasks then name it).
   */
  static boolean indexed(String file, Configuration hadoop) {
    try (RootAllocator alloc = new RootAllocator(); SeekableByteChannel in = HadoopFiles.open(file, hadoop);
        ArrowFileReader reader = new ArrowFileReader(in, alloc)) {
      for (Field f : reader.getVectorSchemaRoot().getSchema().getFields()) {
        if (f.getName().equals("index") && f.getType() instanceof ArrowType.Int) {
          return true;
        }
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

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

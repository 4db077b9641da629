package io.convt.job.gradients;

import java.io.OutputStream;
import org.apache.spark.SparkEnv;
import org.apache.spark.serializer.SerializationStream;
import scala.reflect.ClassTag$;

/**
 * What the driver received in a gradient pass, split into the gradient data and Spark's status of each task.
 *
 * <p>Every task's result reaches the driver as Spark's {@code DirectTaskResult}: the task's value, serialized by
 * {@code spark.serializer} and embedded byte for byte, then the task's accumulator updates (its
 * {@code internal.metrics.*}) and metric peaks. Spark's {@code resultSize} task metric is the size of that whole
 * result. Here {@code gradient} is exact: the succeeded result tasks' values (the root's finished sums), sized by
 * serializing the value the driver collected through the same serializer the executor used; every other byte is
 * {@code taskStatus}: each task's metrics, and for a shuffle-map task its {@code MapStatus}, which any Spark job of
 * as many tasks pays.
 *
 * @param received Spark's {@code resultSize} summed over every task of the pass, every attempt
 * @param gradient bytes of the task-result values that carry gradient data
 * @param tasks task results counted in {@code received}
 */
public record DriverBytes(long received, long gradient, long tasks) {
  /** Bytes of Spark's per-task status: {@code received - gradient}. */
  public long taskStatus() {
    return received - gradient;
  }

  /**
   * Bytes {@code value} takes when an executor serializes it as a task's result ({@code spark.serializer}, as
   * Spark's executor writes a result value), counted without buffering them.
   */
  static long serializedSize(Object value) {
    long[] count = {0};
    OutputStream counter = new OutputStream() {
      @Override
      public void write(int b) {
        count[0]++;
      }

      @Override
      public void write(byte[] b, int off, int len) {
        count[0] += len;
      }
    };
    SerializationStream s = SparkEnv.get().serializer().newInstance().serializeStream(counter);
    s.writeObject(value, ClassTag$.MODULE$.AnyRef());
    s.close();
    return count[0];
  }
}

package io.convt.job.infer;

import io.convt.engine.arrow.ImageBatch;
import java.nio.FloatBuffer;

/**
 * One kernel output batch, shared by the {@link OutputRecord}s of its images until the writer has consumed them:
 * writers copy each image straight from the batch's Arrow buffer into their own (a Parquet page, an Arrow IPC
 * batch), so there is no {@code float[]} per record between the kernel and the file: a large record's array would
 * be allocated, zeroed and copied once more, and such arrays are what makes the garbage collector pause.
 *
 * <p>Owned by {@link InferPartition}, which closes it when every record of the batch has been handed out and the
 * consumer asks for the next one, or when the task ends. A record used after that fails with a clear message
 * rather than reading freed memory.
 */
final class OutputImages implements AutoCloseable {
  private final ImageBatch batch;
  private boolean closed;

  /** @param batch the kernel's output (owned from now on: {@link #close()} frees it) */
  OutputImages(ImageBatch batch) {
    this.batch = batch;
  }

  /** The images' shape, {@code [C, H, W]}. */
  int[] chw() {
    return new int[] {batch.channels(), batch.height(), batch.width()};
  }

  /** Floats per image. */
  int imageSize() {
    return batch.imageSize();
  }

  /** The batch, for a writer that copies image by image; {@code id} names the record in the error. */
  ImageBatch batch(String id) {
    if (closed) {
      throw new IllegalStateException("Cannot read output record " + id + ": its batch was released when the "
          + "consumer moved past it (copy a record's data before asking the iterator for the next one)");
    }
    return batch;
  }

  /** Image {@code n} as a new {@code [C][H][W]} array. */
  float[] toArray(int n, String id) {
    float[] out = new float[batch.imageSize()];
    batch(id).readCHW(n, out);
    return out;
  }

  /** Image {@code n} as a new {@code [H][W][C]} array (the batch's own layout: a plain copy). */
  float[] toHwcArray(int n, String id) {
    float[] out = new float[batch.imageSize()];
    batch(id).readHWC(n, out);
    return out;
  }

  /** Copies image {@code n} as {@code [C][H][W]} into {@code dst} at its position (advancing it). */
  void copyTo(int n, FloatBuffer dst, String id) {
    batch(id).readCHW(n, dst);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      batch.close();
    }
  }
}

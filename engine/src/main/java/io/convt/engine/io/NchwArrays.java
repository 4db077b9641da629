package io.convt.engine.io;

import io.convt.engine.arrow.ImageBatch;
import org.apache.arrow.memory.BufferAllocator;

/** NCHW stacks (NumPy / PyTorch order) to and from NHWC Arrow batches. */
public final class NchwArrays {
  private NchwArrays() {}

  /** An {@code [N,C,H,W]} array as a batch of N images (caller closes). */
  public static ImageBatch toBatch(BufferAllocator allocator, NpyArray a) {
    int[] s = a.shape();
    ImageBatch batch = ImageBatch.allocate(allocator, s[0], s[2], s[3], s[1]);
    try {
      int per = s[1] * s[2] * s[3];
      float[] img = new float[per];
      for (int n = 0; n < s[0]; n++) {
        System.arraycopy(a.floats(), n * per, img, 0, per);
        batch.writeCHW(n, img);
      }
      return batch;
    } catch (RuntimeException e) {
      batch.close();
      throw e;
    }
  }

  /** The batch as one {@code [N,C,H,W]} float array. */
  public static float[] fromBatch(ImageBatch batch) {
    int per = batch.imageSize();
    float[] out = new float[batch.count() * per];
    float[] img = new float[per];
    for (int n = 0; n < batch.count(); n++) {
      batch.readCHW(n, img);
      System.arraycopy(img, 0, out, n * per, per);
    }
    return out;
  }
}

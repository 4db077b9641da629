package io.convt.job.infer;

import java.io.Serializable;

/** A unit of input work planned on the driver: an image file, or a slice of records of an {@code .npy} stack. */
public record InputItem(String path, long first, int count) implements Serializable {
  /** One image file. */
  static InputItem image(String path) {
    return new InputItem(path, -1, 1);
  }

  boolean isNpySlice() {
    return first >= 0;
  }
}

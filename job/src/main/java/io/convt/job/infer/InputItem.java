package io.convt.job.infer;

import java.io.Serializable;

/**
 * A unit of input work planned on the driver: an image file ({@code kind = image}), a slice of records of an
 * {@code .npy} stack ({@code npy}, records {@code first .. first+count}), or an Arrow IPC tensor file ({@code arrow}).
 */
public record InputItem(String kind, String path, long first, int count) implements Serializable {
  /** One image file, {@code position} in the sorted listing (its records' {@code index}). */
  static InputItem image(String path, long position) {
    return new InputItem("image", path, position, 1);
  }

  /** One Arrow IPC tensor file. */
  static InputItem arrow(String path) {
    return new InputItem("arrow", path, -1, 1);
  }

  boolean isNpySlice() {
    return kind.equals("npy");
  }
}

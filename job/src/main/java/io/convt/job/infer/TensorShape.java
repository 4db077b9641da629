package io.convt.job.infer;

import java.io.Serializable;

/** The shape of one record, {@code [C, H, W]}. */
public record TensorShape(int channels, int height, int width) implements Serializable {
  /** Floats in one record. */
  public long elements() {
    return (long) channels * height * width;
  }

  @Override
  public String toString() {
    return "[" + channels + "," + height + "," + width + "]";
  }
}

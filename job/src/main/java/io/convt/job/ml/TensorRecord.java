package io.convt.job.ml;

import java.io.Serializable;

/**
 * The tensor part of a row as it goes through {@link ConvTransposeTransformer}'s partitions: input values (C,H,W
 * order) and shape, then the output and its shape. A Spark bean, so the arrays cross between Spark's rows and the
 * kernel as primitive arrays, never one boxed value per element (Spark's generic {@code Row} would box them).
 */
public class TensorRecord implements Serializable {
  private static final long serialVersionUID = 1L;
  private float[] data;
  private int[] shape;
  private float[] output;
  private int[] outputShape;

  public TensorRecord() {}

  public float[] getData() { return data; }

  public void setData(float[] data) { this.data = data; }

  /** {@code [C,H,W]}, or null when the column's fixed shape applies. */
  public int[] getShape() { return shape; }

  public void setShape(int[] shape) { this.shape = shape; }

  public float[] getOutput() { return output; }

  public void setOutput(float[] output) { this.output = output; }

  public int[] getOutputShape() { return outputShape; }

  public void setOutputShape(int[] outputShape) { this.outputShape = outputShape; }
}

package io.convt.job.infer;

import java.io.Serializable;

/**
 * One input image as it enters a partition: its id (path, or file#index), shape {@code [C,H,W]} and float32
 * values in C,H,W order, or the reason it could not be read. A Spark bean: primitive arrays map to Spark arrays
 * without boxing each value.
 */
public class InputRecord implements Serializable {
  private static final long serialVersionUID = 1L;
  private String id;
  private int[] shape;
  private float[] data;
  private String error;
  private String reason;
  private Long index;

  public InputRecord() {}

  public InputRecord(String id, int[] shape, float[] data, String error) {
    this.id = id;
    this.shape = shape;
    this.data = data;
    this.error = error;
  }

  public static InputRecord unreadable(String id, String error) {
    return new InputRecord(id, null, null, error);
  }

  /** A record quarantined before it was read, with its reason code ({@code too_large}, {@code not_a_file}). */
  public static InputRecord refused(String id, String reason, String error) {
    InputRecord r = new InputRecord(id, null, null, error);
    r.reason = reason;
    return r;
  }

  public String getId() { return id; }
  public void setId(String id) { this.id = id; }
  public int[] getShape() { return shape; }
  public void setShape(int[] shape) { this.shape = shape; }
  public float[] getData() { return data; }
  public void setData(float[] data) { this.data = data; }
  /** Why the record could not be read, or null. */
  public String getError() { return error; }
  public void setError(String error) { this.error = error; }
  /** The quarantine reason when {@link #getError()} is set: null means {@code unreadable}. */
  public String getReason() { return reason; }
  public void setReason(String reason) { this.reason = reason; }

  /** The record's position in the job's input (see {@link RecordIndexes}), or null until it is numbered. */
  public Long getIndex() { return index; }
  public void setIndex(Long index) { this.index = index; }

  InputRecord withIndex(long i) {
    this.index = i;
    return this;
  }
}

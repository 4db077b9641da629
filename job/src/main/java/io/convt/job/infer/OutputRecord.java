package io.convt.job.infer;

import java.io.Serializable;

/**
 * One record's fate: {@code status} "ok" with the output {@code shape [C,H,W]} and {@code data} (C,H,W float32),
 * or "quarantined" with a {@code reason} code ({@code unreadable}, {@code channels}, {@code non_finite},
 * {@code shape}) and a human-readable {@code detail}. Every input record yields exactly one output record.
 */
public class OutputRecord implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final String OK = "ok";
  public static final String QUARANTINED = "quarantined";

  private String id;
  private String status;
  private String reason;
  private String detail;
  private int[] shape;
  private float[] data;

  public OutputRecord() {}

  static OutputRecord ok(String id, int[] shape, float[] data) {
    OutputRecord r = new OutputRecord();
    r.id = id;
    r.status = OK;
    r.shape = shape;
    r.data = data;
    return r;
  }

  static OutputRecord quarantined(String id, String reason, String detail) {
    OutputRecord r = new OutputRecord();
    r.id = id;
    r.status = QUARANTINED;
    r.reason = reason;
    r.detail = detail;
    return r;
  }

  public String getId() { return id; }
  public void setId(String id) { this.id = id; }
  public String getStatus() { return status; }
  public void setStatus(String status) { this.status = status; }
  public String getReason() { return reason; }
  public void setReason(String reason) { this.reason = reason; }
  public String getDetail() { return detail; }
  public void setDetail(String detail) { this.detail = detail; }
  public int[] getShape() { return shape; }
  public void setShape(int[] shape) { this.shape = shape; }
  public float[] getData() { return data; }
  public void setData(float[] data) { this.data = data; }
}

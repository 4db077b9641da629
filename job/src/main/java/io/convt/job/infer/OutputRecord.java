package io.convt.job.infer;

import io.convt.engine.io.TensorIpcWriter;
import io.convt.engine.io.ImageCodec;
import java.io.IOException;
import java.io.Serializable;
import java.nio.FloatBuffer;

/**
 * One record's fate: {@code status} "ok" with the output {@code shape [C,H,W]} and {@code data} (C,H,W float32),
 * or "quarantined" with a {@code reason} code ({@code unreadable}, {@code channels}, {@code non_finite},
 * {@code shape}) and a human-readable {@code detail}. Every input record yields exactly one output record.
 *
 * <p>A good record from the kernel holds no array: its data is image {@code index} of an {@link OutputImages}
 * batch, which writers copy straight into their buffers ({@link #copyDataTo}, {@link #appendTo}) and which lives
 * until the consumer moves past the batch's last record. {@link #getData()} copies it out; serializing the record
 * copies it too, so a record never travels without its data.
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
  private transient OutputImages images;
  private transient int index;
  /** The input record's position in the job's input: the {@code index} output column. */
  private long recordIndex;

  public OutputRecord() {}

  static OutputRecord ok(String id, int[] shape, float[] data) {
    OutputRecord r = new OutputRecord();
    r.id = id;
    r.status = OK;
    r.shape = shape;
    r.data = data;
    return r;
  }

  /** A good record whose data is image {@code index} of {@code images} (read when written, not copied here). */
  static OutputRecord ok(String id, OutputImages images, int index) {
    OutputRecord r = ok(id, images.chw(), null);
    r.images = images;
    r.index = index;
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
  public long getRecordIndex() { return recordIndex; }
  public void setRecordIndex(long recordIndex) { this.recordIndex = recordIndex; }

  OutputRecord withRecordIndex(Long i) {
    this.recordIndex = i == null ? -1 : i;
    return this;
  }

  public int[] getShape() { return shape; }
  public void setShape(int[] shape) { this.shape = shape; }
  /** The data as {@code [C][H][W]} floats: a new copy when the record is a view of a kernel output batch. */
  public float[] getData() {
    return images != null ? images.toArray(index, id) : data;
  }

  public void setData(float[] data) {
    this.data = data;
    this.images = null;
  }

  /**
   * The data as {@code [H][W][C]} floats (for image encoders): read straight from the kernel's batch, which is
   * HWC, when the record is a view of it; the array transposed otherwise.
   */
  float[] getDataHwc() {
    if (images != null) {
      return images.toHwcArray(index, id);
    }
    return data == null ? null : ImageCodec.chwToHwc(data, shape[0], shape[1], shape[2]);
  }

  /** Number of floats in the data, or -1 when there is none (a quarantined record, a null list). */
  int dataLength() {
    return images != null ? images.imageSize() : data == null ? -1 : data.length;
  }

  /** Copies the data into {@code dst} at its position, advancing it by {@link #dataLength()}; none when null. */
  void copyDataTo(FloatBuffer dst) {
    if (images != null) {
      images.copyTo(index, dst, id);
    } else if (data != null) {
      dst.put(data);
    }
  }

  /** Appends the record to an Arrow IPC file: from the kernel's batch when it is a view, else from the array. */
  void appendTo(TensorIpcWriter out) throws IOException {
    if (images != null) {
      out.add(id, recordIndex, images.batch(id), index);
    } else {
      out.add(id, recordIndex, data);
    }
  }

  /** Serialization (Spark may ship a record): a view is written with its data copied out, never without it. */
  private Object writeReplace() {
    return images == null ? this : ok(id, shape, getData()).withRecordIndex(recordIndex);
  }
}

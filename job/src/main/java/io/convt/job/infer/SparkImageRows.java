package io.convt.job.infer;

import io.convt.engine.io.ImageCodec;
import java.util.Iterator;
import org.apache.spark.sql.Row;

/**
 * Rows of Spark's {@code image} data source (origin, height, width, nChannels, mode, data) as input records. Invalid
 * rows (a file the data source could not decode: height -1) and OpenCV modes other than 8-bit CV_8UC1/3/4 become
 * unreadable records with the reason, so they reach the quarantine instead of being dropped.
 */
final class SparkImageRows implements Iterator<InputRecord> {
  /** OpenCV type codes of 8-bit 1, 3 and 4 channel images, the only ones Spark's image source produces. */
  private static final int CV_8UC1 = 0;
  private static final int CV_8UC3 = 16;
  private static final int CV_8UC4 = 24;

  private final Iterator<Row> rows;
  private final InferSettings settings;

  SparkImageRows(Iterator<Row> rows, InferSettings settings) {
    this.rows = rows;
    this.settings = settings;
  }

  @Override
  public boolean hasNext() {
    return rows.hasNext();
  }

  @Override
  public InputRecord next() {
    Row r = rows.next();
    String origin = RecordIds.canonical(r.getString(0)); // Spark says file:///, the job's listing file:/
    int height = r.getInt(1);
    int width = r.getInt(2);
    int channels = r.getInt(3);
    int mode = r.getInt(4);
    if (height < 0 || width < 0 || channels < 0) {
      return InputRecord.unreadable(origin, "not a decodable image (Spark image data source)");
    }
    if (mode != CV_8UC1 && mode != CV_8UC3 && mode != CV_8UC4) {
      return InputRecord.unreadable(origin, "unsupported OpenCV image mode " + mode + " (expected 8-bit 1, 3 or 4 channels)");
    }
    try {
      ImageCodec.Image img = ImageCodec.fromInterleavedBgr((byte[]) r.get(5), height, width, channels, origin,
          settings.scaling(), settings.bgr());
      return new InputRecord(origin, new int[] {img.channels(), img.height(), img.width()}, img.chw(), null);
    } catch (RuntimeException e) {
      return InputRecord.unreadable(origin, e.getMessage());
    }
  }
}

package io.convt.job.infer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.PageWriter;
import org.apache.parquet.column.statistics.SizeStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.column.statistics.geospatial.GeospatialStatistics;
import org.apache.parquet.column.values.ValuesWriter;

/**
 * The {@code data} column ({@code list<float>}, path {@code data.list.element}, max repetition 1, max definition 2)
 * of one row group, written page by page straight into Parquet's page writer, when the column has neither a
 * dictionary nor min/max statistics (the defaults, {@link #applies}).
 *
 * <p>Why: Parquet's {@code ColumnWriter} takes one float at a time ({@code write(value, r, d)}): per float it
 * updates the statistics and size-statistics collectors, writes a repetition and a definition level, and the PLAIN
 * writer emits the float's four bytes one at a time. That was 44 % of the executor's time with Parquet output.
 * PLAIN float encoding is the values' little-endian bytes back to back, so a record's values go into the page as
 * one bulk copy; the levels still go through Parquet's own RLE/bit-packing level writers
 * ({@link ParquetProperties#newRepetitionLevelWriter}, whose per-value call is a compare and an increment inside a
 * run), and the pages, their headers, compression, offset index and column-chunk metadata are Parquet's
 * ({@link PageWriter#writePage}). The file is what Parquet's column writer writes for these options: V1 data pages
 * with RLE levels and PLAIN values, empty statistics and hence no column index, an offset index, and the same level
 * histograms ({@link SizeStatistics}) when Parquet keeps them; only where pages are cut may differ.
 *
 * <p>Pages hold whole records (the offset index counts rows per page, and Parquet's writer also cuts only between
 * records): a page is written before a record that would take it past {@code props.getPageSizeThreshold()}, or once
 * it holds Parquet's page row or value count limit, so a page is at most one threshold unless one record alone is
 * larger. No arithmetic on the floats here: they are copied, as the house rule for the job asks.
 */
final class ParquetDataPages implements AutoCloseable {
  // definition levels of an optional list of required elements: 0 = null list, 1 = empty list, 2 = an element
  private static final int NULL_LIST = 0;
  private static final int EMPTY_LIST = 1;
  private static final int ELEMENT = 2;

  private final ColumnDescriptor column;
  private final PageWriter pages;
  private final ParquetProperties props;
  private final ValuesWriter repetition;
  private final ValuesWriter definition;
  private final boolean sizeStatistics;
  private ByteBuffer values;
  // the page being built: level entries (values and null/empty lists, as Parquet's value count), records, and the
  // level histograms Parquet's size statistics keep (counts of entries, never of float values)
  private int valueCount;
  private int rowCount;
  private long nullLists;
  private long emptyLists;
  private long elements;

  /**
   * Whether the {@code data} column takes this path: no dictionary and no statistics asked for it (the defaults).
   * With either, Parquet's own column writer is used, because both need every float.
   */
  static boolean applies(ParquetOptions options) {
    return !options.dataDictionary() && !options.dataStatistics();
  }

  /**
   * @param column the {@code data.list.element} descriptor of the file's schema
   * @param pages the row group's page writer for {@code column} (borrowed: the row group's page store owns it)
   * @param props the file's properties (page size threshold, row and value limits, level writers, allocator)
   */
  ParquetDataPages(ColumnDescriptor column, PageWriter pages, ParquetProperties props) {
    if (column.getMaxRepetitionLevel() != 1 || column.getMaxDefinitionLevel() != ELEMENT) {
      throw new IllegalArgumentException("Cannot write " + column + " as a list<float> column: max repetition "
          + column.getMaxRepetitionLevel() + ", max definition " + column.getMaxDefinitionLevel() + " (want 1, 2)");
    }
    this.column = column;
    this.pages = pages;
    this.props = props;
    this.repetition = props.newRepetitionLevelWriter(column);
    this.definition = props.newDefinitionLevelWriter(column);
    this.sizeStatistics = props.getSizeStatisticsEnabled(column);
    this.values = ByteBuffer.allocate(props.getPageSizeThreshold()).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Adds one record's list: {@code null} is a null list, an empty array an empty list. */
  void add(float[] data) throws IOException {
    int n = data == null ? 0 : data.length;
    long bytes = 4L * n;
    if (rowCount > 0 && pageBufferedSize() + bytes > props.getPageSizeThreshold()) {
      writePage();
    }
    if (n == 0) {
      repetition.writeInteger(0);
      definition.writeInteger(data == null ? NULL_LIST : EMPTY_LIST);
      valueCount++;
      if (data == null) {
        nullLists++;
      } else {
        emptyLists++;
      }
    } else {
      if (bytes > Integer.MAX_VALUE - 64 - values.position() || valueCount + (long) n > Integer.MAX_VALUE) {
        throw new IOException("Cannot write a Parquet page for " + column + ": a record of " + n
            + " floats does not fit in one page");
      }
      ensureRoom((int) bytes);
      // PLAIN float encoding: the little-endian bytes of each value, back to back (a bulk copy)
      values.asFloatBuffer().put(data);
      values.position(values.position() + (int) bytes);
      // Parquet's level writers: repetition 0 starts the record's list, 1 continues it; definition 2 = an element
      repetition.writeInteger(0);
      for (int i = 1; i < n; i++) {
        repetition.writeInteger(1);
      }
      for (int i = 0; i < n; i++) {
        definition.writeInteger(ELEMENT);
      }
      valueCount += n;
      elements += n;
    }
    rowCount++;
    if (rowCount >= props.getPageRowCountLimit() || valueCount >= props.getPageValueCountThreshold()) {
      writePage();
    }
  }

  /** Bytes buffered for the row-group size check: the page being built plus the pages already written. */
  long bufferedSize() {
    return pageBufferedSize() + pages.getMemSize();
  }

  private long pageBufferedSize() {
    return repetition.getBufferedSize() + definition.getBufferedSize() + values.position();
  }

  /** Writes the page being built, if any; call before the row group's page store is flushed to the file. */
  void flush() throws IOException {
    if (rowCount > 0) {
      writePage();
    }
  }

  private void ensureRoom(int bytes) {
    if (values.remaining() < bytes) {
      long want = Math.max((long) values.capacity() * 2, (long) values.position() + bytes);
      ByteBuffer grown = ByteBuffer.allocate((int) Math.min(want, Integer.MAX_VALUE - 8)).order(ByteOrder.LITTLE_ENDIAN);
      values.flip();
      grown.put(values);
      values = grown;
    }
  }

  private void writePage() throws IOException {
    // a V1 data page is the repetition levels, the definition levels (each with its length, as the level writers
    // give them) and the values; the page writer compresses it, writes its header and records it in the offset index
    BytesInput page = BytesInput.concat(repetition.getBytes(), definition.getBytes(),
        BytesInput.from(values.array(), 0, values.position()));
    pages.writePage(page, valueCount, rowCount, Statistics.noopStats(column.getPrimitiveType()), pageSizeStatistics(),
        GeospatialStatistics.noopBuilder().build(), repetition.getEncoding(), definition.getEncoding(), Encoding.PLAIN);
    // the page writer copied the bytes (compressed or not) into its own buffer, so ours are reused
    repetition.reset();
    definition.reset();
    values.clear();
    valueCount = 0;
    rowCount = 0;
    nullLists = 0;
    emptyLists = 0;
    elements = 0;
  }

  /**
   * The page's level histograms as Parquet's size-statistics builder counts them (one entry per level written:
   * repetition 0 once per record, 1 for every further element; definition 0, 1, 2 for null list, empty list,
   * element), or Parquet's no-op statistics when size statistics are off for the column.
   */
  private SizeStatistics pageSizeStatistics() {
    if (!sizeStatistics) {
      return SizeStatistics.noopBuilder(column.getPrimitiveType(), 1, ELEMENT).build();
    }
    long records = rowCount;
    return new SizeStatistics(column.getPrimitiveType(), 0,
        List.of(records, valueCount - records), List.of(nullLists, emptyLists, elements));
  }

  /** Releases the level writers' buffers (the page store releases the written pages). */
  @Override
  public void close() {
    repetition.close();
    definition.close();
  }
}

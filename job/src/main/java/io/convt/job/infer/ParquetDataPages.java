package io.convt.job.infer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.statistics.SizeStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputCompressor;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * The {@code data} column ({@code list<float>}, path {@code data.list.element}, max repetition 1, max definition 2)
 * of one file, built page by page and written as each row group's column chunk through Parquet's file writer, when
 * the column has neither a dictionary nor min/max statistics (the defaults, {@link #applies}).
 *
 * <p>Why: Parquet's {@code ColumnWriter} takes one float at a time ({@code write(value, r, d)}): per float it
 * updates the statistics and size-statistics collectors, writes a repetition and a definition level, and the PLAIN
 * writer emits the float's four bytes one at a time: the largest part of the executor's profile with Parquet output.
 * PLAIN float encoding is the values' little-endian bytes back to back, so a record's values go into the page as
 * one bulk copy. The levels are encoded by Parquet's own RLE/bit-packing level writers
 * ({@link ParquetProperties#newRepetitionLevelWriter}) from the records' list lengths when the page is written, and
 * reused for later pages with the same lengths (with one output shape, nearly every page). Compression is Parquet's
 * codec; page headers, page checksums, the offset index and the column-chunk metadata are written by Parquet's
 * {@link ParquetFileWriter#writeDataPage} when the row group is written ({@link #writeChunk}). The file is what
 * Parquet's column writer writes for these options: V1 data pages with RLE levels and PLAIN values,
 * empty statistics and hence no column index, an offset index, and the same level histograms
 * ({@link SizeStatistics}) when Parquet keeps them; only where pages (and so row groups) are cut may differ.
 *
 * <p>Pages hold whole records (the offset index counts rows per page, and Parquet's writer also cuts only between
 * records): a page is written before a record that would take it past {@code props.getPageSizeThreshold()}, or once
 * it holds Parquet's page row or value count limit, so a page is at most one threshold unless one record alone is
 * larger. No arithmetic on the floats here: they are copied, as the house rule for the job asks.
 *
 * <p>Why the row group's pages are kept here rather than in Parquet's page store ({@code ColumnChunkPageWriteStore}):
 * the store copies each page into a buffer of its own, copies it again into a new page-sized array to compute its
 * checksum ({@code BytesInput.toByteArray}: a 2 MB humongous array per 2 MB record), and writes it out 8 KB at a
 * time. Here a finished page is copied once, into one array reused by every row group of the file; the file writer
 * computes its CRC through one buffer it reuses (no new array per page) and writes it from there in one piece.
 */
final class ParquetDataPages implements AutoCloseable {
  // definition levels of an optional list of required elements: 0 = null list, 1 = empty list, 2 = an element
  private static final int NULL_LIST = 0;
  private static final int EMPTY_LIST = 1;
  private static final int ELEMENT = 2;
  private static final int NULL_LENGTH = -1;

  private final ColumnDescriptor column;
  private final ParquetProperties props;
  private final BytesInputCompressor compressor;
  private final ValuesWriter repetition;
  private final ValuesWriter definition;
  private final boolean sizeStatistics;
  private ByteBuffer values;
  // the row group's finished pages (compressed as the file asks), back to back in one array kept for the whole file
  private final ChunkBytes chunk = new ChunkBytes();
  private final List<Page> written = new ArrayList<>();
  // the page being built: each record's list length (NULL_LENGTH for a null list), the level entries (values and
  // null/empty lists, Parquet's value count), and the level histograms Parquet's size statistics keep
  private int[] lengths = new int[64];
  private int rowCount;
  private int valueCount;
  private long nullLists;
  private long emptyLists;
  private long elements;
  // The levels of a page depend only on its records' list lengths, and with one output shape every full page has
  // the same lengths, and so has every row group's last page: the encoded levels of the last full page (slot 0)
  // and of the last row-group-end page (slot 1) are kept and reused for a page with the same lengths, instead of
  // feeding Parquet's level writers two calls per float again (a visible share of the executor's profile).
  private final int[][] cachedLengths = {new int[0], new int[0]};
  private final byte[][] cachedLevels = new byte[2][];
  private int levelEncodings;

  /**
   * Whether the {@code data} column takes this path: no dictionary and no statistics asked for it (the defaults).
   * With either, Parquet's own column writer is used, because both need every float.
   */
  static boolean applies(ParquetOptions options) {
    return !options.dataDictionary() && !options.dataStatistics();
  }

  /**
   * @param column the {@code data.list.element} descriptor of the file's schema
   * @param props the file's properties (page size threshold, row and value limits, level writers)
   * @param compressor the file's codec for this column (borrowed: its codec factory releases it)
   */
  ParquetDataPages(ColumnDescriptor column, ParquetProperties props, BytesInputCompressor compressor) {
    if (column.getMaxRepetitionLevel() != 1 || column.getMaxDefinitionLevel() != ELEMENT) {
      throw new IllegalArgumentException("Cannot write " + column + " as a list<float> column: max repetition "
          + column.getMaxRepetitionLevel() + ", max definition " + column.getMaxDefinitionLevel() + " (want 1, 2)");
    }
    this.column = column;
    this.props = props;
    this.compressor = compressor;
    this.repetition = props.newRepetitionLevelWriter(column);
    this.definition = props.newDefinitionLevelWriter(column);
    this.sizeStatistics = props.getSizeStatisticsEnabled(column);
    this.values = ByteBuffer.allocate(props.getPageSizeThreshold()).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Adds one record's {@code data} list: a record without data is a null list, one with an empty array an empty
   * list. The floats are copied straight from the record's source (the kernel's output batch, or its array).
   */
  void add(OutputRecord record) throws IOException {
    int length = record.dataLength();
    int n = Math.max(length, 0);
    long bytes = 4L * n;
    if (rowCount > 0 && pageBufferedSize() + bytes + n / 2 > props.getPageSizeThreshold()) {
      writePage(true);
    }
    if (n > 0) {
      if (bytes > Integer.MAX_VALUE - 64 - values.position() || valueCount + (long) n > Integer.MAX_VALUE) {
        throw new IOException("Cannot write a Parquet page for " + column + ": a record of " + n
            + " floats does not fit in one page");
      }
      ensureRoom((int) bytes);
      // PLAIN float encoding: the little-endian bytes of each value, back to back (a bulk copy)
      record.copyDataTo(values.asFloatBuffer());
      values.position(values.position() + (int) bytes);
      elements += n;
    } else if (length < 0) {
      nullLists++;
    } else {
      emptyLists++;
    }
    if (rowCount == lengths.length) {
      lengths = Arrays.copyOf(lengths, 2 * rowCount);
    }
    lengths[rowCount++] = length < 0 ? NULL_LENGTH : n;
    valueCount += Math.max(n, 1); // a null or empty list is one level entry without a value
    if (rowCount >= props.getPageRowCountLimit() || valueCount >= props.getPageValueCountThreshold()) {
      writePage(true);
    }
  }

  /** Bytes buffered for the row-group size check: the page being built plus the row group's finished pages. */
  long bufferedSize() {
    return pageBufferedSize() + chunk.size();
  }

  /**
   * The page's size for cutting pages and row groups. Levels are encoded only when the page is written, so they are
   * counted at half a byte per entry: bit-packed levels take at most 3 bits per entry here (1 for repetition, 2 for
   * definition), run-length encoded ones far less.
   */
  private long pageBufferedSize() {
    return values.position() + valueCount / 2;
  }

  /**
   * Ends the row group: finishes the page being built and writes the row group's {@code data} column chunk to
   * {@code out}, whose row group has its earlier columns ({@code id}, {@code shape}) written already. Parquet's file
   * writer writes each page's header (with the page's CRC-32 when the file's properties ask for it, as by default)
   * and records it in the offset index and the chunk's metadata.
   */
  void writeChunk(ParquetFileWriter out, CompressionCodecName codec) throws IOException {
    if (rowCount > 0) {
      writePage(false);
    }
    long chunkValues = 0;
    for (Page p : written) {
      chunkValues += p.valueCount;
    }
    out.startColumn(column, chunkValues, codec);
    for (Page p : written) {
      out.writeDataPage(p.valueCount, p.uncompressedSize, BytesInput.from(chunk.array(), p.offset, p.length),
          Statistics.noopStats(column.getPrimitiveType()), p.rowCount, repetition.getEncoding(),
          definition.getEncoding(), Encoding.PLAIN, null, null, p.sizeStatistics);
    }
    out.endColumn();
    written.clear();
    chunk.reset();
  }

  private void ensureRoom(int bytes) {
    if (values.remaining() < bytes) {
      long want = Math.max((long) values.capacity() * 2, (long) values.position() + bytes);
      ByteBuffer grown = ByteBuffer.allocate((int) Math.min(want, Integer.MAX_VALUE - 8))
          .order(ByteOrder.LITTLE_ENDIAN);
      values.flip();
      grown.put(values);
      values = grown;
    }
  }

  /**
   * Finishes the page being built into the row group's chunk bytes; {@code full} when it was cut for its size or
   * count (not at a row group's end).
   */
  private void writePage(boolean full) throws IOException {
    // a V1 data page is the repetition levels, the definition levels (each with its length, as the level writers
    // give them) and the values, compressed whole by the column's codec (uncompressed: the same bytes)
    BytesInput page = BytesInput.concat(BytesInput.from(levels(full)),
        BytesInput.from(values.array(), 0, values.position()));
    long uncompressed = page.size();
    int offset = chunk.size();
    compressor.compress(page).writeAllTo(chunk);
    written.add(new Page(offset, chunk.size() - offset, toInt(uncompressed), valueCount, rowCount,
        pageSizeStatistics()));
    // the page's bytes are in the chunk now, so ours are reused
    values.clear();
    valueCount = 0;
    rowCount = 0;
    nullLists = 0;
    emptyLists = 0;
    elements = 0;
  }

  /**
   * The page's repetition and definition levels, encoded by Parquet's level writers from the records' list lengths
   * (repetition 0 starts a record's list, 1 continues it; definition 2 for an element, 0 or 1 for a null or empty
   * list), or the cached bytes of the last full or row-group-end page with the same lengths.
   */
  private byte[] levels(boolean full) throws IOException {
    for (int slot = 0; slot < 2; slot++) {
      if (cachedLevels[slot] != null
          && Arrays.equals(lengths, 0, rowCount, cachedLengths[slot], 0, cachedLengths[slot].length)) {
        return cachedLevels[slot];
      }
    }
    for (int r = 0; r < rowCount; r++) {
      int n = lengths[r];
      repetition.writeInteger(0);
      if (n <= 0) {
        definition.writeInteger(n == NULL_LENGTH ? NULL_LIST : EMPTY_LIST);
        continue;
      }
      definition.writeInteger(ELEMENT);
      for (int i = 1; i < n; i++) {
        repetition.writeInteger(1);
        definition.writeInteger(ELEMENT);
      }
    }
    byte[] levels = BytesInput.concat(repetition.getBytes(), definition.getBytes()).toByteArray();
    levelEncodings++;
    repetition.reset();
    definition.reset();
    int slot = full ? 0 : 1;
    cachedLengths[slot] = Arrays.copyOf(lengths, rowCount);
    cachedLevels[slot] = levels;
    return levels;
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

  private int toInt(long size) throws IOException {
    if (size > Integer.MAX_VALUE) {
      throw new IOException("Cannot write a Parquet page of " + size + " bytes for " + column);
    }
    return (int) size;
  }

  /** One finished page of the row group: where its (compressed) bytes are in the chunk, and what Parquet records. */
  private record Page(int offset, int length, int uncompressedSize, int valueCount, int rowCount,
      SizeStatistics sizeStatistics) {}

  /**
   * The row group's finished pages back to back in one growing array, kept for the file: with one output shape
   * every row group needs about the same room, so it grows during the first row group only. A byte-array stream
   * whose array is read in place (no copy out).
   */
  private static final class ChunkBytes extends ByteArrayOutputStream {
    ChunkBytes() {
      super(1 << 20);
    }

    /** The array holding the {@link #size()} bytes written since the last {@link #reset()}. */
    byte[] array() {
      return buf;
    }
  }

  /** How many pages had their levels encoded (the others reused an earlier page's bytes); for tests. */
  int levelEncodings() {
    return levelEncodings;
  }

  /** Releases the level writers' buffers at the end of the file. */
  @Override
  public void close() {
    repetition.close();
    definition.close();
  }
}

package io.convt.job.infer;

import io.convt.job.storage.TaskAttempt;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.values.factory.DefaultV1ValuesWriterFactory;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * {@code output.format=parquet}: each partition writes one Parquet file {@code part-PPPPP.parquet} into the
 * staging directory, with exactly the schema Spark's own writer gives these rows ({@code id} string,
 * {@code shape} {@code list<int32>}, {@code data} {@code list<float>}, 3-level lists) and Spark's schema footer
 * (which carries the {@code arrow.fixed_shape_tensor} column metadata), so any Parquet reader, Spark and this job's
 * Parquet input read it as they read Spark's output.
 *
 * <p>Why not {@code Dataset.write().parquet()}: Spark's {@code ParquetWriteSupport} walks every float of a
 * {@code list<float>} through a record consumer (group, field, value, field end, group end, with a closure per
 * call), which makes Parquet output far slower than the engine. Here {@code id} and {@code shape} go straight into
 * Parquet's column writers ({@code ColumnWriter.write(value, repetition, definition)}), and so does {@code data}
 * when a dictionary or statistics are asked for it; by default {@code data} is built page by page and written
 * through Parquet's file writer by {@link ParquetDataPages} (one bulk copy of a record's floats instead of a
 * column-writer call per float). Encodings, page headers, compression, indexes and the footer are Parquet's. Only
 * the row-group boundary is decided here, as {@code ParquetWriter} does it: when the buffered size reaches
 * {@code parquet.row-group-mb}.
 *
 * <p>The file is named after the task attempt ({@link TaskAttempt}: {@code part-PPPPP-aT.parquet}); the driver keeps
 * one attempt per partition at commit. An empty
 * partition writes no file, except partition 0, so that an all-quarantined output still has a readable schema
 * (as Spark does for an empty job).
 */
final class ParquetPartWriter {
  /** The schema Spark's {@code ParquetWriteSupport} writes for {@code (string, long not null, array<int>,
   * array<float>)}. */
  static final MessageType SCHEMA = Types.buildMessage()
      .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("id")
      .required(PrimitiveTypeName.INT64).named("index")
      .optionalList().requiredElement(PrimitiveTypeName.INT32).named("shape")
      .optionalList().requiredElement(PrimitiveTypeName.FLOAT).named("data")
      .named("spark_schema");
  /** Spark's footer key for its own schema (with column metadata); Spark restores the metadata from it. */
  static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";
  private static final String[] DATA_PATH = {"data", "list", "element"};
  /** {@link #SCHEMA} without {@code data}: the columns Parquet's column writers take when data goes by pages. */
  private static final MessageType ID_AND_SHAPE = new MessageType(SCHEMA.getName(), SCHEMA.getType("id"),
      SCHEMA.getType("index"), SCHEMA.getType("shape"));
  // a list value present: definition level 2 (optional list, repeated group, required element); 1 = empty list
  private static final int ELEMENT = 2;
  private static final int EMPTY_LIST = 1;
  /** Row-group padding to the HDFS block ({@code parquet.writer.max-padding}), as Spark sets it. */
  private static final int MAX_PADDING = 8 << 20;

  private ParquetPartWriter() {}

  /**
   * Writes {@code rows} (the task's good records) as one Parquet file in {@code dir}.
   *
   * @param sparkSchema Spark's schema of the rows as JSON, stored in the footer under {@link #SPARK_SCHEMA_KEY} (with
   *     the {@code data} column's shape set to the file's when its records have one, {@link TensorColumnMetadata})
   * @param crcFiles write through Hadoop's file system even on a local path (with its {@code .crc} side files),
   *     see {@link PartFiles}
   * @param conf the driver's Hadoop configuration (broadcast), for the file system and the codecs
   */
  static void write(Iterator<OutputRecord> rows, String dir, ParquetOptions options, String sparkSchema,
      boolean crcFiles, Configuration conf) throws IOException {
    write(rows, dir, options, sparkSchema, crcFiles, ParquetDataPages.applies(options), conf);
  }

  /**
   * As {@link #write(Iterator, String, ParquetOptions, String, boolean, Configuration)}, choosing the {@code data} column's path:
   * {@code dataPages} writes it with {@link ParquetDataPages} (only valid when {@link ParquetDataPages#applies}),
   * otherwise with Parquet's column writer. Tests write the same rows both ways.
   *
   * @return how many {@code data} pages had their levels encoded rather than reused (0 with the column writer)
   */
  static int write(Iterator<OutputRecord> rows, String dir, ParquetOptions options, String sparkSchema,
      boolean crcFiles, boolean dataPages, Configuration conf) throws IOException {
    if (dataPages && !ParquetDataPages.applies(options)) {
      throw new IllegalArgumentException("Cannot write the data column page by page: dictionary or statistics asked "
          + "for (" + options + ")");
    }
    TaskAttempt attempt = TaskAttempt.current();
    if (!rows.hasNext() && attempt.partition() != 0) {
      return 0;
    }
    ParquetProperties props = ParquetProperties.builder()
        // a row group's page buffers are reused by the next one (one file, one thread): see RecyclingBuffers
        .withAllocator(new RecyclingBuffers(2L * options.rowGroupBytes() + MAX_PADDING))
        // Parquet's default values-writer factory delegates to one static V1 factory that keeps the properties it
        // was last initialised with, so concurrent tasks would create values writers with each other's allocator:
        // a V1 factory (the writer version these properties have) of the file's own
        .withValuesWriterFactory(new DefaultV1ValuesWriterFactory())
        .withDictionaryEncoding(String.join(".", DATA_PATH), options.dataDictionary())
        .withStatisticsEnabled(String.join(".", DATA_PATH), options.dataStatistics())
        .build();
    Path file = new Path(dir, attempt.fileStem() + ".parquet");
    CodecFactory codecs = new CodecFactory(conf, props.getPageSizeThreshold());
    // one for the file, so that its page buffer and its encoded levels carry over from row group to row group
    ParquetDataPages data = dataPages ? new ParquetDataPages(SCHEMA.getColumnDescription(DATA_PATH), props,
        codecs.getCompressor(options.codecName())) : null;
    try (ParquetFileWriter out = new ParquetFileWriter(PartFiles.parquetFile(file, conf, crcFiles), SCHEMA,
        ParquetFileWriter.Mode.OVERWRITE, options.rowGroupBytes(), MAX_PADDING, null, props)) {
      out.start();
      RowGroup group = null;
      TensorColumnMetadata.FileShape shapes = new TensorColumnMetadata.FileShape();
      while (rows.hasNext()) {
        if (group == null) {
          group = new RowGroup(codecs, options, props, data);
        }
        OutputRecord r = rows.next();
        shapes.see(r.getShape());
        group.add(r);
        if (group.bufferedSize() >= options.rowGroupBytes()) {
          group.flushTo(out);
          group = null;
        }
      }
      if (group != null) {
        group.flushTo(out);
      }
      out.end(Map.of(SPARK_SCHEMA_KEY, TensorColumnMetadata.forFile(sparkSchema, shapes.single())));
      return data == null ? 0 : data.levelEncodings();
    } finally {
      if (data != null) {
        data.close();
      }
      codecs.release();
    }
  }

  /**
   * One row group being buffered: Parquet's page store for the three columns, Parquet's column writers for
   * {@code id} and {@code shape}, and for {@code data} either {@link ParquetDataPages} or a column writer.
   */
  private static final class RowGroup {
    final ColumnChunkPageWriteStore pages;
    final ColumnWriteStore store;
    final ColumnWriter id;
    final ColumnWriter index;
    final ColumnWriter shape;
    final ColumnWriter data;
    final ParquetDataPages dataPages;
    final CompressionCodecName codec;
    long rows;

    RowGroup(CodecFactory codecs, ParquetOptions options, ParquetProperties props, ParquetDataPages dataPages) {
      boolean direct = dataPages != null;
      // With the data column written page by page, Parquet's stores hold only id and shape (a column writer for
      // data would cut empty data pages), and the data chunk is written after them, in the file's column order.
      MessageType stored = direct ? ID_AND_SHAPE : SCHEMA;
      pages = new ColumnChunkPageWriteStore(codecs.getCompressor(options.codecName()), stored, props.getAllocator(),
          props.getColumnIndexTruncateLength(), props.getPageWriteChecksumEnabled());
      store = props.newColumnWriteStore(stored, pages);
      id = store.getColumnWriter(column("id"));
      index = store.getColumnWriter(column("index"));
      shape = store.getColumnWriter(column("shape", "list", "element"));
      data = direct ? null : store.getColumnWriter(column(DATA_PATH));
      this.dataPages = dataPages;
      this.codec = options.codecName();
    }

    private static ColumnDescriptor column(String... path) {
      return SCHEMA.getColumnDescription(path);
    }

    void add(OutputRecord r) throws IOException {
      if (r.getId() == null) {
        id.writeNull(0, 0);
      } else {
        id.write(Binary.fromString(r.getId()), 0, 1);
      }
      index.write(r.getRecordIndex(), 0, 0);
      int[] s = r.getShape();
      if (s == null || s.length == 0) {
        shape.writeNull(0, s == null ? 0 : EMPTY_LIST);
      } else {
        shape.write(s[0], 0, ELEMENT);
        for (int i = 1; i < s.length; i++) {
          shape.write(s[i], 1, ELEMENT);
        }
      }
      if (dataPages != null) {
        dataPages.add(r); // straight from the kernel's output batch when the record is a view of it
      } else {
        writeData(r.getData());
      }
      store.endRecord();
      rows++;
    }

    /**
     * Every float through Parquet's column writer (repetition 0 starts the list, 1 continues it), which updates
     * the dictionary or statistics asked for: a copy into Parquet's encoder, no arithmetic.
     */
    private void writeData(float[] d) {
      if (d == null || d.length == 0) {
        data.writeNull(0, d == null ? 0 : EMPTY_LIST);
        return;
      }
      data.write(d[0], 0, ELEMENT);
      for (int i = 1; i < d.length; i++) {
        data.write(d[i], 1, ELEMENT);
      }
    }

    long bufferedSize() {
      return store.getBufferedSize() + (dataPages == null ? 0 : dataPages.bufferedSize());
    }

    void flushTo(ParquetFileWriter out) throws IOException {
      out.startBlock(rows);
      store.flush();
      pages.flushToFileWriter(out);
      if (dataPages != null) {
        dataPages.writeChunk(out, codec);
      }
      out.endBlock();
      store.close();
      pages.close();
    }
  }
}

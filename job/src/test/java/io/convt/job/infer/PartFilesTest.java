package io.convt.job.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.spark.sql.types.Metadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Part files on the local file system go through a file channel (no Hadoop {@code .crc} side file) unless
 * {@code output.crc-files} asks for Hadoop's checksummed file system, and hold the same bytes either way.
 */
class PartFilesTest {
  @TempDir Path tmp;
  private final Configuration conf = new Configuration();

  private static org.apache.hadoop.fs.Path hadoop(Path p) {
    return new org.apache.hadoop.fs.Path(p.toUri());
  }

  private static boolean hasSideFile(Path file) {
    return Files.exists(file.resolveSibling("." + file.getFileName() + ".crc"));
  }

  @Test
  void localPathsAreLocalFilesUnlessSideFilesAreAskedFor() throws IOException {
    Path file = tmp.resolve("a/part-00000.arrow");
    assertEquals(file, PartFiles.localFile(hadoop(file), conf, false));
    assertEquals(file, PartFiles.localFile(new org.apache.hadoop.fs.Path(file.toString()), conf, false),
        "a path without a scheme on the default (local) file system");
    assertNull(PartFiles.localFile(hadoop(file), conf, true));
    assertTrue(PartFiles.parquetFile(hadoop(file), conf, false) instanceof LocalOutputFile);
    assertTrue(PartFiles.parquetFile(hadoop(file), conf, true) instanceof HadoopOutputFile);
  }

  @Test
  void channelsWriteTheSameBytesWithAndWithoutSideFiles() throws IOException {
    byte[] bytes = new byte[3 << 20];
    new Random(3).nextBytes(bytes);
    for (boolean crcFiles : new boolean[] {false, true}) {
      Path file = tmp.resolve("crc-" + crcFiles + "/sub/part-00000-000.arrow"); // parents are created
      try (WritableByteChannel out = PartFiles.channel(hadoop(file), conf, crcFiles)) {
        out.write(ByteBuffer.wrap(bytes, 0, 10));
        out.write(ByteBuffer.wrap(bytes, 10, bytes.length - 10));
      }
      assertArrayEquals(bytes, Files.readAllBytes(file), "crcFiles=" + crcFiles);
      assertEquals(crcFiles, hasSideFile(file), "side file with crcFiles=" + crcFiles);
    }
  }

  @Test
  void aRetriedAttemptReplacesALongerFile() throws IOException {
    Path file = tmp.resolve("part-00000-000.arrow");
    Files.write(file, new byte[5000]);
    try (WritableByteChannel out = PartFiles.channel(hadoop(file), conf, false)) {
      out.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    }
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));

    Files.write(file, new byte[5000]);
    OutputFile parquet = PartFiles.parquetFile(hadoop(file), conf, false);
    try (PositionOutputStream out = parquet.createOrOverwrite(0)) {
      out.write(new byte[] {4, 5});
    }
    assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(file));
    assertThrows(FileAlreadyExistsException.class, () -> parquet.create(0), "create() never replaces a file");
  }

  @Test
  void parquetPartFilesAreTheSameBytesThroughHadoopOrAChannel() throws IOException {
    List<OutputRecord> rows = new ArrayList<>();
    Random r = new Random(9);
    for (int i = 0; i < 40; i++) {
      float[] data = new float[3 * 50 * 50];
      for (int k = 0; k < data.length; k++) {
        data[k] = (float) r.nextGaussian();
      }
      rows.add(OutputRecord.ok("img-" + i, new int[] {3, 50, 50}, data));
    }
    String schema = InferJob.outputSchema(Metadata.empty()).json();
    ParquetOptions options = new ParquetOptions("snappy", false, false, 1L << 20); // several row groups
    Path viaChannel = tmp.resolve("channel");
    Path viaHadoop = tmp.resolve("hadoop");
    ParquetPartWriter.write(rows.iterator(), viaChannel.toString(), options, schema, false, new org.apache.hadoop.conf.Configuration());
    ParquetPartWriter.write(rows.iterator(), viaHadoop.toString(), options, schema, true, new org.apache.hadoop.conf.Configuration());
    Path file = viaChannel.resolve("part-00000.parquet");
    byte[] want = Files.readAllBytes(viaHadoop.resolve("part-00000.parquet"));
    assertTrue(want.length > 40 * 3 * 50 * 50 * 4, "the file holds the floats");
    assertArrayEquals(want, Files.readAllBytes(file));
    assertFalse(hasSideFile(file));
    assertTrue(hasSideFile(viaHadoop.resolve("part-00000.parquet")));
  }
}

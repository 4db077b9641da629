package io.convt.job.infer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import org.apache.spark.sql.types.Metadata;

/**
 * One task's output writer alone, in a fresh JVM (no Spark, no kernel): {@code N} records of {@code C×H×W} floats
 * (one array, reused) written as the job writes them, and the JVM's own CPU time (every thread: writer, GC, JIT)
 * over the run. Run by {@code scripts/bench-writers}, which starts one JVM per run.
 *
 * <p>Writers: {@code parquet} and {@code arrow} (the job's part writers, through a file channel as by default),
 * {@code parquet-crc} and {@code arrow-crc} (through Hadoop's checksummed local file system,
 * {@code output.crc-files=true}), and {@code raw}: the records' bytes through a file channel, the floor any writer
 * pays for the copy out of the records and the kernel's write.
 *
 * <p>Arguments: {@code WRITER N C,H,W DIR}. Prints one line: {@code writer records wall_s cpu_s}.
 */
public final class PartWriterBench {
  private PartWriterBench() {}

  public static void main(String[] args) throws IOException {
    String writer = args[0];
    int n = Integer.parseInt(args[1]);
    String[] dims = args[2].split(",");
    int[] shape = {Integer.parseInt(dims[0]), Integer.parseInt(dims[1]), Integer.parseInt(dims[2])};
    Path dir = Path.of(args[3]);
    float[] data = new float[shape[0] * shape[1] * shape[2]];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) Math.sin(i); // not compressible, not repeating
    }
    Iterator<OutputRecord> rows = new Iterator<>() {
      private int i;

      @Override
      public boolean hasNext() {
        return i < n;
      }

      @Override
      public OutputRecord next() {
        return OutputRecord.ok("record-" + i++, shape, data);
      }
    };
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    switch (writer) {
      case "parquet", "parquet-crc" -> ParquetPartWriter.write(rows, dir.toString(),
          new ParquetOptions("none", false, false, 32L << 20), InferJob.outputSchema(Metadata.empty()).json(),
          writer.endsWith("-crc"));
      case "arrow", "arrow-crc" -> ArrowPartWriter.write(rows, dir.toString(), writer.endsWith("-crc"));
      case "raw" -> raw(rows, dir, 4 * data.length);
      default -> throw new IllegalArgumentException("unknown writer " + writer
          + " (parquet, parquet-crc, arrow, arrow-crc, raw)");
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
    System.out.printf("%s %d %.3f %.3f%n", writer, n, wall, cpu);
  }

  private static void raw(Iterator<OutputRecord> rows, Path dir, int bytes) throws IOException {
    Files.createDirectories(dir);
    ByteBuffer b = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel out = FileChannel.open(dir.resolve("raw.bin"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      while (rows.hasNext()) {
        b.clear();
        rows.next().copyDataTo(b.asFloatBuffer());
        while (b.hasRemaining()) {
          out.write(b);
        }
      }
    }
  }
}

package io.convt.job.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.job.ConvtJob;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/** Shared by the hostile-input tests: running the CLI in-process, and byte snapshots of directories. */
final class Hostile {
  private Hostile() {}

  /** One CLI run: exit code, stderr, stdout. */
  record Run(int code, String err, String out) {
    String firstLine() {
      return err.lines().filter(l -> !l.startsWith("convt-job: note:") && !l.startsWith("convt-job: restored"))
          .findFirst().orElse("");
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = ConvtJob.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, err.toString(), out.toString());
  }

  /** Every regular file under {@code root} (or the file itself) with its bytes; FIFOs and devices are not read. */
  static Map<String, byte[]> snapshot(Path root) throws IOException {
    Map<String, byte[]> m = new TreeMap<>();
    if (Files.isRegularFile(root)) {
      m.put("", Files.readAllBytes(root));
      return m;
    }
    if (!Files.isDirectory(root)) {
      return m;
    }
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          m.put(root.relativize(p).toString(), Files.readAllBytes(p));
        } else if (!Files.isDirectory(p)) {
          m.put(root.relativize(p).toString(), new byte[0]); // present, not read
        }
      }
    }
    return m;
  }

  static void assertUnchanged(Map<String, byte[]> before, Path root) throws IOException {
    Map<String, byte[]> after = snapshot(root);
    assertEquals(before.keySet(), after.keySet(), "files under " + root);
    for (String k : before.keySet()) {
      assertEquals(ByteBuffer.wrap(before.get(k)), ByteBuffer.wrap(after.get(k)), "bytes of " + root + "/" + k);
    }
  }

  static void mkfifo(Path p) throws Exception {
    Process pr = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
    assertEquals(0, pr.waitFor(), "mkfifo " + p);
  }

  /** {@code png} with its IHDR claiming {@code width x height} (CRC fixed): a small file declaring a huge image. */
  static byte[] declaringSize(byte[] png, int width, int height) {
    byte[] b = png.clone();
    ByteBuffer bb = ByteBuffer.wrap(b);
    bb.putInt(16, width).putInt(20, height);
    CRC32 crc = new CRC32();
    crc.update(b, 12, 17); // "IHDR" and its 13 data bytes
    bb.putInt(29, (int) crc.getValue());
    return b;
  }
}

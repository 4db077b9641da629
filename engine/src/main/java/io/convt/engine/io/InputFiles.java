package io.convt.engine.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Opens local input files only when they are regular files. Opening a FIFO blocks until something writes to it
 * (forever, in a batch job) and a device such as {@code /dev/zero} never ends, so those, and links to them, are
 * refused from their attributes alone, without being opened.
 */
public final class InputFiles {
  private InputFiles() {}

  /**
   * Checks that {@code file} (links followed) exists and is a regular file.
   *
   * @throws TensorFormatException naming the file: missing, a directory, or a FIFO/device/socket
   */
  public static void requireRegularFile(Path file) {
    String problem = problem(file);
    if (problem != null) {
      throw new TensorFormatException(file.toString(), problem);
    }
  }

  /** What keeps {@code file} from being read as a regular file (e.g. "file does not exist"), or null if nothing. */
  public static String problem(Path file) {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return "file does not exist";
    } catch (IOException e) {
      return "cannot read: " + e.getMessage();
    }
    if (a.isDirectory()) {
      return "is a directory, not a file";
    }
    if (!a.isRegularFile()) {
      return "is " + OutputPaths.specialKind(file) + ", not a regular file; refusing to open it (it may block or "
          + "never end)";
    }
    return null;
  }

  /** {@link #requireRegularFile}, then opens it for reading. The caller closes the channel. */
  public static FileChannel open(Path file) throws IOException {
    requireRegularFile(file);
    return FileChannel.open(file, StandardOpenOption.READ);
  }
}

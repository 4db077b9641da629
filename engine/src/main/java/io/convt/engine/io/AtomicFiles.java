package io.convt.engine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes files so that a reader never sees a half-written one: temporary sibling, then rename. */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes {@code bytes} to {@code file} atomically, replacing any existing file. */
  public static void write(Path file, byte[] bytes) {
    Path abs = file.toAbsolutePath();
    Path dir = abs.getParent();
    try {
      if (dir != null) {
        Files.createDirectories(dir);
      }
      Path tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
      try {
        Files.write(tmp, bytes);
        try {
          Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}

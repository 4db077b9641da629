package io.convt.engine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

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
      // Not createTempFile: its 0600 permissions would stick to the result; this honours the umask.
      Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + UUID.randomUUID() + ".tmp");
      try {
        Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
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

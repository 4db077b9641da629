package io.convt.engine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Writes files so that a reader never sees a half-written one: temporary sibling, then rename. {@link #write} does it
 * in one call; {@link #open} does it in steps for output too large to hold in memory ({@link Pending}).
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes {@code bytes} to {@code file} atomically, replacing any existing file. */
  public static void write(Path file, byte[] bytes) {
    try (Pending p = open(file)) {
      p.write(ByteBuffer.wrap(bytes));
      p.commit();
    }
  }

  /**
   * Starts writing {@code file} through a hidden temporary sibling ({@code .NAME.<uuid>.tmp}, created here; the
   * directory is created if needed). Nothing appears under {@code file} until {@link Pending#commit()}; closing
   * without a commit deletes the temporary file. The caller must close the result.
   */
  public static Pending open(Path file) {
    Path abs = file.toAbsolutePath();
    Path dir = abs.getParent();
    // Not createTempFile: its 0600 permissions would stick to the result; this honours the umask.
    Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      if (dir != null) {
        Files.createDirectories(dir);
      }
      return new Pending(file, abs, tmp,
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    } catch (IOException e) {
      throw failed(file, e);
    }
  }

  private static UncheckedIOException failed(Path file, IOException e) {
    return new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
  }

  /**
   * A file being written atomically: {@link #write} appends, {@link #commit()} renames it into place (replacing
   * any existing file), {@link #close()} discards it unless committed. Not thread-safe.
   */
  public static final class Pending implements AutoCloseable {
    private final Path file;
    private final Path target;
    private final Path tmp;
    private final FileChannel channel;
    private boolean open = true;

    private Pending(Path file, Path target, Path tmp, FileChannel channel) {
      this.file = file;
      this.target = target;
      this.tmp = tmp;
      this.channel = channel;
    }

    /** Appends every remaining byte of {@code bytes} (the buffer's position ends at its limit). */
    public void write(ByteBuffer bytes) {
      if (!open) {
        throw new IllegalStateException("Cannot write " + file + ": already committed or closed");
      }
      try {
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
      } catch (IOException e) {
        throw failed(file, e);
      }
    }

    /** Bytes written so far. */
    public long size() {
      try {
        return channel.position();
      } catch (IOException e) {
        throw failed(file, e);
      }
    }

    /** Closes the temporary file and renames it to the target in one step (atomically where supported). */
    public void commit() {
      if (!open) {
        throw new IllegalStateException("Cannot commit " + file + ": already committed or closed");
      }
      open = false;
      try {
        channel.close();
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
      } catch (IOException e) {
        throw failed(file, e);
      } finally {
        deleteTemporary();
      }
    }

    /** Discards the temporary file unless {@link #commit()} succeeded; the target is never touched here. */
    @Override
    public void close() {
      if (open) {
        open = false;
        try {
          channel.close();
        } catch (IOException e) {
          // The temporary file is deleted below either way; a close error must not hide the original failure.
        }
        deleteTemporary();
      }
    }

    private void deleteTemporary() {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException e) {
        throw failed(file, e);
      }
    }
  }
}

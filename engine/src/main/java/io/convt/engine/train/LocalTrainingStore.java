package io.convt.engine.train;

import io.convt.engine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A {@link TrainingStore} in a local directory: files are replaced through a temporary sibling and a rename
 * ({@link AtomicFiles}).
 *
 * @param dir the directory (created on the first write)
 */
public record LocalTrainingStore(Path dir) implements TrainingStore {
  public LocalTrainingStore {
    Objects.requireNonNull(dir, "dir");
  }

  @Override
  public byte[] read(String name) {
    Path f = dir.resolve(name);
    try {
      return Files.readAllBytes(f);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + f + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void replace(String name, byte[] bytes) {
    AtomicFiles.write(dir.resolve(name), bytes);
  }

  @Override
  public String location(String name) {
    return dir.resolve(name).toString();
  }
}

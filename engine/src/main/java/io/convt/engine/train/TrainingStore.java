package io.convt.engine.train;

/**
 * Where a training run keeps its files (checkpoints, loss curve, final weights, run summary): bytes by name in one
 * directory-like place. The engine's {@link LocalTrainingStore} is a local directory; the Spark job's store is any
 * Hadoop file system. A file is replaced whole or not at all, so a reader (a resume, a user) sees either the old
 * content or the new, never a mix.
 */
public interface TrainingStore {
  /**
   * The whole content of {@code name}, or null when there is no such file.
   *
   * @throws java.io.UncheckedIOException naming {@link #location} when it exists but cannot be read
   */
  byte[] read(String name);

  /**
   * Writes {@code bytes} as {@code name}, replacing any earlier content atomically (the place is created if
   * needed).
   *
   * @throws java.io.UncheckedIOException naming {@link #location} when it cannot be written
   */
  void replace(String name, byte[] bytes);

  /** The full path or URI of {@code name}, for messages. */
  String location(String name);
}

package io.convt.job.infer;

import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyHeader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Executor side: turns planned {@link InputItem}s into {@link InputRecord}s lazily, one {@code .npy} slice or
 * image at a time, so a task holds at most one slice in memory. A file that cannot be read becomes a record with
 * an error (quarantined downstream), never an exception that would hide which file it was.
 */
final class InputReader implements Iterator<InputRecord> {
  private final Iterator<InputItem> items;
  private final InferSettings settings;
  private final Deque<InputRecord> pending = new ArrayDeque<>();

  InputReader(Iterator<InputItem> items, InferSettings settings) {
    this.items = items;
    this.settings = settings;
  }

  @Override
  public boolean hasNext() {
    while (pending.isEmpty() && items.hasNext()) {
      InputItem item = items.next();
      if (item.isNpySlice()) {
        readSlice(item);
      } else if (item.kind().equals("arrow")) {
        readArrow(item.path());
      } else {
        pending.add(readImage(item.path()).withIndex(item.first()));
      }
    }
    return !pending.isEmpty();
  }

  @Override
  public InputRecord next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return pending.poll();
  }

  private void readSlice(InputItem item) {
    Path file = Path.of(item.path());
    NpyHeader h = Npy.readHeader(file);
    // one array per record, decoded from the file's bytes (no slice-wide array copied out record by record)
    float[][] records = Npy.readRecordArrays(file, h, item.first(), item.count());
    int[] shape = {h.shape()[1], h.shape()[2], h.shape()[3]};
    String id = RecordIds.canonical(item.path());
    for (int i = 0; i < item.count(); i++) {
      long index = item.first() + i;
      pending.add(new InputRecord(RecordIds.stackRecord(id, index), shape, records[i], null).withIndex(index));
    }
  }

  /** Every tensor of an Arrow IPC file (local or mounted filesystem). A broken file fails the task: the file is named. */
  private void readArrow(String path) {
    java.nio.file.Path file = java.nio.file.Path.of(new org.apache.hadoop.fs.Path(path).toUri().getPath());
    try (org.apache.arrow.memory.RootAllocator alloc = new org.apache.arrow.memory.RootAllocator();
        java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(file)) {
      for (io.convt.engine.io.TensorIpc.Tensor t : io.convt.engine.io.TensorIpc.read(in, path, alloc)) {
        pending.add(new InputRecord(t.id(), t.shape(), t.data(), null));
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read input " + path + ": " + e.getMessage(), e);
    }
  }

  private InputRecord readImage(String path) {
    return ImageFiles.read(path, settings);
  }
}

package io.convt.job.infer;

import io.convt.engine.io.Npy;
import io.convt.engine.io.ImageCodec;
import io.convt.engine.io.NpyHeader;
import io.convt.job.storage.HadoopConf;
import io.convt.job.storage.HadoopFiles;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import java.nio.file.Path;
import java.io.InputStream;
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
  private final Configuration conf;
  private final Deque<InputRecord> pending = new ArrayDeque<>();

  /** @param conf the driver's Hadoop configuration ({@link HadoopConf}): files are read with the cluster's settings */
  InputReader(Iterator<InputItem> items, InferSettings settings, HadoopConf conf) {
    this.items = items;
    this.settings = settings;
    this.conf = conf.get();
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
    NpyHeader h = HadoopFiles.npyHeader(item.path(), conf);
    // one array per record, decoded from the file's bytes (no slice-wide array copied out record by record)
    float[][] records = HadoopFiles.npyRecords(item.path(), conf, h, item.first(), item.count());
    int[] shape = {h.shape()[1], h.shape()[2], h.shape()[3]};
    String id = RecordIds.canonical(item.path());
    for (int i = 0; i < item.count(); i++) {
      long index = item.first() + i;
      pending.add(new InputRecord(RecordIds.stackRecord(id, index), shape, records[i], null).withIndex(index));
    }
  }

  /** Every tensor of an Arrow IPC file (any Hadoop file system). A broken file fails the task: the file is named. */
  private void readArrow(String path) {
    // A file's tensors are read together (an Arrow file is its record batches): one larger than half the heap would
    // take the executor down, so it is quarantined whole, unread.
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
      long bytes = p.getFileSystem(conf).getFileStatus(p).getLen();
      long budget = Runtime.getRuntime().maxMemory() / 2;
      if (bytes > budget) {
        pending.add(InputRecord.refused(path, "too_large", "the Arrow file has " + bytes + " bytes, more than half "
            + "the executor heap (" + budget + " bytes); write it as several files (not read)"));
        return;
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read input " + path + ": " + e.getMessage(), e);
    }
    try (org.apache.arrow.memory.RootAllocator alloc = new org.apache.arrow.memory.RootAllocator();
        java.nio.channels.SeekableByteChannel in = HadoopFiles.open(path, conf)) {
      for (io.convt.engine.io.TensorIpc.Tensor t : io.convt.engine.io.TensorIpc.read(in, path, alloc)) {
        InputRecord r = new InputRecord(t.id(), t.shape(), t.data(), null);
        r.setIndex(t.index()); // the file's own index column, if any (RecordIndexes decides whether it is kept)
        pending.add(r);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read input " + path + ": " + e.getMessage(), e);
    }
  }

  private InputRecord readImage(String path) {
    return ImageFiles.read(path, settings, conf);
  }
}

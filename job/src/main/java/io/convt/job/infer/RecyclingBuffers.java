package io.convt.job.infer;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.parquet.bytes.ByteBufferAllocator;

/**
 * A Parquet {@link ByteBufferAllocator} for one file writer (one thread) that keeps released heap buffers and hands
 * them out again for a request of the same size, up to {@code maxPooledBytes} kept.
 *
 * <p>Why: Parquet's page store copies every page into a buffer of exactly the page's size from this allocator and
 * releases them all when the row group has been written. With one output shape every {@code data} page written by
 * Parquet's column writer (with a dictionary or statistics asked for; {@link ParquetDataPages} keeps its own pages)
 * has the same size (one 2 MB record each for 32×128×128 outputs), so Parquet's default allocator (a new zeroed heap
 * buffer per page, a humongous object for G1 above half a region) made garbage at the output's rate; with this one, a
 * task reuses one row group's buffers for the whole file.
 *
 * <p>Used by the thread that created it only (checked). Only a buffer this allocator handed out and that has not been
 * released yet is taken back (by identity), so a buffer released twice, or one from elsewhere, can never be handed to
 * two users.
 */
final class RecyclingBuffers implements ByteBufferAllocator {
  private final Map<Integer, ArrayDeque<ByteBuffer>> free = new HashMap<>();
  private final Set<ByteBuffer> lent = Collections.newSetFromMap(new IdentityHashMap<>());
  private final long maxPooledBytes;
  private long pooledBytes;
  private final Thread owner = Thread.currentThread();

  /** @param maxPooledBytes most bytes kept for reuse (released buffers beyond it are left to the GC) */
  RecyclingBuffers(long maxPooledBytes) {
    this.maxPooledBytes = maxPooledBytes;
  }

  @Override
  public ByteBuffer allocate(int size) {
    checkOwner();
    ArrayDeque<ByteBuffer> same = free.get(size);
    ByteBuffer b = same == null ? null : same.poll();
    if (b == null) {
      b = ByteBuffer.allocate(size);
    } else {
      pooledBytes -= size;
      b.clear();
    }
    lent.add(b);
    return b;
  }

  @Override
  public void release(ByteBuffer b) {
    checkOwner();
    if (!lent.remove(b) || pooledBytes + b.capacity() > maxPooledBytes) {
      return;
    }
    free.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>()).push(b);
    pooledBytes += b.capacity();
  }

  @Override
  public boolean isDirect() {
    return false;
  }

  /**
   * A pool shared by two threads would hand one buffer to both: fail loudly instead (Parquet's shared default
   * values-writer factory would give one task's column writers another task's allocator, which is why each file
   * has its own factory, see {@link ParquetPartWriter}).
   */
  private void checkOwner() {
    if (Thread.currentThread() != owner) {
      throw new IllegalStateException("Parquet page buffers of the file written by thread " + owner.getName()
          + " were used by thread " + Thread.currentThread().getName());
    }
  }

  /** Bytes currently kept for reuse; for tests. */
  long pooledBytes() {
    return pooledBytes;
  }
}

package io.convt.engine.internal.simd;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * A least-recently-used map whose entries' bytes (as the sizer estimates them) never pass a budget: an insert
 * evicts the least recently used entries until it fits, and an entry larger than the whole budget is not kept.
 * Looked up once per kernel call, never per pixel, so one lock costs nothing measurable.
 */
final class ByteBoundedCache<K, V> {
  private final long maxBytes;
  private final ToLongFunction<V> sizer;
  private final LinkedHashMap<K, V> map = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;

  /**
   * @param maxBytes the budget (0 keeps nothing)
   * @param sizer the bytes an entry holds, counted when it is inserted; must not change while it is cached
   */
  ByteBoundedCache(long maxBytes, ToLongFunction<V> sizer) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("Cannot create a cache with a negative byte budget (" + maxBytes + ")");
    }
    this.maxBytes = maxBytes;
    this.sizer = sizer;
  }

  /** The cached value for {@code key} (now the most recently used), or {@code null}. */
  synchronized V get(K key) {
    return map.get(key);
  }

  /**
   * Caches {@code value} unless {@code key} is cached already; returns the value now cached for the key, or
   * {@code value} itself when it alone passes the budget (then it is not kept).
   */
  synchronized V putIfAbsent(K key, V value) {
    V present = map.get(key);
    if (present != null) {
      return present;
    }
    long size = sizer.applyAsLong(value);
    if (size > maxBytes) {
      return value;
    }
    Iterator<Map.Entry<K, V>> eldest = map.entrySet().iterator();
    while (bytes + size > maxBytes) {
      bytes -= sizer.applyAsLong(eldest.next().getValue());
      eldest.remove();
    }
    map.put(key, value);
    bytes += size;
    return value;
  }

  /** Bytes of the cached entries, as counted when they were inserted. */
  synchronized long bytes() {
    return bytes;
  }

  /** Bytes of the cached entries recounted now (for tests: must equal {@link #bytes()}). */
  synchronized long recount() {
    long sum = 0;
    for (V v : map.values()) {
      sum += sizer.applyAsLong(v);
    }
    return sum;
  }

  synchronized int size() {
    return map.size();
  }

  long maxBytes() {
    return maxBytes;
  }

  synchronized void clear() {
    map.clear();
    bytes = 0;
  }
}

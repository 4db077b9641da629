package io.convt.job.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class RecyclingBuffersTest {
  @Test
  void aReleasedBufferServesTheNextRequestOfItsSizeClearedAndOnlyThatSize() {
    RecyclingBuffers pool = new RecyclingBuffers(1 << 20);
    ByteBuffer a = pool.allocate(1000);
    assertEquals(1000, a.capacity());
    assertFalse(a.isDirect());
    a.putInt(42).position(500).limit(600);
    pool.release(a);
    assertEquals(1000, pool.pooledBytes());
    assertNotSame(a, pool.allocate(999));
    ByteBuffer again = pool.allocate(1000);
    assertSame(a, again);
    assertEquals(0, again.position());
    assertEquals(1000, again.limit());
    assertEquals(0, pool.pooledBytes());
    assertNotSame(a, pool.allocate(1000), "a buffer in use is never handed out twice");
  }

  @Test
  void aBufferReleasedTwiceOrNotItsOwnIsNotTakenBack() {
    RecyclingBuffers pool = new RecyclingBuffers(1 << 20);
    ByteBuffer a = pool.allocate(64);
    pool.release(a);
    pool.release(a);
    assertEquals(64, pool.pooledBytes());
    pool.release(ByteBuffer.allocate(64));
    assertEquals(64, pool.pooledBytes());
    ByteBuffer first = pool.allocate(64);
    ByteBuffer second = pool.allocate(64);
    assertSame(a, first);
    assertNotSame(first, second);
  }

  @Test
  void keepsAtMostItsLimit() {
    RecyclingBuffers pool = new RecyclingBuffers(250);
    ByteBuffer a = pool.allocate(100);
    ByteBuffer b = pool.allocate(100);
    ByteBuffer c = pool.allocate(100);
    pool.release(a);
    pool.release(b);
    pool.release(c);
    assertEquals(200, pool.pooledBytes());
  }
}

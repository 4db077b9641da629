package io.convt.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * What encodes keep between calls: per-thread scratch that follows the recent working set, and facade copies that
 * share the loaded weights instead of loading them again.
 */
class ScratchAndCopyTest {
  @Test
  void scratchIsReusedAndLetGoOnceRecentCallsNeedLessThanHalf() throws Exception {
    Thread t = new Thread(() -> {
      float[] big = Scratch.source(1 << 20);
      assertSame(big, Scratch.source(1000), "a smaller request reuses the kept array");
      assertEquals(4L << 20, Scratch.keptBytes());
      for (int i = 0; i < 2 * Scratch.WINDOW; i++) {
        Scratch.source(1000);
      }
      assertEquals(4000, Scratch.keptBytes(), "after a window of small calls only their size is kept");
      float[] small = Scratch.source(1000);
      assertTrue(small.length >= 1000 && small.length < 2000, small.length + " floats");
      Scratch.destination(3000);
      assertEquals(16000, Scratch.keptBytes(), "kept bytes count every slot");
    });
    Throwable[] failure = new Throwable[1];
    t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
    t.start();
    t.join();
    if (failure[0] != null) {
      throw new AssertionError(failure[0]);
    }
  }

  @Test
  void requestsAboveTheThreadsBoundAreNotKept() throws Exception {
    Thread t = new Thread(() -> {
      Scratch.get(Scratch.Slot.GRADIENT, 100, 1000);
      assertEquals(400, Scratch.keptBytes());
      float[] a = Scratch.get(Scratch.Slot.SOURCE, 200, 1000);
      assertNotSame(a, Scratch.get(Scratch.Slot.SOURCE, 200, 1000), "400 + 800 bytes pass the bound: not kept");
      assertEquals(400, Scratch.keptBytes());
      Scratch.get(Scratch.Slot.GRADIENT, 300, 1000); // replaces the gradient's 400 bytes by 1200: not kept either
      assertEquals(0, Scratch.keptBytes());
    });
    Throwable[] failure = new Throwable[1];
    t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
    t.start();
    t.join();
    if (failure[0] != null) {
      throw new AssertionError(failure[0]);
    }
  }

  @Test
  void aCopySharesTheLoadedWeightsAndHasItsOwnProperties() {
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 3, 2, 2).stride(2, 2).build();
    ConvTranspose k = new ConvTranspose(new ArrayDataSource(d, new float[d.weightCount()], null, "copy-test"));
    k.setPadding(StandardPadding.VALID);
    ConvTranspose c = k.copy();
    assertSame(k.plan().weightsUsed(), c.plan().weightsUsed(), "no second copy of the weights");
    assertEquals(StandardPadding.VALID, c.padding());
    c.setPadding(StandardPadding.FULL);
    assertEquals(StandardPadding.VALID, k.padding(), "properties change independently");
    assertEquals(k.implementation(), c.implementation());
  }
}

package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.NeuronType;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.simd.ThreadScratch.Slot;
import io.convt.engine.internal.simd.TwinKernelTest.Geometry;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ThreadScratch}: lending (an array in use is never lent twice, a kept one is lent again, one byte bound per
 * thread), and every kernel that borrows from it leaves nothing a later call reads: a call whose scratch was left
 * full of NaN and infinities by a poisoned call of the same shape gives the bits of a thread that never ran one.
 */
class ThreadScratchTest {
  private static final int L = Micro.L;
  private final KernelBackend simd = KernelBackends.lookup("simd");

  @Test
  void anArrayInUseIsNeverLentTwiceAndAKeptOneIsLentAgain() throws Exception {
    onFreshThread(() -> {
      float[] a = ThreadScratch.floats(Slot.ROW_SUMS, 100);
      float[] nested = ThreadScratch.floats(Slot.ROW_SUMS, 100);
      assertNotSame(a, nested, "a re-entrant call gets its own array");
      ThreadScratch.keep(Slot.ROW_SUMS, a);
      assertEquals(400, ThreadScratch.keptBytes());
      assertSame(a, ThreadScratch.floats(Slot.ROW_SUMS, 60), "a smaller request takes the kept array");
      assertEquals(0, ThreadScratch.keptBytes(), "taken out: no longer counted");
      assertNotSame(a, ThreadScratch.floats(Slot.ROW_SUMS, 60), "taken out: not lent again until kept");
      ThreadScratch.keep(Slot.ROW_SUMS, a);
      float[] larger = ThreadScratch.floats(Slot.ROW_SUMS, 200);
      assertNotSame(a, larger, "a larger request gets a new array");
      ThreadScratch.keep(Slot.ROW_SUMS, larger);
      assertEquals(800, ThreadScratch.keptBytes(), "the larger array replaces the smaller one");
      int[] ints = ThreadScratch.ints(Slot.ROW_SUMS, 10);
      assertEquals(800, ThreadScratch.keptBytes(), "an int request never takes a float array");
      ThreadScratch.keep(Slot.ROW_TAP_STARTS, ints);
      assertSame(ints, ThreadScratch.ints(Slot.ROW_TAP_STARTS, 10));
      return null;
    });
  }

  @Test
  void aThreadKeepsAtMostTheBoundOverAllSlots() throws Exception {
    onFreshThread(() -> {
      ThreadScratch.keep(Slot.ROW_SUMS, new float[100]);
      float[] big = new float[(int) (ThreadScratch.KEEP_BYTES / 4) - 99];
      ThreadScratch.keep(Slot.ACCUMULATORS, big);
      assertEquals(400, ThreadScratch.keptBytes(), "400 + bound - 396 bytes pass the bound: let go");
      assertNotSame(big, ThreadScratch.floats(Slot.ACCUMULATORS, 1));
      float[] fits = new float[(int) (ThreadScratch.KEEP_BYTES / 4) - 100];
      ThreadScratch.keep(Slot.ACCUMULATORS, fits);
      assertEquals(ThreadScratch.KEEP_BYTES, ThreadScratch.keptBytes(), "exactly the bound: kept");
      float[][] set = ThreadScratch.panels(3);
      assertEquals(3, set.length);
      ThreadScratch.panel(set, 1, 10);
      ThreadScratch.keep(Slot.PANELS, set);
      assertEquals(ThreadScratch.KEEP_BYTES, ThreadScratch.keptBytes(), "a panel set past the bound is let go");
      assertSame(fits, ThreadScratch.floats(Slot.ACCUMULATORS, 5));
      ThreadScratch.keep(Slot.PANELS, set);
      assertEquals(400 + 40, ThreadScratch.keptBytes(), "a panel set counts its arrays");
      return null;
    });
  }

  /** A pass and a geometry that reaches one of the kernels that borrow scratch. */
  record Case(String name, Geometry geometry, Pass pass) {
    @Override
    public String toString() {
      return name + " " + pass;
    }
  }

  enum Pass { FORWARD, DATA, WEIGHTS }

  static Stream<Case> cases() {
    Geometry dense = new Geometry("dense_rows", 2, 6, 11, 9, 17, 1, 4, 2, 1, true, NeuronType.NONE, 401);
    Geometry few = new Geometry("few_outputs_sr_like", 2, 9, 40, 32, 3, 1, 4, 2, 1, false, NeuronType.NONE, 402);
    Geometry phases = new Geometry("few_outputs_phases", 1, 6, 29, 3, 6, 1, 4, 2, 1, true, NeuronType.NONE, 403);
    Geometry grouped = new Geometry("groups4_small_cout", 2, 5, 6, 20, 12, 4, 4, 2, 1, false, NeuronType.NONE, 404);
    Geometry groupsN1 = new Geometry("groups4_n1", 1, 9, 11, 8 * L, 8 * L, 4, 4, 2, 1, false, NeuronType.NONE, 405);
    Geometry onePixel = new Geometry("pointwise_one_pixel", 1, 1, 1, 8 * L + 9, 300, 1, 4, 1, 1, false,
        NeuronType.NONE, 406);
    Geometry pixels = new Geometry("pointwise_pixels", 3, 1, 1, 8 * L + 9, 40, 1, 3, 1, 1, false, NeuronType.NONE,
        407);
    Geometry phase = new Geometry("stride_phase", 2, 33, 35, 4 * L, 32, 1, 3, 2, 2, false, NeuronType.NONE, 408);
    Geometry s1 = new Geometry("s1_k3", 2, 9, 12, 4 * L, 2 * L, 1, 3, 1, 1, false, NeuronType.NONE, 409);
    return Stream.of(
        new Case("DENSE rows", dense, Pass.FORWARD), new Case("DENSE rows", dense, Pass.DATA),
        new Case("gathered", dense, Pass.WEIGHTS),
        new Case("TAPS", few, Pass.FORWARD), new Case("few outputs", few, Pass.DATA),
        new Case("few outputs", few, Pass.WEIGHTS), new Case("few-output phases", phases, Pass.DATA),
        new Case("offset lists", grouped, Pass.DATA), new Case("grouped phase runs", groupsN1, Pass.WEIGHTS),
        new Case("pointwise one pixel", onePixel, Pass.DATA), new Case("pointwise", pixels, Pass.DATA),
        new Case("stride phase", phase, Pass.DATA), new Case("phase runs", s1, Pass.WEIGHTS));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void scratchLeftFullOfNonFiniteValuesNeverReachesTheNextCall(Case c) throws Exception {
    ConvProblem p = TwinKernelTest.problem(c.geometry());
    Random r = new Random(c.geometry().seed());
    float[] src = TwinKernelTest.random(r, p.images() * p.srcImageSize());
    float[] g = TwinKernelTest.random(r, p.images() * p.dstImageSize());
    float[] w = TwinKernelTest.random(r, p.weightCount());
    float[] bias = TwinKernelTest.random(r, p.cout());
    if (c.pass() == Pass.DATA) {
      assertTrue(c.name().equals("stride phase") == StridePhaseGradient.applies(p), p.describe());
    }
    float[] want = onFreshThread(() -> run(c.pass(), p, src, g, w, bias, 1));
    for (int threads : new int[] {1, 2}) {
      float[] got = onFreshThread(() -> {
        float[] poisoned = run(c.pass(), p, poison(src), poison(g), w, bias, threads);
        boolean reached = false;
        for (float v : poisoned) {
          reached |= !Float.isFinite(v);
        }
        assertTrue(reached, c + ": the poisoned call must reach the results " + p.describe()
            + " (every tap cropped?)");
        return run(c.pass(), p, src, g, w, bias, threads);
      });
      assertArrayEquals(want, got, c + " threads=" + threads + ": a kept array leaked into the next call");
    }
  }

  private float[] run(Pass pass, ConvProblem p, float[] src, float[] g, float[] w, float[] bias, int threads) {
    switch (pass) {
      case FORWARD -> {
        float[] dst = new float[p.images() * p.dstImageSize()];
        simd.forward(p, src, w, bias, Activation.IDENTITY, dst, threads);
        return dst;
      }
      case DATA -> {
        float[] gradIn = new float[p.images() * p.srcImageSize()];
        simd.backwardData(p, g, w, gradIn, threads);
        return gradIn;
      }
      default -> {
        float[] gW = new float[p.weightCount()];
        float[] gB = new float[p.cout()];
        simd.backwardWeights(p, src, g, gW, gB, threads);
        float[] both = java.util.Arrays.copyOf(gW, gW.length + gB.length);
        System.arraycopy(gB, 0, both, gW.length, gB.length);
        return both;
      }
    }
  }

  /** NaN, +∞ and −∞ in turn: every product and sum that reads one is non-finite. */
  private static float[] poison(float[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = i % 3 == 0 ? Float.NaN : i % 3 == 1 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
    }
    return out;
  }

  private static <T> T onFreshThread(Supplier<T> body) throws Exception {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        result.set(body.get());
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    t.start();
    t.join();
    if (failure.get() instanceof Error e) {
      throw e;
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    return result.get();
  }
}

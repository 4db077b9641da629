package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.NeuronType;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import io.convt.engine.internal.simd.TwinKernelTest.Geometry;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The TAPS forward keeps its tap matrix and row buffers per thread across calls: a call after a larger one whose
 * buffers were left full of NaN and infinities gives the same bits as the same call on a thread that never ran one.
 */
class TapsScratchTest {
  private final KernelBackend simd = KernelBackends.lookup("simd");

  @Test
  void aCallAfterANonFiniteLargerCallGivesTheBitsOfAFreshThread() throws Exception {
    // wide rows, an infinite pixel: the kept tap matrix and row buffers end up holding ∞ and NaN (0·∞)
    ConvProblem wide = TwinKernelTest.problem(new Geometry("wide", 2, 6, 40, 32, 3, 1, 4, 2, 1, false,
        NeuronType.NONE, 21));
    // narrower rows, fewer inputs, other outputs: a smaller request served by the same (stale) arrays
    ConvProblem narrow = TwinKernelTest.problem(new Geometry("narrow", 1, 5, 21, 20, 3, 1, 3, 2, 1, true,
        NeuronType.NONE, 22));
    assertEquals(SimdPlan.Kind.TAPS, new SimdPlan(wide.geometry()).forwardKind());
    assertEquals(SimdPlan.Kind.TAPS, new SimdPlan(narrow.geometry()).forwardKind());
    Random r = new Random(23);
    float[] wideSrc = TwinKernelTest.random(r, wide.images() * wide.srcImageSize());
    for (int i = 0; i < wideSrc.length; i += 97) {
      wideSrc[i] = i % 2 == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
    }
    float[] wideW = TwinKernelTest.random(r, wide.weightCount());
    float[] src = TwinKernelTest.random(r, narrow.images() * narrow.srcImageSize());
    float[] w = TwinKernelTest.random(r, narrow.weightCount());
    float[] bias = TwinKernelTest.random(r, narrow.cout());

    float[] fresh = new float[narrow.images() * narrow.dstImageSize()];
    Thread t = new Thread(() -> simd.forward(narrow, src, w, bias, Activation.IDENTITY, fresh, 1));
    t.start();
    t.join();

    float[] wideOut = new float[wide.images() * wide.dstImageSize()];
    simd.forward(wide, wideSrc, wideW, null, Activation.IDENTITY, wideOut, 1);
    boolean nonFinite = false;
    for (float v : wideOut) {
      nonFinite |= !Float.isFinite(v);
    }
    assertTrue(nonFinite, "the wide call's buffers held non-finite values");
    float[] reused = new float[fresh.length];
    simd.forward(narrow, src, w, bias, Activation.IDENTITY, reused, 1);
    assertArrayEquals(fresh, reused, "the narrow call after the wide one differs from a fresh thread's");

    float[] want = new float[fresh.length];
    ScalarBackend.INSTANCE.forward(narrow, src, w, bias, Activation.IDENTITY, want, 1);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], reused[i], 1e-3f * (1 + Math.abs(want[i])), "element " + i);
    }
  }
}

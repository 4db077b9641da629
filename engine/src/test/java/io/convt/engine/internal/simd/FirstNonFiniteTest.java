package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import io.convt.engine.io.ImageCodec;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The input check (first NaN or infinity) of the vectorised backend against the scalar one and a plain loop. */
class FirstNonFiniteTest {
  private static final float[] BAD = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
      Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xffc00123), Float.intBitsToFloat(0x7fffffff)};
  private static final float[] EXTREME_FINITE = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -0f, 0f,
      Float.MIN_NORMAL, 1e38f, -3.4e38f};

  private static int plainLoop(float[] v) {
    for (int i = 0; i < v.length; i++) {
      if (Float.isNaN(v[i]) || Float.isInfinite(v[i])) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void everyPositionOfEveryKindOfBadValueAtLengthsAcrossVectorBlocks() {
    KernelBackend simd = KernelBackends.lookup("simd");
    Random rnd = new Random(11);
    for (int len : new int[] {0, 1, 3, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200, 1000}) {
      float[] v = new float[len];
      for (int i = 0; i < len; i++) {
        v[i] = i % 7 == 0 ? EXTREME_FINITE[i % EXTREME_FINITE.length] : (float) rnd.nextGaussian() * 1e30f;
      }
      assertEquals(-1, simd.firstNonFinite(v), "all finite, length " + len);
      assertEquals(-1, ScalarBackend.INSTANCE.firstNonFinite(v));
      for (int at = 0; at < len; at++) {
        for (float bad : BAD) {
          float keep = v[at];
          v[at] = bad;
          assertEquals(at, simd.firstNonFinite(v), "bad " + bad + " at " + at + " of " + len);
          assertEquals(at, ScalarBackend.INSTANCE.firstNonFinite(v));
          v[at] = keep;
        }
      }
    }
  }

  @Test
  void theFirstOfSeveralBadValuesAndTheCodecEntryPoint() {
    KernelBackend simd = KernelBackends.lookup("simd");
    Random rnd = new Random(5);
    for (int trial = 0; trial < 500; trial++) {
      float[] v = new float[1 + rnd.nextInt(3000)];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) rnd.nextGaussian();
      }
      int bads = rnd.nextInt(4);
      for (int b = 0; b < bads; b++) {
        v[rnd.nextInt(v.length)] = BAD[rnd.nextInt(BAD.length)];
      }
      int want = plainLoop(v);
      assertEquals(want, simd.firstNonFinite(v));
      assertEquals(want, ScalarBackend.INSTANCE.firstNonFinite(v));
      assertEquals(want, ImageCodec.firstNonFinite(v));
    }
  }
}

package io.convt.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordTreeSumTest {
  /** The tree's definition, written recursively over all records at once. */
  private static float[] reference(float[][] v, long lo, long size) {
    if (size == 1) {
      return v[(int) lo].clone();
    }
    float[] left = reference(v, lo, size / 2);
    if (lo + size / 2 >= v.length) {
      return left;
    }
    float[] right = reference(v, lo + size / 2, size / 2);
    float[] s = new float[left.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = left[i] + right[i];
    }
    return s;
  }

  private static float[][] data(Random r, int n, int len) {
    float[][] v = new float[n][len];
    for (float[] a : v) {
      for (int i = 0; i < len; i++) {
        a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(8) - 4)); // wide range: order matters in float
      }
    }
    return v;
  }

  @Test
  void anySlicingAndMergeOrderGivesTheSameBitsAsTheTreeDefinition() {
    Random r = new Random(5);
    for (int n : new int[] {1, 2, 3, 5, 7, 8, 13, 64, 100}) {
      float[][] v = data(r, n, 9);
      long p2 = Long.highestOneBit(n) == n ? n : Long.highestOneBit(n) << 1;
      float[] want = reference(v, 0, p2);
      for (int trial = 0; trial < 20; trial++) {
        // Random contiguous slices, each streamed in its own instance, shipped as bytes, merged in random order.
        List<Integer> cuts = new ArrayList<>();
        for (int i = 1; i < n; i++) {
          if (r.nextInt(4) == 0) {
            cuts.add(i);
          }
        }
        cuts.add(n);
        List<byte[]> parts = new ArrayList<>();
        int start = 0;
        for (int cut : cuts) {
          RecordTreeSum s = new RecordTreeSum(9, n);
          for (int i = start; i < cut; i++) {
            s.add(i, v[i]);
          }
          parts.add(s.toBytes());
          start = cut;
        }
        Collections.shuffle(parts, r);
        RecordTreeSum total = new RecordTreeSum(9, n);
        for (byte[] b : parts) {
          total.merge(RecordTreeSum.fromBytes(b));
        }
        assertArrayEquals(want, total.total(), 0f, "n=" + n + " cuts=" + cuts);
      }
    }
  }

  @Test
  void aSliceKeepsAtMostLogNodes() {
    RecordTreeSum s = new RecordTreeSum(1000, 1 << 20);
    for (int i = 0; i < 1000; i++) {
      s.add(i, new float[1000]);
    }
    // 1000 = 0b1111101000: one node per set bit.
    assertTrue(s.toBytes().length < 7 * 4 * 1000 + 200, "bytes " + s.toBytes().length);
  }

  @Test
  void misuseIsRejected() {
    RecordTreeSum s = new RecordTreeSum(2, 4);
    s.add(1, new float[2]);
    assertThrows(IllegalArgumentException.class, () -> s.add(3, new float[2])); // not contiguous
    assertThrows(IllegalArgumentException.class, () -> s.add(2, new float[3])); // wrong length
    assertThrows(IllegalArgumentException.class, () -> s.add(2, new float[] {0, Float.NaN}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, s::total);
    assertTrue(e.getMessage().contains("record 0 of 4 was never added"), e.getMessage());
    RecordTreeSum other = new RecordTreeSum(2, 4);
    other.add(1, new float[2]);
    assertThrows(IllegalArgumentException.class, () -> s.merge(other)); // overlapping slices
    assertThrows(IllegalArgumentException.class, () -> new RecordTreeSum(2, 0));
  }
}

package io.convt.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The tree sum must not depend on how records are split into partials nor on the merge order. */
class GradientAccumulatorTest {
  private static final int W = 7;
  private static final int B = 2;

  private static float[][] records(int n, long seed) {
    Random r = new Random(seed);
    float[][] g = new float[n][W + B];
    for (float[] row : g) {
      for (int i = 0; i < row.length; i++) {
        // Mixed magnitudes make float sums order-sensitive, so a wrong tree would show.
        row[i] = (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(9) - 4));
      }
    }
    return g;
  }

  private static void add(GradientAccumulator a, long i, float[] row, boolean[] skip) {
    if (skip == null || !skip[(int) i]) {
      float[] w = new float[W];
      float[] b = new float[B];
      System.arraycopy(row, 0, w, 0, W);
      System.arraycopy(row, W, b, 0, B);
      a.add(i, w, b);
    }
  }

  private static double[] partitioned(float[][] g, boolean[] skip, Random r, boolean viaBytes) {
    int n = g.length;
    List<Integer> cuts = new ArrayList<>(List.of(0, n));
    int parts = 1 + r.nextInt(12);
    for (int i = 0; i < parts; i++) {
      cuts.add(r.nextInt(n + 1));
    }
    Collections.sort(cuts);
    List<GradientAccumulator> partials = new ArrayList<>();
    for (int p = 0; p + 1 < cuts.size(); p++) {
      GradientAccumulator a = GradientAccumulator.forRange(cuts.get(p), cuts.get(p + 1), W, B);
      for (int i = cuts.get(p); i < cuts.get(p + 1); i++) {
        add(a, i, g[i], skip);
      }
      partials.add(viaBytes ? GradientAccumulator.fromBytes(a.toBytes()) : a);
    }
    Collections.shuffle(partials, r);
    // Merge in a random tree shape: pick two, merge, put back.
    while (partials.size() > 1) {
      GradientAccumulator x = partials.remove(r.nextInt(partials.size()));
      GradientAccumulator y = partials.remove(r.nextInt(partials.size()));
      partials.add(r.nextBoolean() ? x.merge(y) : GradientAccumulator.empty(W, B).merge(y).merge(x));
    }
    return partials.get(0).finishDouble();
  }

  @Test
  void anyGroupingAndOrderGivesTheSameBits() {
    for (int n : new int[] {1, 2, 3, 17, 100, 257}) {
      float[][] g = records(n, n);
      boolean[] skip = new boolean[n];
      Random r = new Random(42 + n);
      for (int i = 0; i < n; i++) {
        skip[i] = r.nextInt(5) == 0;
      }
      double[] ref = partitioned(g, skip, new Random(0), false);
      for (int trial = 0; trial < 20; trial++) {
        double[] got = partitioned(g, skip, new Random(trial + 1), trial % 2 == 0);
        for (int i = 0; i < ref.length; i++) {
          assertEquals(Double.doubleToRawLongBits(ref[i]), Double.doubleToRawLongBits(got[i]),
              "n=" + n + " trial=" + trial + " element " + i);
        }
      }
      // Close to (not necessarily equal to) a naive sequential double sum.
      double[] naive = new double[W + B];
      double[] mag = new double[W + B];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < W + B; j++) {
          if (!skip[i]) {
            naive[j] += g[i][j];
            mag[j] += Math.abs(g[i][j]);
          }
        }
      }
      for (int j = 0; j < W + B; j++) {
        assertEquals(naive[j], ref[j], 1e-13 * mag[j] + 1e-300);
      }
    }
  }

  @Test
  void partsSplitByNodeMergeBackToTheSameBitsInAnyOrder() {
    int n = 257;
    float[][] g = records(n, 5);
    double[] ref = partitioned(g, null, new Random(0), false);
    Random r = new Random(9);
    for (int trial = 0; trial < 30; trial++) {
      int level = r.nextInt(10);
      int cut = 1 + r.nextInt(n - 1);
      List<GradientAccumulator> parts = new ArrayList<>();
      for (int[] range : new int[][] {{0, cut}, {cut, n}}) {
        GradientAccumulator a = GradientAccumulator.forRange(range[0], range[1], W, B);
        for (int i = range[0]; i < range[1]; i++) {
          add(a, i, g[i], null);
        }
        long previous = -1;
        for (Map.Entry<Long, GradientAccumulator> e : a.splitByNode(level).entrySet()) {
          assertEquals(0, e.getKey() % (1L << level), "part keys are node (or larger block) starts");
          assertTrue(e.getKey() > previous, "parts in increasing order");
          previous = e.getKey();
          parts.add(GradientAccumulator.fromBytes(e.getValue().toBytes()));
        }
      }
      Collections.shuffle(parts, r);
      GradientAccumulator sum = GradientAccumulator.empty(W, B);
      for (GradientAccumulator p : parts) {
        sum.merge(p);
      }
      double[] got = sum.finishDouble();
      for (int i = 0; i < ref.length; i++) {
        assertEquals(Double.doubleToRawLongBits(ref[i]), Double.doubleToRawLongBits(got[i]),
            "level=" + level + " cut=" + cut + " element " + i);
      }
    }
    assertThrows(IllegalArgumentException.class, () -> GradientAccumulator.forRange(0, 1, W, B).splitByNode(63));
  }

  @Test
  void aMillionRecordsKeepFewOpenBlocks() {
    GradientAccumulator a = GradientAccumulator.forRange(3, 1_000_003, 1, 0);
    int maxOpen = 0;
    for (long i = 3; i < 1_000_003; i += 1 + (i % 3)) {
      a.add(i, new float[] {1f}, null);
      maxOpen = Math.max(maxOpen, a.openBlocks());
    }
    assertTrue(maxOpen <= 40, "open blocks " + maxOpen);
    byte[] bytes = a.toBytes();
    assertTrue(bytes.length < 4096, "partial bytes " + bytes.length);
    assertEquals(a.records(), GradientAccumulator.fromBytes(bytes).finishDouble()[0], 0.0);
    assertArrayEquals(new float[0], a.biasGradient());
  }

  @Test
  void misuseIsRejected() {
    GradientAccumulator a = GradientAccumulator.forRange(0, 10, 1, 1);
    a.add(4, new float[] {1}, new float[] {2});
    assertThrows(IllegalArgumentException.class, () -> a.add(4, new float[] {1}, new float[] {2}));
    assertThrows(IllegalArgumentException.class, () -> a.add(5, new float[] {1, 2}, new float[] {2}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> a.add(6, new float[] {Float.NaN}, new float[] {2}));
    assertTrue(e.getMessage().contains("not finite"), e.getMessage());
    GradientAccumulator b = GradientAccumulator.forRange(8, 12, 1, 1);
    e = assertThrows(IllegalArgumentException.class, () -> a.merge(b));
    assertTrue(e.getMessage().contains("both cover"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> a.add(9, new float[] {1}, new float[] {2}));
    byte[] bytes = a.toBytes();
    bytes[0] = 'X';
    assertThrows(IllegalArgumentException.class, () -> GradientAccumulator.fromBytes(bytes));
    assertThrows(IllegalArgumentException.class,
        () -> GradientAccumulator.fromBytes(java.util.Arrays.copyOf(a.toBytes(), 30)));
    assertThrows(IllegalArgumentException.class, () -> a.merge(GradientAccumulator.empty(2, 1)));
  }
}

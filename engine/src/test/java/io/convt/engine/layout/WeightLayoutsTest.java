package io.convt.engine.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.ArrayDataSource;
import io.convt.engine.ConvTranspose;
import io.convt.engine.KernelOptions;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.golden.GoldenCase;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

class WeightLayoutsTest {
  private static float[] iota(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    return a;
  }

  @Test
  void pytorchToMpsToPytorchIsTheIdentity() { // §7.2
    int[][] shapes = {{6, 2, 3, 5}, {4, 3, 2, 2}, {5, 1, 4, 4}};
    int[] groups = {3, 1, 5};
    for (int s = 0; s < shapes.length; s++) {
      int[] sh = shapes[s];
      float[] pt = iota(sh[0] * sh[1] * sh[2] * sh[3]);
      int[] g = WeightLayouts.geometry(WeightLayout.PYTORCH, sh, groups[s]);
      float[] mps = WeightLayouts.toMps(WeightLayout.PYTORCH, pt, sh, groups[s]);
      assertArrayEquals(pt, WeightLayouts.fromMps(WeightLayout.PYTORCH, mps, g[0], g[1], g[2], g[3], groups[s]));
    }
  }

  @Test
  void conversionTransposesChannelsAndFlipsBothAxes() { // §1.4 on one tap
    int cin = 4, cog = 3, kh = 2, kw = 3, groups = 2; // Cout = 6, Cig = 2
    float[] pt = iota(cin * cog * kh * kw);
    float[] mps = WeightLayouts.toMps(WeightLayout.PYTORCH, pt, new int[] {cin, cog, kh, kw}, groups);
    // Wm[o=4][ky=0][kx=2][il=1] = Wpt[i = 1*2+1 = 3][ol = 1][kh-1-0 = 1][kw-1-2 = 0]
    float expected = pt[((3 * cog + 1) * kh + 1) * kw];
    assertEquals(expected, mps[((4 * kh) * kw + 2) * 2 + 1]);
  }

  @Test
  void tensorflowRoundTripAndFlip() {
    int kh = 3, kw = 2, cout = 4, cin = 5;
    float[] tf = iota(kh * kw * cout * cin);
    float[] mps = WeightLayouts.toMps(WeightLayout.TENSORFLOW, tf, new int[] {kh, kw, cout, cin}, 1);
    assertArrayEquals(tf, WeightLayouts.fromMps(WeightLayout.TENSORFLOW, mps, cout, kh, kw, cin, 1));
    // Wm[o][ky][kx][i] = F[kH-1-ky][kW-1-kx][o][i]
    assertEquals(tf[((2 * kw + 1) * cout + 3) * cin + 4], mps[((3 * kh) * kw) * cin + 4]);
    assertThrows(IllegalArgumentException.class,
        () -> WeightLayouts.toMps(WeightLayout.TENSORFLOW, tf, new int[] {kh, kw, cout, cin}, 2));
  }

  @Test
  void withoutTheFlipTheGoldenComparisonFails() { // §7: the flip matters
    GoldenCase c = GoldenCase.load("s2_k3_p1_op1");
    int[] sh = c.w().shape();
    int cin = sh[0], cout = sh[1], kh = sh[2], kw = sh[3];
    float[] flipped = WeightLayouts.toMps(WeightLayout.PYTORCH, c.w().floats(), sh, 1);
    float[] unflipped = new float[flipped.length];
    for (int o = 0; o < cout; o++) {
      for (int ky = 0; ky < kh; ky++) {
        for (int kx = 0; kx < kw; kx++) {
          for (int i = 0; i < cin; i++) {
            unflipped[((o * kh + ky) * kw + kx) * cin + i] = c.w().floats()[((i * cout + o) * kh + ky) * kw + kx];
          }
        }
      }
    }
    double tol = 1e-4 * GoldenCase.maxAbs(c.array("y").floats());
    assertTrue(run(c, flipped) <= tol, "with the flip the case passes");
    assertTrue(run(c, unflipped) > 100 * tol, "without the flip the output must differ clearly");
  }

  private static double run(GoldenCase c, float[] mps) {
    int[] sh = c.w().shape();
    ConvTranspose k = new ConvTranspose(new ArrayDataSource(
        c.geometry().descriptor(sh[0], sh[1], sh[2], sh[3]), mps, c.b().floats(), "flip"), KernelOptions.defaults());
    k.setPadding(c.geometry().padding());
    try (RootAllocator a = new RootAllocator(); ImageBatch src = c.source(a); ImageBatch dst = k.encodeBatch(a, src)) {
      return GoldenCase.maxDiff(GoldenCase.batchToNchw(dst), c.array("y").floats());
    }
  }

  @Test
  void onnxOutputShapeDerivesAsymmetricPads() {
    // in 5, k 3, s 2, d 1, op 0: full = 11. Height 10 -> total 1, NOTSET puts the odd one at the START
    // (pads[start] = total - total/2 = 1, pads[end] = total/2 = 0); width 9 -> total 2 -> 1 and 1.
    TorchConvTranspose2d g = TorchConvTranspose2d.onnx(new int[] {2, 2}, null, new int[] {0, 0}, new int[] {1, 1}, 1,
        new int[] {3, 3}, new int[] {5, 5}, new int[] {10, 9});
    assertEquals(1, g.padTop());
    assertEquals(0, g.padBottom());
    assertEquals(1, g.padLeft());
    assertEquals(1, g.padRight());
    assertArrayEquals(new int[] {10, 9}, g.outputSize(5, 5, 3, 3));
    float[] w = new float[9];
    ConvTranspose k = g.kernel(WeightLayout.PYTORCH, w, new int[] {1, 1, 3, 3}, null, KernelOptions.defaults(), "onnx");
    try (RootAllocator a = new RootAllocator();
        ImageBatch src = ImageBatch.allocate(a, 1, 5, 5, 1);
        ImageBatch dst = k.encodeBatch(a, src)) {
      assertEquals(10, dst.height());
      assertEquals(9, dst.width());
    }
  }

  @Test
  void mismatchedShapesAndLayoutsAreClearErrors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WeightLayouts.toMps(WeightLayout.PYTORCH, new float[10], new int[] {2, 3, 2, 2}, 1));
    assertTrue(e.getMessage().contains("holds 24 values but 10"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> WeightLayouts.toMps(WeightLayout.PYTORCH, new float[24], new int[] {3, 2, 2, 2}, 2));
    assertTrue(e.getMessage().contains("not divisible by groups 2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> WeightLayout.parse("nchw"));
    assertTrue(e.getMessage().contains("pytorch, mps"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TorchConvTranspose2d.pytorch(
        new int[] {2, 2}, new int[] {0, 0}, new int[] {2, 0}, new int[] {1, 1}, 1));
    assertTrue(e.getMessage().contains("output_padding=2,0"), e.getMessage());
  }
}

package io.convt.engine.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.ConvTranspose;
import io.convt.engine.KernelOptions;
import io.convt.engine.arrow.ImageBatch;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/**
 * ONNX {@code auto_pad}/{@code output_shape} geometry: the pad split of ONNX's operator spec, and, as an oracle
 * independent of the split arithmetic, the output equals the window of the unpadded ("full") output that ONNX's
 * pads select, with zeros beyond the full output.
 */
class OnnxGeometryTest {
  private static final int[] ONE = {1, 1};

  private static int[] pads(TorchConvTranspose2d g) {
    return new int[] {g.padTop(), g.padLeft(), g.padBottom(), g.padRight(), g.outputPaddingH(), g.outputPaddingW()};
  }

  @Test
  void sameUpperPutsTheOddPadAtTheEndSameLowerAndNotsetAtTheStart() {
    // ONNX test_convtranspose_autopad_same: in 3, k 3, s 2 -> full 7, output 6, total 1
    int[] s = {2, 2};
    TorchConvTranspose2d up = TorchConvTranspose2d.onnx(OnnxAutoPad.SAME_UPPER, s, null, new int[2], ONE, 1,
        new int[] {3, 3}, new int[] {3, 3}, null);
    assertArrayEquals(new int[] {0, 0, 1, 1, 0, 0}, pads(up));
    TorchConvTranspose2d low = TorchConvTranspose2d.onnx(OnnxAutoPad.SAME_LOWER, s, null, new int[2], ONE, 1,
        new int[] {3, 3}, new int[] {3, 3}, null);
    assertArrayEquals(new int[] {1, 1, 0, 0, 0, 0}, pads(low));
    TorchConvTranspose2d notset = TorchConvTranspose2d.onnx(OnnxAutoPad.NOTSET, s, null, new int[2], ONE, 1,
        new int[] {3, 3}, new int[] {3, 3}, new int[] {6, 6});
    assertArrayEquals(pads(low), pads(notset));
    assertArrayEquals(new int[] {6, 6}, up.outputSize(3, 3, 3, 3));
  }

  @Test
  void outputShapeLargerThanTheFullOutputAddsZerosAtTheEnd() {
    // ONNX test_convtranspose_output_shape: in 3x3, k 3, s (3, 2), output_shape (10, 8); full is 9x7, total -1:
    // floor division gives start 0, end -1, i.e. one extra row and column at the end
    TorchConvTranspose2d g = TorchConvTranspose2d.onnx(new int[] {3, 2}, null, new int[2], ONE, 1,
        new int[] {3, 3}, new int[] {3, 3}, new int[] {10, 8});
    assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1}, pads(g));
    assertArrayEquals(new int[] {10, 8}, g.outputSize(3, 3, 3, 3));
    // test_convtranspose_kernel_shape: the same with output_padding (1, 1) -> total 0
    TorchConvTranspose2d k = TorchConvTranspose2d.onnx(new int[] {3, 2}, null, new int[] {1, 1}, ONE, 1,
        new int[] {3, 3}, new int[] {3, 3}, new int[] {10, 8});
    assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1}, pads(k));
  }

  @Test
  void derivedGeometryIsTheOnnxWindowOfTheFullOutput() {
    Random r = new Random(19);
    int h = 4, w = 5, cin = 2, cout = 3, kh = 3, kw = 2;
    int[] stride = {2, 3};
    int[] dil = {1, 2};
    float[] x = new float[h * w * cin];
    float[] wt = new float[cin * cout * kh * kw];
    float[] b = {0.5f, -1f, 2f};
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat() - 0.5f;
    }
    for (int i = 0; i < wt.length; i++) {
      wt[i] = r.nextFloat() - 0.5f;
    }
    int[] shape = {cin, cout, kh, kw};
    TorchConvTranspose2d fullGeo = TorchConvTranspose2d.onnx(stride, null, new int[2], dil, 1, null, null, null);
    int[] fullHw = fullGeo.outputSize(h, w, kh, kw);
    assertArrayEquals(new int[] {9, 15}, fullHw);
    float[] full = run(fullGeo, wt, shape, b, x, h, w, cin);
    for (OnnxAutoPad mode : new OnnxAutoPad[] {OnnxAutoPad.NOTSET, OnnxAutoPad.SAME_UPPER, OnnxAutoPad.SAME_LOWER}) {
      // totals (full 9 x 15 minus target) of 0, 1, 2, 3 and, where the split leaves the start pad >= 0, -1
      int[][] targets = mode == OnnxAutoPad.SAME_UPPER ? new int[][] {{7, 12}, {8, 15}, {9, 13}, {6, 14}}
          : new int[][] {{7, 12}, {8, 15}, {9, 13}, {6, 14}, {10, 16}, {9, 16}};
      for (int[] target : targets) {
        TorchConvTranspose2d g = TorchConvTranspose2d.onnx(mode, stride, null, new int[2], dil, 1,
            new int[] {kh, kw}, new int[] {h, w}, target);
        float[] y = run(g, wt, shape, b, x, h, w, cin);
        assertEquals(target[0] * target[1] * cout, y.length, mode + " " + target[0] + "x" + target[1]);
        int totalH = fullHw[0] - target[0];
        int totalW = fullHw[1] - target[1];
        int top = mode == OnnxAutoPad.SAME_UPPER ? Math.floorDiv(totalH, 2) : totalH - Math.floorDiv(totalH, 2);
        int left = mode == OnnxAutoPad.SAME_UPPER ? Math.floorDiv(totalW, 2) : totalW - Math.floorDiv(totalW, 2);
        for (int oy = 0; oy < target[0]; oy++) {
          for (int ox = 0; ox < target[1]; ox++) {
            for (int c = 0; c < cout; c++) {
              int fy = oy + top;
              int fx = ox + left;
              boolean inside = fy >= 0 && fy < fullHw[0] && fx >= 0 && fx < fullHw[1];
              float want = inside ? full[(fy * fullHw[1] + fx) * cout + c] : b[c];
              assertEquals(want, y[(oy * target[1] + ox) * cout + c], 1e-6f,
                  mode + " " + target[0] + "x" + target[1] + " at " + oy + "," + ox + "," + c);
            }
          }
        }
      }
    }
  }

  private static float[] run(TorchConvTranspose2d g, float[] wt, int[] shape, float[] b, float[] x, int h, int w,
      int cin) {
    ConvTranspose k = g.kernel(WeightLayout.PYTORCH, wt, shape, b, KernelOptions.defaults(), "onnx");
    try (RootAllocator a = new RootAllocator(); ImageBatch src = ImageBatch.allocate(a, 1, h, w, cin)) {
      src.writeAll(x, 0);
      try (ImageBatch dst = k.encodeBatch(a, src)) {
        float[] out = new float[dst.height() * dst.width() * dst.channels()];
        dst.readAll(out, 0);
        return out;
      }
    }
  }

  @Test
  void inexpressibleOrConflictingGeometryIsAClearError() {
    // k 1, s 2: SAME_UPPER wants output 2*in but the full output is 2*in-1: start pad floor(-1/2) = -1
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchConvTranspose2d.onnx(
        OnnxAutoPad.SAME_UPPER, new int[] {2, 2}, null, new int[2], ONE, 1, new int[] {1, 1}, new int[] {3, 3}, null));
    assertTrue(e.getMessage().contains("start pad -1"), e.getMessage());
    // stride 1: the full output is 5, one more row would need output_padding 1 >= max(stride, dilation)
    e = assertThrows(IllegalArgumentException.class, () -> TorchConvTranspose2d.onnx(ONE, null,
        new int[2], ONE, 1, new int[] {3, 3}, new int[] {3, 3}, new int[] {6, 5}));
    assertTrue(e.getMessage().contains("height output 6 exceeds the full output 5"), e.getMessage());
    // two more rows: NOTSET's split would start at -1
    e = assertThrows(IllegalArgumentException.class, () -> TorchConvTranspose2d.onnx(new int[] {3, 3}, null,
        new int[2], ONE, 1, new int[] {3, 3}, new int[] {3, 3}, new int[] {11, 9}));
    assertTrue(e.getMessage().contains("needs start pad -1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TorchConvTranspose2d.onnx(OnnxAutoPad.SAME_UPPER,
        new int[] {2, 2}, new int[] {1, 1, 1, 1}, new int[2], ONE, 1, new int[] {3, 3}, new int[] {3, 3}, null));
    assertTrue(e.getMessage().contains("exclude auto_pad same_upper"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TorchConvTranspose2d.onnx(OnnxAutoPad.VALID,
        new int[] {2, 2}, null, new int[2], ONE, 1, new int[] {3, 3}, new int[] {3, 3}, new int[] {6, 6}));
    assertTrue(e.getMessage().contains("output_shape needs auto_pad"), e.getMessage());
    assertEquals(OnnxAutoPad.SAME_LOWER, OnnxAutoPad.parse("same-lower"));
    e = assertThrows(IllegalArgumentException.class, () -> OnnxAutoPad.parse("same"));
    assertTrue(e.getMessage().contains("--auto-pad"), e.getMessage());
  }
}

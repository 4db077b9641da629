package io.convt.engine.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.layout.OnnxAutoPad;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import java.nio.file.Path;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/**
 * Input-dependent pads ({@code --auto-pad same_*}): the layer derived per input size (sharing the loaded weights,
 * not cached per size) computes what a layer opened with those pads computes.
 */
class LayerForInputTest {
  private static final int CIN = 5;
  private static final int COUT = 3;

  @Test
  void everyInputSizeEqualsALayerOpenedWithItsPads() {
    Random r = new Random(7);
    float[] w = new float[COUT * 3 * 3 * CIN];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    float[] bias = {0.5f, -1f, 0.25f};
    WeightGeometry g = new WeightGeometry(COUT, 3, 3, CIN);
    TorchConvTranspose2d strided =
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[2], new int[2], new int[] {1, 1}, 1);
    LayerSpec spec = LayerSpec.of(Path.of("w.npy"), null, WeightLayout.MPS, strided)
        .withOnnxSizing(OnnxAutoPad.SAME_UPPER, null);
    Layer auto = Layer.of(spec, w, bias, g);
    try (BufferAllocator alloc = new RootAllocator()) {
      for (int[] hw : new int[][] {{3, 3}, {4, 7}, {9, 2}, {3, 3}}) {
        TorchConvTranspose2d pads = TorchConvTranspose2d.onnx(OnnxAutoPad.SAME_UPPER, new int[] {2, 2}, null,
            new int[2], new int[] {1, 1}, 1, new int[] {3, 3}, hw, null);
        Layer fixed = Layer.of(LayerSpec.of(Path.of("w.npy"), null, WeightLayout.MPS, pads), w, bias, g);
        try (ImageBatch src = ImageBatch.allocate(alloc, 2, hw[0], hw[1], CIN)) {
          for (int n = 0; n < 2; n++) {
            float[] px = new float[hw[0] * hw[1] * CIN];
            for (int i = 0; i < px.length; i++) {
              px[i] = (float) r.nextGaussian();
            }
            src.writeHWC(n, px);
          }
          try (ImageBatch a = auto.apply(alloc, src); ImageBatch b = fixed.apply(alloc, src)) {
            assertEquals(b.shape(), a.shape());
            assertEquals(2 * hw[0], a.height(), "SAME_UPPER doubles the size at stride 2");
            float[] x = new float[a.count() * a.imageSize()];
            float[] y = new float[x.length];
            a.readAll(x, 0);
            b.readAll(y, 0);
            assertArrayEquals(y, x, "input " + hw[0] + "x" + hw[1]);
          }
          assertEquals(fixed.outputShape(hw[0], hw[1]), auto.outputShape(hw[0], hw[1]));
        }
      }
    }
  }
}

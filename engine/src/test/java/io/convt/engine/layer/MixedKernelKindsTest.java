package io.convt.engine.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.convt.engine.KernelOptions;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.backend.KernelImpl;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import java.nio.file.Path;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/**
 * One layer whose images alternate between widths that pick different vectorised forward kernels (few output
 * channels: wide rows run the TAPS kernel, narrow rows the dense one). Packed weights are shared by the plans of a
 * weight shape, so a pack made for one kind must never be handed to a plan of the other: every call equals the
 * scalar reference.
 */
class MixedKernelKindsTest {
  private static final int CIN = 4;
  private static final int COUT = 3;

  @Test
  void alternatingWidthsEqualTheScalarKernel() {
    Random r = new Random(11);
    float[] w = new float[COUT * 4 * 4 * CIN];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    float[] bias = {0.5f, -1f, 0.25f};
    WeightGeometry g = new WeightGeometry(COUT, 4, 4, CIN);
    TorchConvTranspose2d k4s2 =
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {1, 1}, new int[2], new int[] {1, 1}, 1);
    LayerSpec spec = LayerSpec.of(Path.of("w.npy"), null, WeightLayout.MPS, k4s2);
    Layer simd = Layer.of(spec.withOptions(KernelOptions.defaults().withImpl(KernelImpl.SIMD)), w, bias, g);
    Layer scalar = Layer.of(spec.withOptions(KernelOptions.defaults().withImpl(KernelImpl.SCALAR)), w, bias, g);
    try (BufferAllocator alloc = new RootAllocator()) {
      for (int[] hw : new int[][] {{6, 40}, {5, 3}, {6, 40}, {4, 2}, {7, 33}, {5, 3}}) {
        try (ImageBatch src = ImageBatch.allocate(alloc, 2, hw[0], hw[1], CIN)) {
          for (int n = 0; n < 2; n++) {
            float[] px = new float[hw[0] * hw[1] * CIN];
            for (int i = 0; i < px.length; i++) {
              px[i] = (float) r.nextGaussian();
            }
            src.writeHWC(n, px);
          }
          try (ImageBatch a = simd.apply(alloc, src); ImageBatch b = scalar.apply(alloc, src)) {
            float[] x = new float[a.count() * a.imageSize()];
            float[] y = new float[x.length];
            a.readAll(x, 0);
            b.readAll(y, 0);
            assertArrayEquals(y, x, 1e-4f, "input " + hw[0] + "x" + hw[1]);
          }
        }
      }
    }
  }
}

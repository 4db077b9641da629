package io.convt.engine.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.ConvTranspose;
import io.convt.engine.ConvTransposeGradient;
import io.convt.engine.KernelOptions;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.NpyArray;
import io.convt.engine.layout.WeightLayout;
import io.convt.engine.layout.WeightLayouts;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Gradients against PyTorch autograd (float64 reference) on every golden case: {@code x.grad}, {@code w.grad}
 * (converted back to PyTorch layout) and {@code b.grad} for {@code y.backward(gy)}, summed over the batch, through
 * the public path: a batch encode with a gradient state, then {@link ConvTransposeGradient}. Both kernels.
 */
class GoldenBackwardTest {
  static Stream<Arguments> cases() {
    return Stream.of("scalar", "auto").flatMap(impl -> GoldenCase.names().stream().map(n -> Arguments.of(n, impl)));
  }

  @ParameterizedTest(name = "{0} [{1}]")
  @MethodSource("cases")
  void matchesAutograd(String name, String impl) {
    GoldenCase c = GoldenCase.load(name);
    ConvTranspose k = c.kernel(KernelOptions.defaults().withImpl(impl));
    ConvTransposeGradient grad = new ConvTransposeGradient(k);
    try (RootAllocator a = new RootAllocator(); ImageBatch src = c.source(a)) {
      ConvTranspose.StatefulResult fwd = k.encodeBatchWithState(a, src, null, false);
      try (ImageBatch y = fwd.image(); ImageBatch gy = NchwArrays.toBatch(a, c.array("gy"));
          ImageBatch gx = grad.encode(a, gy, src, fwd.state())) {
        assertClose(c.array("gx"), NchwArrays.fromBatch(gx), name + " gx");
        int[] sh = c.w().shape();
        int g = c.geometry().groups();
        int[] geo = WeightLayouts.geometry(WeightLayout.PYTORCH, sh, g);
        float[] gw = WeightLayouts.fromMps(WeightLayout.PYTORCH, fwd.state().gradientForWeights(), geo[0], geo[1], geo[2],
            geo[3], g);
        assertClose(c.array("gw"), gw, name + " gw");
        if (c.b() != null) {
          assertClose(c.array("gb"), fwd.state().gradientForBiases(), name + " gb");
        }
      }
    }
  }

  static void assertClose(NpyArray ref, float[] got, String what) {
    assertEquals(ref.size(), got.length, what + " size");
    double tol = 1e-4 * GoldenCase.maxAbs(ref.floats());
    double diff = GoldenCase.maxDiff(ref.floats(), got);
    assertTrue(diff <= tol, what + ": max |convt - autograd| = " + diff + " > " + tol);
  }
}

package io.convt.engine.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.ConvTranspose;
import io.convt.engine.KernelOptions;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.NpyArray;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Forward pass against PyTorch's {@code conv_transpose2d} (float64 reference) on every committed golden case, through
 * the public path a user takes: PyTorch weights, {@code TorchConvTranspose2d}, encodeBatch. Runs on each kernel
 * implementation so the vectorised twin is held to the same oracle.
 */
class GoldenForwardTest {
  static Stream<Arguments> cases() {
    List<String> names = GoldenCase.names();
    assertTrue(names.size() >= 20, "golden fixtures missing: " + names);
    return Stream.of("scalar", "auto").flatMap(impl -> names.stream().map(n -> Arguments.of(n, impl)));
  }

  @ParameterizedTest(name = "{0} [{1}]")
  @MethodSource("cases")
  void matchesPyTorch(String name, String impl) {
    GoldenCase c = GoldenCase.load(name);
    NpyArray y = c.array("y");
    ConvTranspose kernel = c.kernel(KernelOptions.defaults().withImpl(impl));
    try (RootAllocator alloc = new RootAllocator();
        ImageBatch src = c.source(alloc);
        ImageBatch dst = kernel.encodeBatch(alloc, src)) {
      assertArrayEquals(new int[] {y.shape()[0], y.shape()[2], y.shape()[3], y.shape()[1]},
          new int[] {dst.count(), dst.height(), dst.width(), dst.channels()}, name + ": output shape N,H,W,C");
      float[] got = GoldenCase.batchToNchw(dst);
      double tol = 1e-4 * GoldenCase.maxAbs(y.floats());
      double diff = GoldenCase.maxDiff(got, y.floats());
      assertTrue(diff <= tol, name + ": max |convt - torch| = " + diff + " > " + tol);
    }
  }
}

package io.convt.engine;

import static io.convt.engine.GradientFixtures.all;
import static io.convt.engine.GradientFixtures.fill;
import static io.convt.engine.GradientFixtures.randomize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.backend.KernelImpl;
import io.convt.engine.train.TrainingOptimizer;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vectorised backend reuses packed weights by weight version, without reading the weights: every public way of
 * changing a layer's weights after a cached call (reload from a state, an optimizer step, the data source's update
 * hook, setting the source's weights, a caller changing an array it handed over) must give the new weights' results.
 * Each step runs the forward pass and the data gradient twice on the SIMD kernel (the second call takes the cached
 * packing) and compares them with the scalar reference given the same weights; each step must also change the
 * output, or the test would pass with stale weights.
 */
class WeightUpdateTwinTest {
  private static final int N = 2;

  static List<Arguments> layers() {
    return List.of(
        Arguments.of("dense 16->16 k3 s2", ConvTransposeDescriptor.builder(3, 3, 16, 16).stride(2, 2).strictMps(false)
            .build(), 5, 6, WeightPrecision.FLOAT32),
        Arguments.of("few outputs 16->3 k4 s2", ConvTransposeDescriptor.builder(4, 4, 16, 3).stride(2, 2)
            .strictMps(false).build(), 6, 9, WeightPrecision.FLOAT32),
        Arguments.of("wide input 40->3 k3", ConvTransposeDescriptor.builder(3, 3, 40, 3).strictMps(false).build(),
            4, 5, WeightPrecision.FLOAT32),
        Arguments.of("depthwise 8 k3 s2", ConvTransposeDescriptor.builder(3, 3, 8, 8).stride(2, 2).groups(8)
            .strictMps(false).build(), 5, 7, WeightPrecision.FLOAT32),
        Arguments.of("1x1 input 32->16 k4", ConvTransposeDescriptor.builder(4, 4, 32, 16).strictMps(false).build(),
            1, 1, WeightPrecision.FLOAT32),
        Arguments.of("dense fp16 weights 16->16 k3 s2", ConvTransposeDescriptor.builder(3, 3, 16, 16).stride(2, 2)
            .strictMps(false).build(), 5, 6, WeightPrecision.FLOAT16));
  }

  /** A SIMD and a scalar kernel sharing one data source, run side by side. */
  private record Twin(ConvTranspose simd, ConvTranspose scalar) {
    static Twin of(ConvDataSource ds, WeightPrecision precision) {
      KernelOptions o = KernelOptions.defaults().withThreads(2).withWeightPrecision(precision);
      Twin t = new Twin(new ConvTranspose(ds, o.withImpl(KernelImpl.SIMD)),
          new ConvTranspose(ds, o.withImpl(KernelImpl.SCALAR)));
      // full padding: every kernel tap reaches the destination, so every packed weight counts
      t.simd.setPadding(StandardPadding.FULL);
      t.scalar.setPadding(StandardPadding.FULL);
      if (!t.simd.implementation().equals("simd")) {
        fail("the vectorised kernel did not load, so nothing is tested: " + t.simd.implementation());
      }
      return t;
    }

    void reload(WeightsAndBiasesState s) {
      simd.reloadWeightsAndBiases(s);
      scalar.reloadWeightsAndBiases(s);
    }

    void reloadFromDataSource() {
      simd.reloadWeightsAndBiasesFromDataSource();
      scalar.reloadWeightsAndBiasesFromDataSource();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void everyWeightUpdateAfterACachedCallComputesWithTheNewWeights(
      String name, ConvTransposeDescriptor d, int h, int w, WeightPrecision precision) {
    Random r = new Random(name.hashCode());
    float[] bias = fill(r, new float[d.outputFeatureChannels()]);
    TrainingOptimizer sgd = new TrainingOptimizer(new TrainingOptimizer.Settings(TrainingOptimizer.Kind.SGD, 0.5f, 1f,
        false, 0f, 0f, TrainingOptimizer.Regularization.NONE, 0f, 0f, false, 0.9, 0.9, 0.999, 1e-8f, false));
    // the hook moves the weights it is given along the gradient (a plain SGD step with rate 0.3)
    ArrayDataSource ds = new ArrayDataSource(d, fill(r, new float[d.weightCount()]), bias, name, (g, used) -> {
      float[] next = used.weights().clone();
      for (int i = 0; i < next.length; i++) {
        next[i] -= 0.3f * g.gradientForWeights()[i];
      }
      return new WeightsAndBiasesState(next, used.biases());
    });
    Twin t = Twin.of(ds, precision);
    try (BufferAllocator alloc = new RootAllocator();
        ImageBatch x = ImageBatch.allocate(alloc, N, h, w, d.inputFeatureChannels())) {
      randomize(r, x);
      Step s = new Step(alloc, x, r);
      s.check(t, "first load");

      WeightsAndBiasesState given = new WeightsAndBiasesState(fill(r, new float[d.weightCount()]), bias.clone());
      t.reload(given);
      s.check(t, "reloadWeightsAndBiases");
      ConvTranspose beforeStep = t.simd.copy();
      ConvTranspose beforeStepScalar = t.scalar.copy();

      fill(r, given.weights()); // the caller changes the array it handed over: the kernels copied it
      s.checkUnchanged(t, "caller changed the reloaded state's array");

      t.reload(sgd.encode(s.gradient, t.simd.exportWeightsAndBiases(), true));
      s.check(t, "optimizer step");

      WeightsAndBiasesState used = t.simd.exportWeightsAndBiases();
      assertTrue(ds.updateWithGradientState(s.gradient, used));
      t.reloadFromDataSource();
      s.check(t, "update hook + reloadWeightsAndBiasesFromDataSource");

      ds.setWeights(fill(r, new float[d.weightCount()]), bias);
      t.reloadFromDataSource();
      s.check(t, "setWeights + reloadWeightsAndBiasesFromDataSource");

      // a copy made before the optimizer step keeps its weights while the original uses new ones, call after call
      Twin old = new Twin(beforeStep, beforeStepScalar);
      for (int i = 0; i < 2; i++) {
        s.checkAgainstScalar(old, "copy holding older weights, call " + i);
        s.checkAgainstScalar(t, "original after the copy's call " + i);
      }
    }
  }

  /**
   * {@link Convolution} runs its adjoint's weights (a derived array) through the data gradient (its forward pass)
   * and the forward kernel (its data gradient): reloading must replace both packings.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void convolutionReloadAfterACachedCallComputesWithTheNewWeights(
      String name, ConvTransposeDescriptor d, int h, int w, WeightPrecision precision) {
    Random r = new Random(name.hashCode() + 1);
    ArrayDataSource ds = new ArrayDataSource(d, fill(r, new float[d.weightCount()]), null, name);
    KernelOptions o = KernelOptions.defaults().withThreads(2).withWeightPrecision(precision);
    Convolution simd = new Convolution(ds, o.withImpl(KernelImpl.SIMD));
    Convolution scalar = new Convolution(ds, o.withImpl(KernelImpl.SCALAR));
    assertEquals("simd", simd.backend().name(), "the vectorised kernel did not load, so nothing is tested");
    int k = Math.max(d.dilatedKernelHeight(), d.dilatedKernelWidth());
    try (BufferAllocator alloc = new RootAllocator();
        ImageBatch x = ImageBatch.allocate(alloc, N, h + k, w + k, d.inputFeatureChannels())) {
      randomize(r, x);
      float[] last = null;
      for (int step = 0; step < 3; step++) {
        if (step > 0) {
          WeightsAndBiasesState given = new WeightsAndBiasesState(fill(r, new float[d.weightCount()]), null);
          simd.reloadWeightsAndBiases(given);
          scalar.reloadWeightsAndBiases(given);
        }
        float[] want = null;
        float[] wantGrad = null;
        float[] gy = null;
        for (int call = 0; call < 3; call++) {
          Convolution c = call == 0 ? scalar : simd;
          Convolution.StatefulResult enc = c.encodeWithState(alloc, x);
          try (ImageBatch y = enc.image()) {
            if (gy == null) {
              gy = fill(r, new float[y.count() * y.imageSize()]);
            }
            try (ImageBatch g = ImageBatch.allocate(alloc, y.count(), y.height(), y.width(), y.channels())) {
              g.writeAll(gy, 0);
              try (ImageBatch dx = new ConvolutionGradient(c).encode(alloc, g, x, enc.state())) {
                if (call == 0) {
                  want = all(y);
                  wantGrad = all(dx);
                } else {
                  close(want, all(y), "convolution step " + step + ", forward, SIMD call " + call);
                  close(wantGrad, all(dx), "convolution step " + step + ", data gradient, SIMD call " + call);
                }
              }
            }
          }
        }
        if (last != null) {
          double moved = 0;
          for (int i = 0; i < last.length; i++) {
            moved = Math.max(moved, Math.abs(last[i] - want[i]));
          }
          assertTrue(moved > 0.05, "convolution step " + step + ": the output moved only " + moved);
        }
        last = want;
      }
    }
  }

  /** Runs a step's passes and keeps the last output and weight gradient. */
  private static final class Step {
    private final BufferAllocator alloc;
    private final ImageBatch x;
    private final Random r;
    private float[] lastOut;
    private GradientState gradient;

    Step(BufferAllocator alloc, ImageBatch x, Random r) {
      this.alloc = alloc;
      this.x = x;
      this.r = r;
    }

    /** Twin agreement, with an output different from the previous step's. */
    void check(Twin t, String step) {
      float[] before = lastOut;
      checkAgainstScalar(t, step);
      if (before != null) {
        double moved = 0;
        for (int i = 0; i < before.length; i++) {
          moved = Math.max(moved, Math.abs(before[i] - lastOut[i]));
        }
        assertTrue(moved > 0.05, step + ": the output moved only " + moved + ", so the step tests nothing");
      }
    }

    /** Twin agreement, with the previous step's output exactly. */
    void checkUnchanged(Twin t, String step) {
      float[] before = lastOut;
      checkAgainstScalar(t, step);
      assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(lastOut), step);
    }

    /** Forward and data gradient, each twice on the SIMD kernel, against the scalar kernel. */
    void checkAgainstScalar(Twin t, String step) {
      float[] want = null;
      float[] wantGrad = null;
      float[] gy = null;
      for (int call = 0; call < 3; call++) {
        ConvTranspose k = call == 0 ? t.scalar : t.simd;
        try (ImageBatch out = k.encodeBatch(alloc, x)) {
          if (gy == null) {
            gy = new float[out.count() * out.imageSize()];
            fill(r, gy);
          }
          try (ImageBatch g = ImageBatch.allocate(alloc, out.count(), out.height(), out.width(), out.channels())) {
            g.writeAll(gy, 0);
            List<ConvolutionTransposeGradientState> states = k.resultStateBatch(x, null, out);
            try (ImageBatch gx = new ConvTransposeGradient(k).encodeBatch(alloc, g, x, states)) {
              float[] o = all(out);
              float[] gi = all(gx);
              if (call == 0) {
                want = o;
                wantGrad = gi;
              } else {
                close(want, o, step + ", forward, SIMD call " + call);
                close(wantGrad, gi, step + ", data gradient, SIMD call " + call);
                lastOut = o;
                gradient = states.get(0);
              }
            }
          }
        }
      }
    }
  }

  private static void close(float[] want, float[] got, String what) {
    double scale = 1;
    for (float v : want) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < want.length; i++) {
      if (Math.abs(want[i] - got[i]) > 1e-4 * scale) {
        fail(what + ": element " + i + " is " + got[i] + ", the scalar reference " + want[i]);
      }
    }
  }
}

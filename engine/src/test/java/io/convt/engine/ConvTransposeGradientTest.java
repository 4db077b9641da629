package io.convt.engine;

import static io.convt.engine.GradientFixtures.absDot;
import static io.convt.engine.GradientFixtures.all;
import static io.convt.engine.GradientFixtures.dot;
import static io.convt.engine.GradientFixtures.randomLayer;
import static io.convt.engine.GradientFixtures.randomize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.arrow.ImageBatch;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/** Spec §5.2 and §7.4/§7.10: adjointness, finite differences, batch sums and misuse of the transpose gradient. */
class ConvTransposeGradientTest {

  /** ⟨convT(x), y⟩ = ⟨x, dataGrad(y)⟩ on random shapes with groups, dilation, stride, offsets and clips. */
  @Test
  void dataGradientIsTheAdjointOfTheForwardPass() {
    Random r = new Random(11);
    try (RootAllocator alloc = new RootAllocator()) {
      for (int trial = 0; trial < 40; trial++) {
        ConvTranspose k = randomLayer(r, trial % 2 == 0);
        int cin = k.inputFeatureChannels();
        int cout = k.outputFeatureChannels();
        int extraIn = r.nextInt(2) * 4;
        int extraOut = r.nextInt(2) * 4;
        k.setSourceFeatureChannelOffset(extraIn);
        k.setDestinationFeatureChannelOffset(extraOut);
        if (trial % 3 == 0) {
          k.setClipRect(ClipRect.of(r.nextInt(3), r.nextInt(3), 2 + r.nextInt(5), 2 + r.nextInt(5)));
        }
        int n = 1 + r.nextInt(3);
        try (ImageBatch x = ImageBatch.allocate(alloc, n, 1 + r.nextInt(4), 1 + r.nextInt(4), extraIn + cin + 1);
            ImageBatch out = ImageBatch.allocate(alloc, n, 2 + r.nextInt(8), 2 + r.nextInt(8), extraOut + cout);
            ImageBatch y = ImageBatch.allocate(alloc, n, out.height(), out.width(), out.channels())) {
          randomize(r, x);
          randomize(r, y);
          k.encodeBatch(x, out);
          List<ConvolutionTransposeGradientState> states = k.resultStateBatch(x, null, out);
          // The data gradient ignores the bias and neuron, so take the bias out of the forward side.
          float[] fwd = all(out);
          float[] bias = k.exportWeightsAndBiases().biases();
          ConvTransposeGradient grad = new ConvTransposeGradient(k);
          try (ImageBatch gx = grad.encodeBatch(alloc, y, x, states)) {
            float[] yv = all(y);
            double lhs = 0;
            double scale = 0;
            ConvolutionTransposeGradientState s = states.get(0);
            // Only clip pixels and the channel slice are written by the forward pass; outside, out stays 0.
            for (int i = 0; i < fwd.length; i++) {
              int c = i % out.channels();
              int px = (i / out.channels()) % (out.width() * out.height());
              int py = px / out.width();
              int pxx = px % out.width();
              boolean inClip = inside(k.clipRect(), py, pxx, out.height(), out.width());
              if (c >= extraOut && inClip) {
                double v = fwd[i] - (bias == null ? 0 : bias[c - extraOut]);
                lhs += v * yv[i];
                scale += Math.abs(v * yv[i]);
              }
            }
            float[] xv = all(x);
            float[] gv = all(gx);
            double rhs = dot(xv, gv);
            assertEquals(lhs, rhs, 1e-5 * (scale + absDot(xv, gv)) + 1e-9, s.describe());
          }
        }
      }
    }
  }

  private static boolean inside(ClipRect c, int y, int x, int h, int w) {
    return y >= ClipRect.lo(c.y(), h) && y < ClipRect.hi(c.y(), c.height(), h)
        && x >= ClipRect.lo(c.x(), w) && x < ClipRect.hi(c.x(), c.width(), w);
  }

  /** L(W, b) = ⟨convT(x), y⟩ is affine in W and b: central differences must equal dW and db. */
  @Test
  void weightAndBiasGradientsMatchFiniteDifferences() {
    Random r = new Random(5);
    try (RootAllocator alloc = new RootAllocator()) {
      for (int trial = 0; trial < 8; trial++) {
        ConvTranspose k = randomLayer(r, true);
        // Half the trials also use channel offsets and a clip, which the weight gradient must respect.
        int sfo = trial % 2 == 0 ? 0 : 4;
        int dfo = trial % 2 == 0 ? 0 : 4;
        k.setSourceFeatureChannelOffset(sfo);
        k.setDestinationFeatureChannelOffset(dfo);
        if (trial % 2 == 1) {
          k.setClipRect(ClipRect.of(1, 0, 3, 4));
        }
        try (ImageBatch x = ImageBatch.allocate(alloc, 2, 1 + r.nextInt(3), 1 + r.nextInt(3), sfo + k.inputFeatureChannels());
            ImageBatch out = ImageBatch.allocate(alloc, 2, 3 + r.nextInt(4), 3 + r.nextInt(4), dfo + k.outputFeatureChannels());
            ImageBatch y = ImageBatch.allocate(alloc, 2, out.height(), out.width(), out.channels())) {
          randomize(r, x);
          randomize(r, y);
          k.encodeBatch(x, out);
          ConvolutionTransposeGradientState s = k.resultStateBatch(x, null, out).get(0);
          ConvTransposeGradient grad = new ConvTransposeGradient(k);
          grad.setGradientOption(GradientOption.WEIGHTS_AND_BIAS);
          assertNull(grad.encode(alloc, y, x, s));
          WeightsAndBiasesState base = k.exportWeightsAndBiases();
          float h = 0.5f;
          for (int j = 0; j < base.weights().length; j++) {
            double fd = (loss(k, base, j, h, -1, x, out, y) - loss(k, base, j, -h, -1, x, out, y)) / (2 * h);
            assertEquals(fd, s.gradientForWeights()[j], 1e-4 * (1 + Math.abs(fd)), "dW[" + j + "] " + s.describe());
          }
          for (int o = 0; o < base.biases().length; o++) {
            double fd = (loss(k, base, -1, h, o, x, out, y) - loss(k, base, -1, -h, o, x, out, y)) / (2 * h);
            assertEquals(fd, s.gradientForBiases()[o], 1e-4 * (1 + Math.abs(fd)), "db[" + o + "]");
          }
        }
      }
    }
  }

  private static double loss(ConvTranspose k, WeightsAndBiasesState base, int wj, float h, int bo,
      ImageBatch x, ImageBatch out, ImageBatch y) {
    WeightsAndBiasesState p = base.copy();
    if (wj >= 0) {
      p.weights()[wj] += h;
    }
    if (bo >= 0) {
      p.biases()[bo] += h;
    }
    k.reloadWeightsAndBiases(p);
    k.encodeBatch(x, out);
    k.reloadWeightsAndBiases(base);
    return dot(all(out), all(y));
  }

  /** One state for the batch sums per-image gradients; per-image states (offset.z / clip.z) give the parts. */
  @Test
  void batchGradientIsTheSumOfPerImageGradients() {
    Random r = new Random(3);
    try (RootAllocator alloc = new RootAllocator()) {
      ConvTranspose k = randomLayer(r, true);
      int n = 3;
      try (ImageBatch x = ImageBatch.allocate(alloc, n, 3, 4, k.inputFeatureChannels());
          ImageBatch out = ImageBatch.allocate(alloc, n, 6, 5, k.outputFeatureChannels());
          ImageBatch y = ImageBatch.allocate(alloc, n, 6, 5, k.outputFeatureChannels())) {
        randomize(r, x);
        randomize(r, y);
        List<ConvolutionTransposeGradientState> states = k.resultStateBatch(x, null, out);
        assertEquals(n, states.size());
        assertSame(states.get(0), states.get(n - 1));
        ConvTransposeGradient grad = new ConvTransposeGradient(k);
        float[] batchGx;
        try (ImageBatch gx = grad.encodeBatch(alloc, y, x, states)) {
          batchGx = all(gx);
        }
        float[] sumW = new float[states.get(0).gradientForWeights().length];
        float[] sumB = new float[k.outputFeatureChannels()];
        float[] imageGx = new float[batchGx.length];
        for (int t = 0; t < n; t++) {
          Offset o = k.offset();
          k.setOffset(new Offset(o.x(), o.y(), t));
          k.setClipRect(new ClipRect(0, 0, t, Integer.MAX_VALUE, Integer.MAX_VALUE, 1));
          ConvolutionTransposeGradientState one = k.temporaryResultState(x, null, out);
          try (ImageBatch gx = grad.encode(alloc, y, x, one)) {
            float[] g = all(gx);
            for (int i = t * x.imageSize(); i < (t + 1) * x.imageSize(); i++) {
              imageGx[i] = g[i];
            }
          }
          assertEquals(0, one.readCount());
          assertThrows(IllegalStateException.class, () -> grad.encode(alloc, y, x, one));
          for (int i = 0; i < sumW.length; i++) {
            sumW[i] += one.gradientForWeights()[i];
          }
          for (int i = 0; i < sumB.length; i++) {
            sumB[i] += one.gradientForBiases()[i];
          }
        }
        for (int i = 0; i < batchGx.length; i++) {
          assertEquals(batchGx[i], imageGx[i], 0f, "dx is per image");
        }
        for (int i = 0; i < sumW.length; i++) {
          assertEquals(sumW[i], states.get(0).gradientForWeights()[i], 1e-5f * (1 + Math.abs(sumW[i])));
        }
        for (int i = 0; i < sumB.length; i++) {
          assertEquals(sumB[i], states.get(0).gradientForBiases()[i], 1e-5f * (1 + Math.abs(sumB[i])));
        }
      }
    }
  }

  @Test
  void misuseIsRejectedWithClearMessages() {
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 3, 2, 2).stride(2, 2).build();
    ConvTranspose k = new ConvTranspose(new ArrayDataSource(d, new float[d.weightCount()], null, "w"));
    ConvTransposeGradient grad = new ConvTransposeGradient(k);
    try (RootAllocator alloc = new RootAllocator();
        ImageBatch x = ImageBatch.allocate(alloc, 2, 3, 3, 2);
        ImageBatch other = ImageBatch.allocate(alloc, 2, 3, 3, 2);
        ImageBatch out = ImageBatch.allocate(alloc, 2, 5, 5, 2);
        ImageBatch badGy = ImageBatch.allocate(alloc, 2, 4, 5, 2);
        ImageBatch gy = ImageBatch.allocate(alloc, 2, 5, 5, 2)) {
      ConvolutionTransposeGradientState s = k.resultStateBatch(x, null, out).get(0);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> grad.encode(alloc, badGy, x, s));
      assertTrue(e.getMessage().startsWith("Cannot encode gradient: the incoming gradient"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> grad.encode(alloc, gy, other, s));
      assertTrue(e.getMessage().contains("another source batch"), e.getMessage());
      gy.set(1, 2, 3, 1, Float.NaN);
      e = assertThrows(IllegalArgumentException.class, () -> grad.encode(alloc, gy, x, s));
      assertTrue(e.getMessage().contains("not finite at image 1 pixel (2,3) channel 1"), e.getMessage());
      ConvTranspose k2 = new ConvTranspose(new ArrayDataSource(
          ConvTransposeDescriptor.builder(3, 3, 2, 2).build(), new float[d.weightCount()], null, "w2"));
      ConvolutionTransposeGradientState s2 = k2.resultStateBatch(x, null, out).get(0);
      e = assertThrows(IllegalArgumentException.class, () -> grad.encode(alloc, gy, x, s2));
      assertTrue(e.getMessage().contains("another descriptor"), e.getMessage());
      ConvolutionTransposeGradientState single = k.resultState(x, null, out);
      e = assertThrows(IllegalArgumentException.class, () -> grad.encodeBatch(alloc, gy, x, List.of(single, single)));
      assertTrue(e.getMessage().contains("single image"), e.getMessage());
      assertThrows(IllegalStateException.class, single::convolutionState);
    }
  }
}

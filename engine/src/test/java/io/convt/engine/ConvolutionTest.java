package io.convt.engine;

import static io.convt.engine.GradientFixtures.absDot;
import static io.convt.engine.GradientFixtures.all;
import static io.convt.engine.GradientFixtures.dot;
import static io.convt.engine.GradientFixtures.fill;
import static io.convt.engine.GradientFixtures.randomize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.arrow.ImageBatch;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/** The forward convolution, its gradient, and the auto-encoder pairing with the state-sized transpose (§2.2). */
class ConvolutionTest {

  private static ConvTransposeDescriptor randomDescriptor(Random r, int maxDilation) {
    int g = 1 + r.nextInt(2);
    return ConvTransposeDescriptor.builder(1 + r.nextInt(4), 1 + r.nextInt(4), g * (1 + r.nextInt(2)),
            g * (1 + r.nextInt(3)))
        .stride(1 + r.nextInt(3), 1 + r.nextInt(3)).dilation(1 + r.nextInt(maxDilation), 1 + r.nextInt(maxDilation))
        .groups(g).strictMps(false).build();
  }

  @Test
  void forwardMatchesTheDirectFormula() {
    Random r = new Random(8);
    try (RootAllocator alloc = new RootAllocator()) {
      for (int trial = 0; trial < 30; trial++) {
        ConvTransposeDescriptor d = randomDescriptor(r, 3);
        float[] w = fill(r, new float[d.weightCount()]);
        float[] b = fill(r, new float[d.outputFeatureChannels()]);
        Convolution conv = new Convolution(new ArrayDataSource(d, w, b, "c"));
        conv.setOffset(Offset.of(r.nextInt(5) - 2, r.nextInt(5) - 2));
        int cin = d.inputFeatureChannels();
        try (ImageBatch x = ImageBatch.allocate(alloc, 2, 2 + r.nextInt(6), 2 + r.nextInt(6), cin);
            ImageBatch y = ImageBatch.allocate(alloc, 2, 1 + r.nextInt(4), 1 + r.nextInt(4), d.outputFeatureChannels())) {
          randomize(r, x);
          conv.encode(x, y);
          int cig = d.inputChannelsPerGroup();
          int cog = d.outputChannelsPerGroup();
          int cy = d.dilatedKernelHeight() >> 1;
          int cx = d.dilatedKernelWidth() >> 1;
          for (int n = 0; n < 2; n++) {
            for (int jy = 0; jy < y.height(); jy++) {
              for (int jx = 0; jx < y.width(); jx++) {
                for (int o = 0; o < d.outputFeatureChannels(); o++) {
                  double acc = b[o];
                  for (int ky = 0; ky < d.kernelHeight(); ky++) {
                    for (int kx = 0; kx < d.kernelWidth(); kx++) {
                      int iy = conv.offset().y() + d.strideInPixelsY() * jy - cy + d.dilationRateY() * ky;
                      int ix = conv.offset().x() + d.strideInPixelsX() * jx - cx + d.dilationRateX() * kx;
                      if (iy < 0 || ix < 0 || iy >= x.height() || ix >= x.width()) {
                        continue;
                      }
                      for (int il = 0; il < cig; il++) {
                        acc += (double) w[((o * d.kernelHeight() + ky) * d.kernelWidth() + kx) * cig + il]
                            * x.get(n, iy, ix, (o / cog) * cig + il);
                      }
                    }
                  }
                  assertEquals(acc, y.get(n, jy, jx, o), 1e-5 * (1 + Math.abs(acc)), d + " trial " + trial);
                }
              }
            }
          }
        }
      }
    }
  }

  /** conv, then the transpose sized by conv's state: destination = conv source, and an exact adjoint pair. */
  @Test
  void stateSizedTransposeIsTheAdjointOfTheConvolution() {
    Random r = new Random(21);
    StandardPadding[] paddings = {StandardPadding.VALID, StandardPadding.SAME, StandardPadding.FULL,
        StandardPadding.SAME_REMAINDER_BOTTOM_RIGHT};
    try (RootAllocator alloc = new RootAllocator()) {
      for (int trial = 0; trial < 40; trial++) {
        ConvTransposeDescriptor d = randomDescriptor(r, 1);
        float[] w = fill(r, new float[d.weightCount()]);
        Convolution conv = new Convolution(new ArrayDataSource(d, w, null, "enc"));
        conv.setPadding(paddings[trial % paddings.length]);
        ConvTransposeDescriptor td = ConvTransposeDescriptor.builder(d.kernelWidth(), d.kernelHeight(),
                d.outputFeatureChannels(), d.inputFeatureChannels())
            .stride(d.strideInPixelsX(), d.strideInPixelsY()).groups(d.groups()).strictMps(false).build();
        ConvTranspose tr = new ConvTranspose(new ArrayDataSource(td, Convolution.swapAndFlip(d, w), null, "dec"));
        int h = d.dilatedKernelHeight() + r.nextInt(6);
        int wd = d.dilatedKernelWidth() + r.nextInt(6);
        try (ImageBatch x = ImageBatch.allocate(alloc, 2, h, wd, d.inputFeatureChannels())) {
          randomize(r, x);
          Convolution.StatefulResult enc = conv.encodeWithState(alloc, x);
          try (ImageBatch y = enc.image();
              ImageBatch gy = ImageBatch.allocate(alloc, 2, y.height(), y.width(), y.channels())) {
            randomize(r, gy);
            try (ImageBatch z = tr.encodeBatch(alloc, gy, enc.state())) {
              assertEquals(x.shape(), z.shape(), conv.padding() + " " + d);
              float[] yv = all(y);
              float[] gv = all(gy);
              float[] xv = all(x);
              float[] zv = all(z);
              assertEquals(dot(yv, gv), dot(xv, zv), 1e-5 * (absDot(yv, gv) + absDot(xv, zv)),
                  conv.padding() + " " + d);
            }
            // The convolution's own data gradient is the same adjoint.
            ConvolutionGradient grad = new ConvolutionGradient(conv);
            try (ImageBatch dx = grad.encode(alloc, gy, x, enc.state())) {
              float[] xv = all(x);
              float[] dxv = all(dx);
              assertEquals(dot(all(y), all(gy)), dot(xv, dxv), 1e-5 * (absDot(all(y), all(gy)) + absDot(xv, dxv)));
            }
          }
        }
      }
    }
  }

  @Test
  void convolutionWeightAndBiasGradientsMatchFiniteDifferences() {
    Random r = new Random(4);
    try (RootAllocator alloc = new RootAllocator()) {
      for (int trial = 0; trial < 6; trial++) {
        ConvTransposeDescriptor d = randomDescriptor(r, 2);
        float[] w = fill(r, new float[d.weightCount()]);
        float[] b = fill(r, new float[d.outputFeatureChannels()]);
        Convolution conv = new Convolution(new ArrayDataSource(d, w, b, "c"));
        try (ImageBatch x = ImageBatch.allocate(alloc, 2, 3 + r.nextInt(5), 3 + r.nextInt(5), d.inputFeatureChannels())) {
          randomize(r, x);
          Convolution.StatefulResult enc = conv.encodeWithState(alloc, x);
          try (ImageBatch y = enc.image();
              ImageBatch gy = ImageBatch.allocate(alloc, 2, y.height(), y.width(), y.channels())) {
            randomize(r, gy);
            ConvolutionGradient grad = new ConvolutionGradient(conv);
            grad.setGradientOption(GradientOption.WEIGHTS_AND_BIAS);
            grad.encode(alloc, gy, x, enc.state());
            WeightsAndBiasesState base = conv.exportWeightsAndBiases();
            float h = 0.5f;
            for (int j = 0; j < w.length + b.length; j++) {
              double fd = (loss(conv, base, j, h, x, y, gy) - loss(conv, base, j, -h, x, y, gy)) / (2 * h);
              float got = j < w.length ? enc.state().gradientForWeights()[j]
                  : enc.state().gradientForBiases()[j - w.length];
              assertEquals(fd, got, 1e-4 * (1 + Math.abs(fd)), "param " + j + " " + d);
            }
            ImageBatch other = ImageBatch.allocate(alloc, 2, x.height(), x.width(), x.channels());
            try (other) {
              IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                  () -> grad.encode(alloc, gy, other, enc.state()));
              assertTrue(e.getMessage().contains("this source batch"), e.getMessage());
              e = assertThrows(IllegalArgumentException.class, () -> grad.encode(alloc, x, x, enc.state()));
              assertTrue(e.getMessage().startsWith("Cannot encode convolution gradient"), e.getMessage());
            }
          }
        }
      }
    }
  }

  private static double loss(Convolution conv, WeightsAndBiasesState base, int j, float h, ImageBatch x,
      ImageBatch y, ImageBatch gy) {
    WeightsAndBiasesState p = base.copy();
    if (j < p.weights().length) {
      p.weights()[j] += h;
    } else {
      p.biases()[j - p.weights().length] += h;
    }
    conv.reloadWeightsAndBiases(p);
    conv.encode(x, y);
    conv.reloadWeightsAndBiases(base);
    return dot(all(y), all(gy));
  }
}

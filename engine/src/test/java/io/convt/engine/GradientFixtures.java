package io.convt.engine;

import io.convt.engine.arrow.ImageBatch;
import java.util.Random;

/** Random layers and images shared by the gradient tests. */
final class GradientFixtures {
  private GradientFixtures() {}

  /** A random layer: kernel, stride, dilation, groups and channels drawn from small ranges. */
  static ConvTranspose randomLayer(Random r, boolean bias) {
    int g = 1 + r.nextInt(2);
    int cin = g * (1 + r.nextInt(3));
    int cout = g * (1 + r.nextInt(3));
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(1 + r.nextInt(4), 1 + r.nextInt(3), cin, cout)
        .stride(1 + r.nextInt(3), 1 + r.nextInt(2)).dilation(1 + r.nextInt(2), 1 + r.nextInt(2)).groups(g)
        .strictMps(false).build();
    float[] w = fill(r, new float[d.weightCount()]);
    float[] b = bias ? fill(r, new float[cout]) : null;
    ConvTranspose k = new ConvTranspose(new ArrayDataSource(d, w, b, "rand"));
    k.setOffset(new Offset(r.nextInt(3) - 1, r.nextInt(3) - 1, 0));
    k.setKernelOffsetX(r.nextInt(3) - 1);
    k.setKernelOffsetY(r.nextInt(3) - 1);
    return k;
  }

  static float[] fill(Random r, float[] a) {
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return a;
  }

  static void randomize(Random r, ImageBatch b) {
    float[] a = fill(r, new float[b.count() * b.imageSize()]);
    b.writeAll(a, 0);
  }

  static float[] all(ImageBatch b) {
    float[] a = new float[b.count() * b.imageSize()];
    b.readAll(a, 0);
    return a;
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  static double absDot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += Math.abs((double) a[i] * b[i]);
    }
    return s;
  }
}

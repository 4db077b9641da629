package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.FloatVector;

/**
 * Weight gradient of tiny images (at most {@link #MAX_PIXELS} source pixels each, e.g. dcgan_proj's 1×1 inputs),
 * written straight into the OHWI gradient: for each output channel, kernel tap and run of input-channel vectors, the
 * sum over every (image, pixel) pair the tap connects stays in registers and is stored once. The blocked path keeps
 * per-task accumulators as large as the gradient and reduces image by image, so at 1×1 every micro-kernel call would
 * have one term and move several megabytes of accumulators per image. Each
 * gradient element is summed by one task over images, rows and columns in order, whatever the thread count.
 */
final class SimdWeightsDirect {
  /** Source pixels per image up to which this path is used. */
  static final int MAX_PIXELS = 16;
  private static final int L = Micro.L;

  private SimdWeightsDirect() {}

  static boolean applies(ConvProblem p) {
    return p.srcH() * p.srcW() <= MAX_PIXELS && !(p.cig() == 1 && p.cog() == 1);
  }

  static void run(ConvProblem p, float[] x, float[] g, float[] gW, int threads) {
    final int kk = p.kH() * p.kW();
    // per tap, the (source pixel, gradient pixel) index pairs it connects over all images (channel 0, no group)
    final int[][] xs = new int[kk][p.images() * p.srcH() * p.srcW()];
    final int[][] gs = new int[kk][xs[0].length];
    final int[] count = new int[kk];
    for (int ky = 0; ky < p.kH(); ky++) {
      for (int kx = 0; kx < p.kW(); kx++) {
        int k = ky * p.kW() + kx;
        for (int t = 0; t < p.images(); t++) {
          for (int iy = 0; iy < p.srcH(); iy++) {
            int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
            for (int ix = 0; ix < p.srcW() && v >= 0 && v < p.clipH(); ix++) {
              int u = ix * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
              if (u >= 0 && u < p.clipW()) {
                xs[k][count[k]] = (p.srcImage0() + t) * p.srcImageSize() + (iy * p.srcW() + ix) * p.srcC() + p.sfo();
                gs[k][count[k]++] = (p.dstImage0() + t) * p.dstImageSize()
                    + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC() + p.dfo();
              }
            }
          }
        }
      }
    }
    Parallel.forRange(p.cout(), threads, (from, to) -> {
      for (int o = from; o < to; o++) {
        int gr = o / p.cog();
        int xo = gr * p.cig();
        int ilEnd = Math.max(0, Math.min(p.cig(), p.cinRead() - xo));
        for (int k = 0; k < kk; k++) {
          int wi = (o * kk + k) * p.cig();
          int il = 0;
          for (; il + 4 * L <= ilEnd; il += 4 * L) {
            sum4(x, xs[k], xo + il, g, gs[k], o, count[k], gW, wi + il);
          }
          for (; il + L <= ilEnd; il += L) {
            FloatVector a = FloatVector.zero(Micro.S);
            for (int j = 0; j < count[k]; j++) {
              a = FloatVector.broadcast(Micro.S, g[gs[k][j] + o]).fma(FloatVector.fromArray(Micro.S, x,
                  xs[k][j] + xo + il), a);
            }
            a.intoArray(gW, wi + il);
          }
          for (; il < ilEnd; il++) {
            float a = 0f;
            for (int j = 0; j < count[k]; j++) {
              a = Math.fma(g[gs[k][j] + o], x[xs[k][j] + xo + il], a);
            }
            gW[wi + il] = a;
          }
          java.util.Arrays.fill(gW, wi + ilEnd, wi + p.cig(), 0f);
        }
      }
    });
  }

  /** Four vectors of one output channel and tap: {@code gW[w0 ..+4L) = Σ_j g[gs[j] + o] · x[xs[j] + c ..+4L)}. */
  private static void sum4(float[] x, int[] xs, int c, float[] g, int[] gs, int o, int n, float[] gW, int w0) {
    FloatVector a0 = FloatVector.zero(Micro.S);
    FloatVector a1 = FloatVector.zero(Micro.S);
    FloatVector a2 = FloatVector.zero(Micro.S);
    FloatVector a3 = FloatVector.zero(Micro.S);
    for (int j = 0; j < n; j++) {
      int xi = xs[j] + c;
      FloatVector b = FloatVector.broadcast(Micro.S, g[gs[j] + o]);
      a0 = b.fma(FloatVector.fromArray(Micro.S, x, xi), a0);
      a1 = b.fma(FloatVector.fromArray(Micro.S, x, xi + L), a1);
      a2 = b.fma(FloatVector.fromArray(Micro.S, x, xi + 2 * L), a2);
      a3 = b.fma(FloatVector.fromArray(Micro.S, x, xi + 3 * L), a3);
    }
    a0.intoArray(gW, w0);
    a1.intoArray(gW, w0 + L);
    a2.intoArray(gW, w0 + 2 * L);
    a3.intoArray(gW, w0 + 3 * L);
  }
}

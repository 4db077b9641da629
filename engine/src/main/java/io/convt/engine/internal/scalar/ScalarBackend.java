package io.convt.engine.internal.scalar;

import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.Half;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.KernelWeights;

/**
 * The scalar reference kernel: the formulas of the spec written as plain loops, single-threaded, accumulating in
 * double (FLOAT precision) or in emulated fp16 (HALF). It is the oracle every fast path is tested against, so it
 * stays obvious rather than fast.
 */
public final class ScalarBackend implements KernelBackend {
  /** The shared instance (stateless). */
  public static final ScalarBackend INSTANCE = new ScalarBackend();

  @Override
  public String name() {
    return "scalar";
  }

  /** Keeps nothing derived from the weights, so the version does not matter here. */
  @Override
  public void forward(
      ConvProblem p, float[] src, KernelWeights w, float[] bias, Activation neuron, float[] dst, int threads) {
    forward(p, src, w.values(), bias, neuron, dst, threads);
  }

  @Override
  public void backwardData(ConvProblem p, float[] gradOut, KernelWeights w, float[] gradIn, int threads) {
    backwardData(p, gradOut, w.values(), gradIn, threads);
  }

  @Override
  public void forward(
      ConvProblem p, float[] src, float[] w, float[] bias, Activation neuron, float[] dst, int threads) {
    final boolean half = p.halfAccumulation();
    final int cig = p.cig();
    final int cog = p.cog();
    for (int t = 0; t < p.images(); t++) {
      int srcBase = (p.srcImage0() + t) * p.srcImageSize();
      int dstBase = (p.dstImage0() + t) * p.dstImageSize();
      for (int v = 0; v < p.clipH(); v++) {
        for (int u = 0; u < p.clipW(); u++) {
          int out = dstBase + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC() + p.dfo();
          for (int o = 0; o < p.cout(); o++) {
            int gr = o / cog;
            double accD = 0;
            float accH = 0f;
            for (int ky = 0; ky < p.kH(); ky++) {
              int zy = p.tY() + v - p.cy() + p.dilY() * ky;
              if (zy < 0 || zy >= p.zH() || zy % p.strideY() != 0) {
                continue;
              }
              int iy = zy / p.strideY();
              for (int kx = 0; kx < p.kW(); kx++) {
                int zx = p.tX() + u - p.cx() + p.dilX() * kx;
                if (zx < 0 || zx >= p.zW() || zx % p.strideX() != 0) {
                  continue;
                }
                int ix = zx / p.strideX();
                int in = srcBase + (iy * p.srcW() + ix) * p.srcC() + p.sfo();
                int wBase = ((o * p.kH() + ky) * p.kW() + kx) * cig;
                for (int il = 0; il < cig; il++) {
                  int ic = gr * cig + il;
                  if (ic >= p.cinRead()) {
                    break;
                  }
                  if (half) {
                    accH = Half.round(Math.fma(w[wBase + il], src[in + ic], accH));
                  } else {
                    accD += (double) w[wBase + il] * src[in + ic];
                  }
                }
              }
            }
            float acc = half ? accH : (float) accD;
            if (bias != null) {
              acc = half ? Half.round(acc + bias[o]) : (float) (accD + bias[o]);
            }
            dst[out + o] = neuron.apply(acc, o);
          }
        }
      }
    }
  }

  @Override
  public void backwardData(ConvProblem p, float[] gradOut, float[] w, float[] gradIn, int threads) {
    final int cig = p.cig();
    final int cog = p.cog();
    final int pixels = p.srcH() * p.srcW();
    double[] acc = new double[pixels * p.cinRead()];
    for (int t = 0; t < p.images(); t++) {
      java.util.Arrays.fill(acc, 0.0);
      int dstBase = (p.dstImage0() + t) * p.dstImageSize();
      for (int v = 0; v < p.clipH(); v++) {
        for (int u = 0; u < p.clipW(); u++) {
          int out = dstBase + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC() + p.dfo();
          for (int o = 0; o < p.cout(); o++) {
            double g = gradOut[out + o];
            int gr = o / cog;
            for (int ky = 0; ky < p.kH(); ky++) {
              int zy = p.tY() + v - p.cy() + p.dilY() * ky;
              if (zy < 0 || zy >= p.zH() || zy % p.strideY() != 0) {
                continue;
              }
              int iy = zy / p.strideY();
              for (int kx = 0; kx < p.kW(); kx++) {
                int zx = p.tX() + u - p.cx() + p.dilX() * kx;
                if (zx < 0 || zx >= p.zW() || zx % p.strideX() != 0) {
                  continue;
                }
                int ix = zx / p.strideX();
                int wBase = ((o * p.kH() + ky) * p.kW() + kx) * cig;
                for (int il = 0; il < cig; il++) {
                  int ic = gr * cig + il;
                  if (ic >= p.cinRead()) {
                    break;
                  }
                  acc[(iy * p.srcW() + ix) * p.cinRead() + ic] += w[wBase + il] * g;
                }
              }
            }
          }
        }
      }
      int srcBase = (p.srcImage0() + t) * p.srcImageSize();
      for (int px = 0; px < pixels; px++) {
        for (int ic = 0; ic < p.cinRead(); ic++) {
          gradIn[srcBase + px * p.srcC() + p.sfo() + ic] = (float) acc[px * p.cinRead() + ic];
        }
      }
    }
  }

  @Override
  public void backwardWeights(
      ConvProblem p, float[] src, float[] gradOut, float[] gradW, float[] gradB, int threads) {
    final int cig = p.cig();
    final int cog = p.cog();
    double[] accW = new double[p.weightCount()];
    double[] accB = new double[p.cout()];
    for (int t = 0; t < p.images(); t++) {
      int srcBase = (p.srcImage0() + t) * p.srcImageSize();
      int dstBase = (p.dstImage0() + t) * p.dstImageSize();
      for (int v = 0; v < p.clipH(); v++) {
        for (int u = 0; u < p.clipW(); u++) {
          int out = dstBase + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC() + p.dfo();
          for (int o = 0; o < p.cout(); o++) {
            double g = gradOut[out + o];
            accB[o] += g;
            int gr = o / cog;
            for (int ky = 0; ky < p.kH(); ky++) {
              int zy = p.tY() + v - p.cy() + p.dilY() * ky;
              if (zy < 0 || zy >= p.zH() || zy % p.strideY() != 0) {
                continue;
              }
              int iy = zy / p.strideY();
              for (int kx = 0; kx < p.kW(); kx++) {
                int zx = p.tX() + u - p.cx() + p.dilX() * kx;
                if (zx < 0 || zx >= p.zW() || zx % p.strideX() != 0) {
                  continue;
                }
                int ix = zx / p.strideX();
                int in = srcBase + (iy * p.srcW() + ix) * p.srcC() + p.sfo();
                int wBase = ((o * p.kH() + ky) * p.kW() + kx) * cig;
                for (int il = 0; il < cig; il++) {
                  int ic = gr * cig + il;
                  if (ic >= p.cinRead()) {
                    break;
                  }
                  accW[wBase + il] += g * src[in + ic];
                }
              }
            }
          }
        }
      }
    }
    for (int i = 0; i < accW.length; i++) {
      gradW[i] = (float) accW[i];
    }
    if (gradB != null) {
      for (int o = 0; o < accB.length; o++) {
        gradB[o] = (float) accB[o];
      }
    }
  }
}

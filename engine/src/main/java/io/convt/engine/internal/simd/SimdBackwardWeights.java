package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised weight gradient: for each tap (ky, kx) a small GEMM {@code gW[o][il] = Σ_pixels g[pix][o]·x[pix'][il]}
 * over the pixels that tap connects (never an inserted zero). A task owns (group, tap, block of 4 output channels)
 * and walks images and pixels in a fixed order, so the result does not depend on the thread count. Register block:
 * 4 output channels (broadcast) × two vectors of input channels; depthwise uses channel lanes instead.
 */
final class SimdBackwardWeights {
  private static final VectorSpecies<Float> S = SimdForward.S;
  private static final int L = SimdForward.L;
  private static final int OB = 4;

  private SimdBackwardWeights() {}

  static void run(ConvProblem p, float[] src, float[] g, float[] gW, float[] gB, int threads) {
    final int kk = p.kH() * p.kW();
    final boolean depthwise = p.cig() == 1 && p.cog() == 1;
    final int oBlocks = depthwise ? 1 : (p.cog() + OB - 1) / OB;
    final int per = p.kW() * ((p.cig() + 2 * L - 1) / (2 * L)) * 8 * L;
    // output-channel blocks per task: their accumulators (obs·per floats) stay within ~128 KiB (L2)
    final int obs = Math.max(1, Math.min(oBlocks, 32768 / per));
    final int chunks = (oBlocks + obs - 1) / obs;
    final int tasks = depthwise ? kk : p.groups() * p.kH() * chunks;
    if (depthwise) {
      Parallel.forRange(tasks, threads, (from, to) -> {
        float[] acc = new float[2 * L];
        for (int i = from; i < to; i++) {
          depthwise(p, src, g, gW, i / p.kW(), i % p.kW(), acc);
        }
      });
    } else {
      // images outermost: one image's source and gradient stay in cache while every task reads them; each task
      // keeps its own accumulators, so every sum still runs over images, rows and columns in a fixed order
      float[][] accs = new float[tasks][obs * per];
      for (int t = 0; t < p.images(); t++) {
        final int image = t;
        Parallel.forRange(tasks, threads, (from, to) -> {
          for (int i = from; i < to; i++) {
            int chunk = i % chunks;
            int ob0 = chunk * obs;
            dense(p, src, g, i / (chunks * p.kH()), (i / chunks) % p.kH(), ob0, Math.min(obs, oBlocks - ob0),
                accs[i], image);
          }
        });
      }
      for (int i = 0; i < tasks; i++) {
        int ob0 = (i % chunks) * obs;
        store(p, gW, i / (chunks * p.kH()), (i / chunks) % p.kH(), ob0, Math.min(obs, oBlocks - ob0), accs[i]);
      }
    }
    if (gB != null) {
      for (int o = 0; o < p.cout(); o++) {
        double s = 0;
        for (int t = 0; t < p.images(); t++) {
          int base = (p.dstImage0() + t) * p.dstImageSize() + p.dfo() + o;
          for (int v = 0; v < p.clipH(); v++) {
            int row = base + ((p.clipY() + v) * p.dstW() + p.clipX()) * p.dstC();
            for (int u = 0; u < p.clipW(); u++) {
              s += g[row + u * p.dstC()];
            }
          }
        }
        gB[o] = (float) s;
      }
    }
  }

  /** First source column whose destination column for kernel column kx is ≥ 0, and one past the last inside the clip. */
  private static int ixFrom(ConvProblem p, int kx) {
    int c0 = -p.tX() + p.cx() - p.dilX() * kx; // u = ix·sX + c0
    return Math.max(0, Math.floorDiv(-c0 + p.strideX() - 1, p.strideX()));
  }

  private static int ixTo(ConvProblem p, int kx) {
    int c0 = -p.tX() + p.cx() - p.dilX() * kx;
    return Math.min(p.srcW(), Math.floorDiv(p.clipW() - 1 - c0, p.strideX()) + 1);
  }

  /**
   * One task: group gr, kernel row ky, output-channel blocks ob0..ob0+obs (4 channels each). Every source row it
   * touches is read once for all kernel columns, channel blocks and input-channel blocks while it sits in L1
   * ({@code accAll} holds [obs][kW][Cin blocks][8L]).
   */
  private static void dense(ConvProblem p, float[] x, float[] g, int gr, int ky, int ob0, int obs, float[] accAll,
      int image) {
    final int per = p.kW() * ((p.cig() + 2 * L - 1) / (2 * L)) * 8 * L;
    final int cig = p.cig();
    final int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
    final int nIB = (ilEnd + 2 * L - 1) / (2 * L);
    final int gStep = p.strideX() * p.dstC();
    final int xStep = p.srcC();
    for (int t = image; t < image + 1 && nIB > 0; t++) {
      int xImg = (p.srcImage0() + t) * p.srcImageSize() + p.sfo() + gr * cig;
      for (int iy = 0; iy < p.srcH(); iy++) {
        int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
        if (v < 0 || v >= p.clipH()) {
          continue;
        }
        for (int kx = 0; kx < p.kW(); kx++) {
          int ixFrom = ixFrom(p, kx);
          int ixTo = ixTo(p, kx);
          if (ixFrom >= ixTo) {
            continue;
          }
          int u = ixFrom * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
          int gPix = (p.dstImage0() + t) * p.dstImageSize() + p.dfo() + gr * p.cog()
              + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC();
          // output-channel blocks inside the row loop: the source row is read from L1 for all of them
          for (int j = 0; j < obs; j++) {
            int oc0 = (ob0 + j) * OB;
            int no = Math.min(OB, p.cog() - oc0);
            int gi = gPix + oc0;
            int e1 = no > 1 ? 1 : 0;
            int e2 = no > 2 ? 2 : 0;
            int e3 = no > 3 ? 3 : 0;
            for (int ib = 0; ib < nIB; ib++) {
              int il0 = ib * 2 * L;
              int xi = xImg + (iy * p.srcW() + ixFrom) * xStep + il0;
              int slot = j * per + (kx * nIB + ib) * 8 * L;
              if (il0 + 2 * L <= ilEnd) {
                Micro.bcast4x2(g, gi, e1, e2, e3, gStep, x, xi, xStep, ixTo - ixFrom, accAll, slot);
              } else {
                Micro.bcast4x2Masked(g, gi, e1, e2, e3, gStep, x, xi, xStep, ixTo - ixFrom,
                    S.indexInRange(il0, ilEnd), S.indexInRange(il0 + L, ilEnd), accAll, slot);
              }
            }
          }
        }
      }
    }
  }

  /** Writes a dense task's accumulators to the OHWI weight gradient (zeros for input channels not read). */
  private static void store(ConvProblem p, float[] gW, int gr, int ky, int ob0, int obs, float[] accAll) {
    final int per = p.kW() * ((p.cig() + 2 * L - 1) / (2 * L)) * 8 * L;
    final int cig = p.cig();
    final int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
    final int nIB = (ilEnd + 2 * L - 1) / (2 * L);
    for (int j = 0; j < obs; j++) {
      int oc0 = (ob0 + j) * OB;
      int o0 = gr * p.cog() + oc0;
      int no = Math.min(OB, p.cog() - oc0);
      for (int kx = 0; kx < p.kW(); kx++) {
        for (int q = 0; q < no; q++) {
          int wi = (((o0 + q) * p.kH() + ky) * p.kW() + kx) * cig;
          for (int ib = 0; ib < nIB; ib++) {
            int il0 = ib * 2 * L;
            System.arraycopy(accAll, j * per + (kx * nIB + ib) * 8 * L + q * 2 * L, gW, wi + il0,
                Math.min(2 * L, ilEnd - il0));
          }
          java.util.Arrays.fill(gW, wi + ilEnd, wi + cig, 0f);
        }
      }
    }
  }

  private static void depthwise(ConvProblem p, float[] x, float[] g, float[] gW, int ky, int kx, float[] acc) {
    final int kk = p.kH() * p.kW();
    final int ixFrom = ixFrom(p, kx);
    final int ixTo = ixTo(p, kx);
    final int gStep = p.strideX() * p.dstC();
    final int xStep = p.srcC();
    final int readable = Math.min(p.cout(), p.cinRead());
    for (int c0 = 0; c0 < p.cout(); c0 += L) {
      boolean full = c0 + L <= readable;
      VectorMask<Float> m = full ? S.maskAll(true) : S.indexInRange(c0, readable);
      java.util.Arrays.fill(acc, 0, 2 * L, 0f);
      for (int t = 0; t < p.images() && c0 < readable; t++) {
        int xImg = (p.srcImage0() + t) * p.srcImageSize() + p.sfo() + c0;
        int gImg = (p.dstImage0() + t) * p.dstImageSize() + p.dfo() + c0;
        for (int iy = 0; iy < p.srcH(); iy++) {
          int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
          if (v < 0 || v >= p.clipH() || ixFrom >= ixTo) {
            continue;
          }
          int xi = xImg + (iy * p.srcW() + ixFrom) * xStep;
          int u = ixFrom * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
          int gi = gImg + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC();
          Micro.pixelDot(x, xi, xStep, g, gi, gStep, ixTo - ixFrom, full, m, acc);
        }
      }
      for (int j = 0; j < L && c0 + j < p.cout(); j++) {
        // the two partial sums (even and odd pixels) are combined in a fixed order
        gW[(c0 + j) * kk + ky * p.kW() + kx] = c0 + j < readable ? acc[j] + acc[L + j] : 0f;
      }
    }
  }
}

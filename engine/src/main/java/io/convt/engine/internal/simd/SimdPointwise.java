package io.convt.engine.internal.simd;

import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvGeometry;
import io.convt.engine.internal.ConvProblem;

/**
 * Transposed convolutions whose source pixels never share an output pixel (1×1 sources such as DCGAN's projection,
 * or {@code stride ≥ dilation·(k−1)+1} on both axes), on small images. Each output pixel then receives at most one
 * (source pixel, tap) pair, so the layer is a GEMM per source pixel: {@code out[(tap, o)] = Σ_ci x[ci]·W[o][tap][ci]}
 * (MPS orientation: tap (ky, kx) of source row iy writes destination row {@code iy·sY − tY + cy − dilY·ky}, no 180°
 * rotation), with the clip cropping the taps that fall outside it. The data gradient is the transposed GEMM and the
 * weight gradient {@code gW[o][tap][:] = Σ_pixels g[o]·x[:]} (an outer product at one pixel).
 *
 * <p>With one source pixel in all (N = 1, 1×1) the work is a matrix-vector product over megabytes of weights that are
 * used once: every pass reads (or writes) the OHWI weights in place, streaming them once, since packing them, or
 * even checking that a cached pack is still current, would move the weights two or three times. The forward pass of
 * several pixels is a true GEMM and runs the DENSE register blocks on the DENSE packed weights, one panel per (group,
 * output-channel block, tap) serving every pixel.
 *
 * <p>Every output element is summed by one task in a fixed order; the data gradient's row slices (a number chosen
 * from the geometry alone) are added in slice order, so results never depend on the thread count.
 */
final class SimdPointwise {
  /** Source pixels per image up to which this path is used (larger images keep the stride-phase DENSE kernels). */
  static final int MAX_PIXELS = 16;
  /** Weight rows (output channel, tap) per data-gradient slice: 1024 rows of 100 channels are 400 KiB, half an L2. */
  static final int SLICE_ROWS = 1024;
  /** Most data-gradient slices: enough tasks for a few threads at N = 1. */
  static final int MAX_SLICES = 8;
  /** Weight rows per data-gradient chunk: a chunk's rows stay in L1 while every pixel group reduces over them. */
  private static final int CHUNK_ROWS = 64;
  private static final int W8 = MicroPointwise.W8;
  private static final int W4 = 4 * Micro.L;

  private SimdPointwise() {}

  /** Whether the geometry is one this path handles: no two source pixels reach one output pixel, few pixels. */
  static boolean applies(ConvGeometry p) {
    return !(p.cig() == 1 && p.cog() == 1) && (long) p.srcH() * p.srcW() <= MAX_PIXELS
        && (p.srcH() == 1 || p.strideY() > p.dilY() * (p.kH() - 1))
        && (p.srcW() == 1 || p.strideX() > p.dilX() * (p.kW() - 1));
  }

  /**
   * {@code [pixel·kk + tap]}: offset in a destination image (channel dfo) of the clip pixel that tap of that source
   * pixel reaches, or -1 where the tap falls outside the clip.
   */
  static int[] targets(ConvProblem p) {
    int kk = p.kH() * p.kW();
    int[] t = new int[p.srcH() * p.srcW() * kk];
    for (int iy = 0; iy < p.srcH(); iy++) {
      for (int ix = 0; ix < p.srcW(); ix++) {
        for (int ky = 0; ky < p.kH(); ky++) {
          int v = iy * p.strideY() - p.tY() + p.cy() - p.dilY() * ky;
          for (int kx = 0; kx < p.kW(); kx++) {
            int u = ix * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
            boolean in = v >= 0 && v < p.clipH() && u >= 0 && u < p.clipW();
            t[(iy * p.srcW() + ix) * kk + ky * p.kW() + kx] =
                in ? ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC() + p.dfo() : -1;
          }
        }
      }
    }
    return t;
  }

  /**
   * Per tap, the (source, destination) offsets of every (image, pixel) pair it connects, images in order: source
   * offsets at channel sfo, destination offsets at channel dfo, and the pair's source pixel index over all images
   * ({@code image·H·W + pixel}). {@code count[tap]} pairs each.
   */
  private record Pairs(int[][] src, int[][] dst, int[][] pixel, int[] count) {
    static Pairs of(ConvProblem p, int[] targets) {
      int kk = p.kH() * p.kW();
      int pix = p.srcH() * p.srcW();
      int[][] s = new int[kk][p.images() * pix];
      int[][] d = new int[kk][p.images() * pix];
      int[][] m = new int[kk][p.images() * pix];
      int[] n = new int[kk];
      for (int t = 0; t < p.images(); t++) {
        for (int q = 0; q < pix; q++) {
          for (int k = 0; k < kk; k++) {
            int to = targets[q * kk + k];
            if (to >= 0) {
              s[k][n[k]] = (p.srcImage0() + t) * p.srcImageSize() + q * p.srcC() + p.sfo();
              m[k][n[k]] = t * pix + q;
              d[k][n[k]++] = (p.dstImage0() + t) * p.dstImageSize() + to;
            }
          }
        }
      }
      return new Pairs(s, d, m, n);
    }
  }

  /** Forward pass (FLOAT accumulation); the plan's forward kind is DENSE. */
  static void forward(SimdPlan plan, ConvProblem p, float[] src, float[] w, float[] bias, Activation neuron,
      float[] dst, int threads) {
    int[] targets = targets(p);
    fillUnreached(p, targets, bias, neuron, dst);
    if (p.images() * p.srcH() * p.srcW() == 1) {
      PointwiseOnePixel.forward(plan, p, src, plan.forwardWeights(w), targets, bias, neuron, dst, threads);
    } else {
      forwardPacked(plan, p, src, plan.forwardWeights(w), Pairs.of(p, targets), bias, neuron, dst, threads);
    }
  }

  /** Clip pixels no tap reaches get the sum 0: bias and neuron only. */
  private static void fillUnreached(ConvProblem p, int[] targets, float[] bias, Activation neuron, float[] dst) {
    boolean[] reached = new boolean[p.clipH() * p.clipW()];
    for (int to : targets) {
      if (to >= 0) {
        int pixel = (to - p.dfo()) / p.dstC();
        reached[(pixel / p.dstW() - p.clipY()) * p.clipW() + pixel % p.dstW() - p.clipX()] = true;
      }
    }
    for (int c = 0; c < reached.length; c++) {
      if (reached[c]) {
        continue;
      }
      int at = ((p.clipY() + c / p.clipW()) * p.dstW() + p.clipX() + c % p.clipW()) * p.dstC() + p.dfo();
      for (int t = 0; t < p.images(); t++) {
        int base = (p.dstImage0() + t) * p.dstImageSize() + at;
        for (int o = 0; o < p.cout(); o++) {
          dst[base + o] = neuron.apply(bias == null ? 0f : bias[o], o);
        }
      }
    }
  }

  /**
   * Several source pixels: a task is (group, output-channel block, tap), claimed in weight order so the packed
   * panels stream once; the task's panel ({@code cig × cb}, the DENSE layout) serves its tap's pixels four at a time.
   */
  private static void forwardPacked(SimdPlan plan, ConvProblem p, float[] src, float[] wp, Pairs pairs,
      float[] bias, Activation neuron, float[] dst, int threads) {
    final int kk = p.kH() * p.kW();
    final int cb = plan.cb();
    final int blocks = plan.cogPad() / cb;
    final int cig = p.cig();
    Parallel.forClaimed(p.groups() * blocks * kk, threads, task -> {
      int k = task % kk;
      int ob = task / kk % blocks;
      int gr = task / (kk * blocks);
      int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      int o = gr * p.cog() + ob * cb;
      int no = Math.min(cb, p.cog() - ob * cb);
      int wb = Micro.ALIGN_PAD + ((gr * blocks + ob) * kk + k) * cig * cb;
      int[] xs = pairs.src()[k];
      int[] ds = pairs.dst()[k];
      int n = pairs.count()[k];
      float[] acc = new float[5 * cb];
      int junk = 4 * cb;
      for (int i = 0; i < n; i += 4) {
        int np = Math.min(4, n - i);
        java.util.Arrays.fill(acc, 0, 4 * cb, 0f);
        int a0 = xs[i] + gr * cig;
        MicroRows.rows(cb, np, src, a0, np > 1 ? xs[i + 1] - xs[i] : 0, np > 2 ? xs[i + 2] - xs[i] : 0,
            np > 3 ? xs[i + 3] - xs[i] : 0, wp, wb, ilEnd, acc, 0, np > 1 ? cb : junk, np > 2 ? 2 * cb : junk,
            np > 3 ? 3 * cb : junk);
        for (int q = 0; q < np; q++) {
          SimdForward.finish(acc, q * cb, dst, ds[i + q], o, no, bias, neuron);
        }
      }
    });
  }

  /**
   * Data gradient: {@code dx[pixel][ci] = Σ_{o, tap} g[target(pixel, tap)][o] · W[o][tap][ci]} along input-channel
   * lanes on the padded tap-major rows ({@link PointwiseOnePixel#padRows}, cached per weights version). One source
   * pixel in all: {@link PointwiseOnePixel#backwardData}. Several: a task is (slice of output channels, group, block
   * of {@link MicroPointwise#W8} input channels) and sums into the slice's partial sums, which are then added in slice
   * order (the slices are chosen from the geometry alone); per tap, chunks of {@link #CHUNK_ROWS} output channels
   * (contiguous rows) stay in L1 while the tap's pixels, three at a time, reduce over them, reading the gradient in
   * place (a tap's channels are contiguous in a gradient pixel).
   */
  static void backwardData(SimdPlan plan, ConvProblem p, float[] g, float[] w, float[] gradIn, int threads) {
    final float[] wp = plan.backwardDataWeights(w);
    final int[] targets = targets(p);
    final int pix = p.srcH() * p.srcW();
    final int m = p.images() * pix;
    if (m == 1) {
      PointwiseOnePixel.backwardData(p, g, wp, targets, gradIn, threads);
      return;
    }
    final int rf = PointwiseOnePixel.rowFloats(p.cig());
    final int kk = p.kH() * p.kW();
    final int cig = p.cig();
    final int cog = p.cog();
    final int slices = Math.max(1, Math.min(Math.min(MAX_SLICES, cog), cog * kk / SLICE_ROWS));
    final int nb = (cig + W8 - 1) / W8;
    final int perPixel = nb * W8;
    final Pairs pairs = Pairs.of(p, targets);
    // partial sums [slice][group][pixel][nb·W8], then per group one pixel of junk for short pixel groups
    final int sliceFloats = p.groups() * (m + 1) * perPixel;
    final float[] part = PointwiseOnePixel.partialSums(slices * sliceFloats);
    Parallel.forClaimed(slices * p.groups() * nb, threads, task -> {
      int b = task % nb;
      int gr = task / nb % p.groups();
      int s = task / (nb * p.groups());
      int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      int c0 = b * W8;
      if (c0 >= ilEnd) {
        return;
      }
      int width = Math.min(W8, ilEnd - c0);
      int oc0 = (int) ((long) cog * s / slices);
      int oc1 = (int) ((long) cog * (s + 1) / slices);
      int accBase = s * sliceFloats + gr * m * perPixel + c0;
      int junk = s * sliceFloats + (p.groups() * m + gr) * perPixel + c0;
      for (int k = 0; k < kk; k++) {
        int[] ds = pairs.dst()[k];
        int[] px = pairs.pixel()[k];
        int n = pairs.count()[k];
        for (int a = oc0; a < oc1; a += CHUNK_ROWS) {
          int no = Math.min(CHUNK_ROWS, oc1 - a);
          int w0 = Micro.ALIGN_PAD + ((gr * kk + k) * cog + a) * rf + c0;
          int gc = gr * cog + a;
          for (int i = 0; i < n; i += 3) {
            int np = Math.min(3, n - i);
            int at0 = accBase + px[i] * perPixel;
            int at1 = np > 1 ? accBase + px[i + 1] * perPixel : junk;
            int at2 = np > 2 ? accBase + px[i + 2] * perPixel : junk;
            int g0 = ds[i] + gc;
            int g1 = ds[i + (np > 1 ? 1 : 0)] + gc;
            int g2 = ds[i + (np > 2 ? 2 : 0)] + gc;
            for (int lo = 0; lo < width; lo += W4) {
              MicroPointwise.rows4x3(wp, w0 + lo, rf, g, g0, g1, g2, no, part, at0 + lo, at1 + lo, at2 + lo);
            }
          }
        }
      }
    });
    for (int gr = 0; gr < p.groups(); gr++) {
      int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
      for (int i = 0; i < m; i++) {
        int to = (p.srcImage0() + i / pix) * p.srcImageSize() + (i % pix) * p.srcC() + p.sfo() + gr * cig;
        int from = (gr * m + i) * perPixel;
        for (int il = 0; il < ilEnd; il++) {
          float sum = part[from + il];
          for (int s = 1; s < slices; s++) {
            sum += part[s * sliceFloats + from + il];
          }
          gradIn[to + il] = sum;
        }
      }
    }
    PointwiseOnePixel.release(part);
  }

  /**
   * Weight gradient straight into the OHWI gradient, each element stored once; input channels not read get 0. One
   * source pixel in all: an outer product, the pixel's channels in registers while each output channel's rows are
   * written. Several: a task owns three output channels of one group (every tap), each (row, block of input channels)
   * summed over the tap's (image, pixel) pairs in order. The bias gradient is {@link SimdBackwardWeights}'.
   */
  static void backwardWeights(ConvProblem p, float[] x, float[] g, float[] gW, float[] gB, int threads) {
    final int kk = p.kH() * p.kW();
    final int cig = p.cig();
    final int cog = p.cog();
    final int[] targets = targets(p);
    if (p.images() * p.srcH() * p.srcW() == 1) {
      final int x0 = p.srcImage0() * p.srcImageSize() + p.sfo();
      final int d0 = p.dstImage0() * p.dstImageSize();
      Parallel.forRange(p.cout(), threads, (from, to) -> {
        float[] gv = new float[kk];
        float[] xp = new float[W8];
        for (int o = from; o < to; o++) {
          int gr = o / cog;
          int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
          for (int k = 0; k < kk; k++) {
            gv[k] = targets[k] < 0 ? 0f : g[d0 + targets[k] + o];
          }
          for (int c0 = 0; c0 < ilEnd; c0 += W8) {
            int width = Math.min(W8, ilEnd - c0);
            System.arraycopy(x, x0 + gr * cig + c0, xp, 0, width);
            MicroPointwise.outer(xp, width, gv, 0, kk, gW, o * kk * cig + c0, cig);
          }
          for (int k = 0; k < kk; k++) {
            int w0 = (o * kk + k) * cig;
            // a tap the clip crops gets exact zeros (0·x would be NaN for an infinite x), as do channels not read
            java.util.Arrays.fill(gW, w0 + (targets[k] < 0 ? 0 : ilEnd), w0 + cig, 0f);
          }
        }
      });
    } else {
      final Pairs pairs = Pairs.of(p, targets);
      final int blocks = (cog + 2) / 3;
      Parallel.forRange(p.groups() * blocks, threads, (from, to) -> {
        float[] sums = new float[3 * W4];
        for (int task = from; task < to; task++) {
          int gr = task / blocks;
          int oc = task % blocks * 3;
          int no = Math.min(3, cog - oc);
          int o = gr * cog + oc;
          int ilEnd = Math.max(0, Math.min(cig, p.cinRead() - gr * cig));
          for (int k = 0; k < kk; k++) {
            int w0 = (o * kk + k) * cig;
            for (int c0 = 0; c0 < ilEnd; c0 += W4) {
              int width = Math.min(W4, ilEnd - c0);
              if (width == W4) {
                MicroPointwise.grad3x4(x, pairs.src()[k], gr * cig + c0, g, pairs.dst()[k], o, no > 1 ? 1 : 0,
                    no > 2 ? 2 : 0, pairs.count()[k], gW, w0 + c0, no > 1 ? kk * cig : 0, no > 2 ? 2 * kk * cig : 0);
                continue;
              }
              MicroPointwise.grad3x4Tail(x, pairs.src()[k], gr * cig + c0, g, pairs.dst()[k], o, no > 1 ? 1 : 0,
                  no > 2 ? 2 : 0, pairs.count()[k], width, sums);
              for (int q = 0; q < no; q++) {
                System.arraycopy(sums, q * W4, gW, w0 + q * kk * cig + c0, width);
              }
            }
            for (int q = 0; q < no && ilEnd < cig; q++) {
              java.util.Arrays.fill(gW, w0 + q * kk * cig + ilEnd, w0 + q * kk * cig + cig, 0f);
            }
          }
        }
      });
    }
    if (gB != null) {
      SimdBackwardWeights.biasGradient(p, g, gB, threads);
    }
  }
}

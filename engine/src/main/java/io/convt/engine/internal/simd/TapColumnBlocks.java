package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvGeometry;

/**
 * The DENSE data gradient's register blocks, cut per kernel column: the source columns one kernel column reaches
 * form one contiguous run (its destination column is linear in the source column), so each run is cut into blocks
 * of the widest kernels the register file holds, whatever the neighbouring columns' taps. Cutting by whole column
 * masks instead splits a row at every mask change (dcgan_l2's 8 columns: 1+4+2+1 pixels, half of them in the
 * two-pixel kernel).
 *
 * <p>Blocks of kernel column kx are {@code first[kx] .. first[kx+1]-1}; block t covers source columns
 * {@code column[t] .. column[t]+pixels[t]-1}.
 */
record TapColumnBlocks(int[] first, int[] column, int[] pixels) {
  /**
   * Whether the six-pixel × four-vector kernel fits the register file: 24 accumulators + 4 weights + 1 broadcast
   * need 32 vector registers, which x86 has with AVX-512 (512-bit preferred species) and not with AVX2 (16).
   */
  static final boolean SIX_PIXELS = Micro.S.vectorBitSize() >= 512;

  /** Blocks for {@code p} with channel blocks of {@code cb} floats ({@code cbL} = cb / L vectors). */
  static TapColumnBlocks of(ConvGeometry p, int cbL) {
    int[] first = new int[p.kW() + 1];
    int[] column = new int[p.kW() * p.srcW()];
    int[] pixels = new int[column.length];
    int n = 0;
    int[] sizes = new int[p.srcW() + 1];
    for (int kx = 0; kx < p.kW(); kx++) {
      first[kx] = n;
      int lo = -1;
      int hi = -1;
      for (int ix = 0; ix < p.srcW(); ix++) {
        int u = ix * p.strideX() - p.tX() + p.cx() - p.dilX() * kx;
        if (u >= 0 && u < p.clipW()) {
          lo = lo < 0 ? ix : lo;
          hi = ix + 1;
        }
      }
      if (lo < 0) {
        continue;
      }
      int nb = cut(hi - lo, cbL, sizes);
      for (int b = 0, ix = lo; b < nb; ix += sizes[b++]) {
        column[n] = ix;
        pixels[n++] = sizes[b];
      }
    }
    first[p.kW()] = n;
    return new TapColumnBlocks(first, column, pixels);
  }

  /**
   * Cuts a run of m columns into block sizes (written to {@code sizes}; returns how many) of least estimated cost.
   * A kernel's cost is its pixel capacity over its efficiency: two-pixel blocks hold too few accumulators to keep
   * the FMA ports busy; eight pixels only as whole blocks of two-vector channels ({@link MicroRows8}); five or six
   * with four-vector channels on 32 registers ({@link MicroRows6}).
   */
  static int cut(int m, int cbL, int[] sizes) {
    double[] best = new double[m + 1];
    int[] take = new int[m + 1];
    for (int k = 1; k <= m; k++) {
      best[k] = Double.MAX_VALUE;
      for (int s = 1; s <= Math.min(8, k); s++) {
        double c = cost(s, cbL);
        if (c < Double.MAX_VALUE && best[k - s] + c < best[k]) {
          best[k] = best[k - s] + c;
          take[k] = s;
        }
      }
    }
    int nb = 0;
    for (int k = m; k > 0; k -= take[k]) {
      sizes[nb++] = take[k];
    }
    return nb;
  }

  private static double cost(int s, int cbL) {
    if (s <= 2) {
      return 2.5;
    }
    if (s <= 4) {
      return 4.2;
    }
    if (s <= 6 && cbL == 4 && SIX_PIXELS) {
      return 6;
    }
    if (s == 8 && cbL == 2) {
      return 8;
    }
    return Double.MAX_VALUE;
  }
}

package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register blocks of four-vector channel blocks that write finished outputs: the sums start at zero, run the whole
 * reduction, and are stored with the bias added ({@code b + bias}) straight into the destination, for layers whose
 * every output is one call's sum ({@link DenseForwardRows#sumDirect}). Same terms in the same order as
 * {@link MicroRows6#rows6x4} and {@link MicroRows#rows4x4} on a zeroed row buffer followed by the finishing pass,
 * so the bits are the same; the row buffer's zeroing, accumulator loads and the finishing pass's copy are gone.
 * An absent pixel reads pixel 0's source ({@code d = 0}) and is stored over pixel 0 ({@code at = at0}) with pixel
 * 0's own values. Spelled out, as in {@link MicroRows}, so the accumulators stay in registers.
 */
final class MicroStores {
  static final VectorSpecies<Float> S = Micro.S;
  static final int L = Micro.L;

  private MicroStores() {}

  /**
   * {@code dst[at + q·as + k·L ..] = bias[bo + k·L ..] + Σ_i a[a0 + i + q·ds] · b[b0 + 4L·i + k·L ..]} for pixels
   * q &lt; np (5 or 6), vectors k &lt; 4, i &lt; n.
   */
  static void store6x4(float[] a, int a0, int ds, int np, float[] b, int b0, int n, float[] bias, int bo,
      float[] dst, int at, int as) {
    final int d5 = np > 5 ? 5 * ds : 0;
    final int at5 = np > 5 ? at + 5 * as : at;
    FloatVector z = FloatVector.zero(S);
    FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
    FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
    FloatVector c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
    for (int i = 0; i < n; i++) {
      int ai = a0 + i;
      int bi = b0 + i * (4 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
      FloatVector w3 = FloatVector.fromArray(S, b, bi + 3 * L);
      FloatVector x = FloatVector.broadcast(S, a[ai]);
      c00 = x.fma(w0, c00);
      c01 = x.fma(w1, c01);
      c02 = x.fma(w2, c02);
      c03 = x.fma(w3, c03);
      x = FloatVector.broadcast(S, a[ai + ds]);
      c10 = x.fma(w0, c10);
      c11 = x.fma(w1, c11);
      c12 = x.fma(w2, c12);
      c13 = x.fma(w3, c13);
      x = FloatVector.broadcast(S, a[ai + 2 * ds]);
      c20 = x.fma(w0, c20);
      c21 = x.fma(w1, c21);
      c22 = x.fma(w2, c22);
      c23 = x.fma(w3, c23);
      x = FloatVector.broadcast(S, a[ai + 3 * ds]);
      c30 = x.fma(w0, c30);
      c31 = x.fma(w1, c31);
      c32 = x.fma(w2, c32);
      c33 = x.fma(w3, c33);
      x = FloatVector.broadcast(S, a[ai + 4 * ds]);
      c40 = x.fma(w0, c40);
      c41 = x.fma(w1, c41);
      c42 = x.fma(w2, c42);
      c43 = x.fma(w3, c43);
      x = FloatVector.broadcast(S, a[ai + d5]);
      c50 = x.fma(w0, c50);
      c51 = x.fma(w1, c51);
      c52 = x.fma(w2, c52);
      c53 = x.fma(w3, c53);
    }
    FloatVector b0v = FloatVector.fromArray(S, bias, bo);
    FloatVector b1v = FloatVector.fromArray(S, bias, bo + L);
    FloatVector b2v = FloatVector.fromArray(S, bias, bo + 2 * L);
    FloatVector b3v = FloatVector.fromArray(S, bias, bo + 3 * L);
    c50.add(b0v).intoArray(dst, at5);
    c51.add(b1v).intoArray(dst, at5 + L);
    c52.add(b2v).intoArray(dst, at5 + 2 * L);
    c53.add(b3v).intoArray(dst, at5 + 3 * L);
    c00.add(b0v).intoArray(dst, at);
    c01.add(b1v).intoArray(dst, at + L);
    c02.add(b2v).intoArray(dst, at + 2 * L);
    c03.add(b3v).intoArray(dst, at + 3 * L);
    c10.add(b0v).intoArray(dst, at + as);
    c11.add(b1v).intoArray(dst, at + as + L);
    c12.add(b2v).intoArray(dst, at + as + 2 * L);
    c13.add(b3v).intoArray(dst, at + as + 3 * L);
    c20.add(b0v).intoArray(dst, at + 2 * as);
    c21.add(b1v).intoArray(dst, at + 2 * as + L);
    c22.add(b2v).intoArray(dst, at + 2 * as + 2 * L);
    c23.add(b3v).intoArray(dst, at + 2 * as + 3 * L);
    c30.add(b0v).intoArray(dst, at + 3 * as);
    c31.add(b1v).intoArray(dst, at + 3 * as + L);
    c32.add(b2v).intoArray(dst, at + 3 * as + 2 * L);
    c33.add(b3v).intoArray(dst, at + 3 * as + 3 * L);
    c40.add(b0v).intoArray(dst, at + 4 * as);
    c41.add(b1v).intoArray(dst, at + 4 * as + L);
    c42.add(b2v).intoArray(dst, at + 4 * as + 2 * L);
    c43.add(b3v).intoArray(dst, at + 4 * as + 3 * L);
  }

  /**
   * {@link #store6x4} for up to four pixels at offsets 0, d1, d2, d3 of {@code a}, stored at {@code at0..at3}
   * (an absent pixel: d = 0 and at = at0).
   */
  static void store4x4(float[] a, int a0, int d1, int d2, int d3, float[] b, int b0, int n, float[] bias, int bo,
      float[] dst, int at0, int at1, int at2, int at3) {
    FloatVector z = FloatVector.zero(S);
    FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
    FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
    for (int i = 0; i < n; i++) {
      int ai = a0 + i;
      int bi = b0 + i * (4 * L);
      FloatVector w0 = FloatVector.fromArray(S, b, bi);
      FloatVector w1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector w2 = FloatVector.fromArray(S, b, bi + 2 * L);
      FloatVector w3 = FloatVector.fromArray(S, b, bi + 3 * L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai]);
      c00 = x0.fma(w0, c00);
      c01 = x0.fma(w1, c01);
      c02 = x0.fma(w2, c02);
      c03 = x0.fma(w3, c03);
      FloatVector x1 = FloatVector.broadcast(S, a[ai + d1]);
      c10 = x1.fma(w0, c10);
      c11 = x1.fma(w1, c11);
      c12 = x1.fma(w2, c12);
      c13 = x1.fma(w3, c13);
      FloatVector x2 = FloatVector.broadcast(S, a[ai + d2]);
      c20 = x2.fma(w0, c20);
      c21 = x2.fma(w1, c21);
      c22 = x2.fma(w2, c22);
      c23 = x2.fma(w3, c23);
      FloatVector x3 = FloatVector.broadcast(S, a[ai + d3]);
      c30 = x3.fma(w0, c30);
      c31 = x3.fma(w1, c31);
      c32 = x3.fma(w2, c32);
      c33 = x3.fma(w3, c33);
    }
    FloatVector b0v = FloatVector.fromArray(S, bias, bo);
    FloatVector b1v = FloatVector.fromArray(S, bias, bo + L);
    FloatVector b2v = FloatVector.fromArray(S, bias, bo + 2 * L);
    FloatVector b3v = FloatVector.fromArray(S, bias, bo + 3 * L);
    c30.add(b0v).intoArray(dst, at3);
    c31.add(b1v).intoArray(dst, at3 + L);
    c32.add(b2v).intoArray(dst, at3 + 2 * L);
    c33.add(b3v).intoArray(dst, at3 + 3 * L);
    c20.add(b0v).intoArray(dst, at2);
    c21.add(b1v).intoArray(dst, at2 + L);
    c22.add(b2v).intoArray(dst, at2 + 2 * L);
    c23.add(b3v).intoArray(dst, at2 + 3 * L);
    c10.add(b0v).intoArray(dst, at1);
    c11.add(b1v).intoArray(dst, at1 + L);
    c12.add(b2v).intoArray(dst, at1 + 2 * L);
    c13.add(b3v).intoArray(dst, at1 + 3 * L);
    c00.add(b0v).intoArray(dst, at0);
    c01.add(b1v).intoArray(dst, at0 + L);
    c02.add(b2v).intoArray(dst, at0 + 2 * L);
    c03.add(b3v).intoArray(dst, at0 + 3 * L);
  }
}

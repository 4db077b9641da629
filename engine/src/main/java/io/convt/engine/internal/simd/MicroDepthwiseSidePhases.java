package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MicroDepthwisePhases}' blocks at the clip's left or right edge in row pairs whose patch rows are all inside:
 * only the outer patch columns are conditional (two tests per phase, around the first and last column's loads), so
 * these blocks run the interior block's straight-line code for every other column. {@link MicroDepthwiseEdgePhases}'
 * test around every outer row entry too cost its blocks ~1.6× an interior block's time, and at dw_k4_s2 (32 columns =
 * 4 blocks) half of the blocks of every interior row pair touch a side.
 */
final class MicroDepthwiseSidePhases {
  private static final VectorSpecies<Float> S = Micro.S;

  private MicroDepthwiseSidePhases() {}

  /**
   * {@link MicroDepthwisePhases#phases2x8} for a block whose patch rows lie inside the clip in every phase but whose
   * outer patch column {@code left} or {@code right} (gradient columns at phase (0, 0), relative to the clip) does
   * not: that column is read only in the phases where it lies inside, every other entry unconditionally, so each
   * output sees its taps in the order of {@link MicroDepthwisePhases#phases2x8}.
   */
  static void sides2x8(float[] g, int x, float[] wd, int wi, MicroDepthwisePhases.Steps k, int left,
      int right, int clipW, float[] o, int at, int os, int orow) {
    FloatVector a00 = FloatVector.zero(S);
    FloatVector a01 = a00;
    FloatVector a02 = a00;
    FloatVector a03 = a00;
    FloatVector a04 = a00;
    FloatVector a05 = a00;
    FloatVector a06 = a00;
    FloatVector a07 = a00;
    FloatVector a10 = a00;
    FloatVector a11 = a00;
    FloatVector a12 = a00;
    FloatVector a13 = a00;
    FloatVector a14 = a00;
    FloatVector a15 = a00;
    FloatVector a16 = a00;
    FloatVector a17 = a00;
    final int n = k.count();
    final int perRow = k.perRow();
    final int xStep = k.xStep();
    final int xJump = k.xJump();
    final int wStep = k.wStep();
    final int wJump = k.wJump();
    final int wRow = k.wRow();
    final int wCol = k.wCol();
    final int rs = k.rowStep();
    final int cs = k.colStep();
    final int rs2 = 2 * rs;
    for (int t = 0, col = 0; t < n; t++) {
      boolean inL = left - col >= 0 && left - col < clipW;
      boolean inR = right - col >= 0 && right - col < clipW;
      FloatVector w00 = FloatVector.fromArray(S, wd, wi);
      FloatVector w01 = FloatVector.fromArray(S, wd, wi + wCol);
      FloatVector w10 = FloatVector.fromArray(S, wd, wi + wRow);
      FloatVector w11 = FloatVector.fromArray(S, wd, wi + wRow + wCol);
      int c = x;
      if (inL) {
        FloatVector d00 = FloatVector.fromArray(S, g, c);
        FloatVector d10 = FloatVector.fromArray(S, g, c + rs);
        FloatVector d20 = FloatVector.fromArray(S, g, c + rs2);
        a00 = d00.fma(w11, a00);
        a10 = d10.fma(w11, a10);
        a00 = d10.fma(w01, a00);
        a10 = d20.fma(w01, a10);
      }
      c += cs;
      FloatVector d01 = FloatVector.fromArray(S, g, c);
      FloatVector d11 = FloatVector.fromArray(S, g, c + rs);
      FloatVector d21 = FloatVector.fromArray(S, g, c + rs2);
      a01 = d01.fma(w11, a01);
      a00 = d01.fma(w10, a00);
      a11 = d11.fma(w11, a11);
      a01 = d11.fma(w01, a01);
      a10 = d11.fma(w10, a10);
      a00 = d11.fma(w00, a00);
      a11 = d21.fma(w01, a11);
      a10 = d21.fma(w00, a10);
      c += cs;
      FloatVector d02 = FloatVector.fromArray(S, g, c);
      FloatVector d12 = FloatVector.fromArray(S, g, c + rs);
      FloatVector d22 = FloatVector.fromArray(S, g, c + rs2);
      a02 = d02.fma(w11, a02);
      a01 = d02.fma(w10, a01);
      a12 = d12.fma(w11, a12);
      a02 = d12.fma(w01, a02);
      a11 = d12.fma(w10, a11);
      a01 = d12.fma(w00, a01);
      a12 = d22.fma(w01, a12);
      a11 = d22.fma(w00, a11);
      c += cs;
      FloatVector d03 = FloatVector.fromArray(S, g, c);
      FloatVector d13 = FloatVector.fromArray(S, g, c + rs);
      FloatVector d23 = FloatVector.fromArray(S, g, c + rs2);
      a03 = d03.fma(w11, a03);
      a02 = d03.fma(w10, a02);
      a13 = d13.fma(w11, a13);
      a03 = d13.fma(w01, a03);
      a12 = d13.fma(w10, a12);
      a02 = d13.fma(w00, a02);
      a13 = d23.fma(w01, a13);
      a12 = d23.fma(w00, a12);
      c += cs;
      FloatVector d04 = FloatVector.fromArray(S, g, c);
      FloatVector d14 = FloatVector.fromArray(S, g, c + rs);
      FloatVector d24 = FloatVector.fromArray(S, g, c + rs2);
      a04 = d04.fma(w11, a04);
      a03 = d04.fma(w10, a03);
      a14 = d14.fma(w11, a14);
      a04 = d14.fma(w01, a04);
      a13 = d14.fma(w10, a13);
      a03 = d14.fma(w00, a03);
      a14 = d24.fma(w01, a14);
      a13 = d24.fma(w00, a13);
      c += cs;
      FloatVector d05 = FloatVector.fromArray(S, g, c);
      FloatVector d15 = FloatVector.fromArray(S, g, c + rs);
      FloatVector d25 = FloatVector.fromArray(S, g, c + rs2);
      a05 = d05.fma(w11, a05);
      a04 = d05.fma(w10, a04);
      a15 = d15.fma(w11, a15);
      a05 = d15.fma(w01, a05);
      a14 = d15.fma(w10, a14);
      a04 = d15.fma(w00, a04);
      a15 = d25.fma(w01, a15);
      a14 = d25.fma(w00, a14);
      c += cs;
      FloatVector d06 = FloatVector.fromArray(S, g, c);
      FloatVector d16 = FloatVector.fromArray(S, g, c + rs);
      FloatVector d26 = FloatVector.fromArray(S, g, c + rs2);
      a06 = d06.fma(w11, a06);
      a05 = d06.fma(w10, a05);
      a16 = d16.fma(w11, a16);
      a06 = d16.fma(w01, a06);
      a15 = d16.fma(w10, a15);
      a05 = d16.fma(w00, a05);
      a16 = d26.fma(w01, a16);
      a15 = d26.fma(w00, a15);
      c += cs;
      FloatVector d07 = FloatVector.fromArray(S, g, c);
      FloatVector d17 = FloatVector.fromArray(S, g, c + rs);
      FloatVector d27 = FloatVector.fromArray(S, g, c + rs2);
      a07 = d07.fma(w11, a07);
      a06 = d07.fma(w10, a06);
      a17 = d17.fma(w11, a17);
      a07 = d17.fma(w01, a07);
      a16 = d17.fma(w10, a16);
      a06 = d17.fma(w00, a06);
      a17 = d27.fma(w01, a17);
      a16 = d27.fma(w00, a16);
      c += cs;
      if (inR) {
        FloatVector d08 = FloatVector.fromArray(S, g, c);
        FloatVector d18 = FloatVector.fromArray(S, g, c + rs);
        FloatVector d28 = FloatVector.fromArray(S, g, c + rs2);
        a07 = d08.fma(w10, a07);
        a17 = d18.fma(w10, a17);
        a07 = d18.fma(w00, a07);
        a17 = d28.fma(w00, a17);
      }
      x += xStep;
      wi += wStep;
      if (++col == perRow) {
        col = 0;
        x += xJump;
        wi += wJump;
      }
    }
    a00.intoArray(o, at);
    a01.intoArray(o, at + os);
    a02.intoArray(o, at + 2 * os);
    a03.intoArray(o, at + 3 * os);
    a04.intoArray(o, at + 4 * os);
    a05.intoArray(o, at + 5 * os);
    a06.intoArray(o, at + 6 * os);
    a07.intoArray(o, at + 7 * os);
    a10.intoArray(o, at + orow);
    a11.intoArray(o, at + orow + os);
    a12.intoArray(o, at + orow + 2 * os);
    a13.intoArray(o, at + orow + 3 * os);
    a14.intoArray(o, at + orow + 4 * os);
    a15.intoArray(o, at + orow + 5 * os);
    a16.intoArray(o, at + orow + 6 * os);
    a17.intoArray(o, at + orow + 7 * os);
  }
  /**
   * {@link MicroDepthwisePhases#phases2x4} for a block whose patch rows lie inside the clip in every phase but whose
   * outer patch column {@code left} or {@code right} (gradient columns at phase (0, 0), relative to the clip) does
   * not: that column is read only in the phases where it lies inside, every other entry unconditionally, so each
   * output sees its taps in the order of {@link MicroDepthwisePhases#phases2x4}.
   */
  static void sides2x4(float[] g, int x, float[] wd, int wi, MicroDepthwisePhases.Steps k, int left,
      int right, int clipW, float[] o, int at, int os, int orow) {
    FloatVector a00 = FloatVector.zero(S);
    FloatVector a01 = a00;
    FloatVector a02 = a00;
    FloatVector a03 = a00;
    FloatVector a10 = a00;
    FloatVector a11 = a00;
    FloatVector a12 = a00;
    FloatVector a13 = a00;
    final int n = k.count();
    final int perRow = k.perRow();
    final int xStep = k.xStep();
    final int xJump = k.xJump();
    final int wStep = k.wStep();
    final int wJump = k.wJump();
    final int wRow = k.wRow();
    final int wCol = k.wCol();
    final int rs = k.rowStep();
    final int cs = k.colStep();
    final int rs2 = 2 * rs;
    for (int t = 0, col = 0; t < n; t++) {
      boolean inL = left - col >= 0 && left - col < clipW;
      boolean inR = right - col >= 0 && right - col < clipW;
      FloatVector w00 = FloatVector.fromArray(S, wd, wi);
      FloatVector w01 = FloatVector.fromArray(S, wd, wi + wCol);
      FloatVector w10 = FloatVector.fromArray(S, wd, wi + wRow);
      FloatVector w11 = FloatVector.fromArray(S, wd, wi + wRow + wCol);
      int c = x;
      if (inL) {
        FloatVector d00 = FloatVector.fromArray(S, g, c);
        FloatVector d10 = FloatVector.fromArray(S, g, c + rs);
        FloatVector d20 = FloatVector.fromArray(S, g, c + rs2);
        a00 = d00.fma(w11, a00);
        a10 = d10.fma(w11, a10);
        a00 = d10.fma(w01, a00);
        a10 = d20.fma(w01, a10);
      }
      c += cs;
      FloatVector d01 = FloatVector.fromArray(S, g, c);
      FloatVector d11 = FloatVector.fromArray(S, g, c + rs);
      FloatVector d21 = FloatVector.fromArray(S, g, c + rs2);
      a01 = d01.fma(w11, a01);
      a00 = d01.fma(w10, a00);
      a11 = d11.fma(w11, a11);
      a01 = d11.fma(w01, a01);
      a10 = d11.fma(w10, a10);
      a00 = d11.fma(w00, a00);
      a11 = d21.fma(w01, a11);
      a10 = d21.fma(w00, a10);
      c += cs;
      FloatVector d02 = FloatVector.fromArray(S, g, c);
      FloatVector d12 = FloatVector.fromArray(S, g, c + rs);
      FloatVector d22 = FloatVector.fromArray(S, g, c + rs2);
      a02 = d02.fma(w11, a02);
      a01 = d02.fma(w10, a01);
      a12 = d12.fma(w11, a12);
      a02 = d12.fma(w01, a02);
      a11 = d12.fma(w10, a11);
      a01 = d12.fma(w00, a01);
      a12 = d22.fma(w01, a12);
      a11 = d22.fma(w00, a11);
      c += cs;
      FloatVector d03 = FloatVector.fromArray(S, g, c);
      FloatVector d13 = FloatVector.fromArray(S, g, c + rs);
      FloatVector d23 = FloatVector.fromArray(S, g, c + rs2);
      a03 = d03.fma(w11, a03);
      a02 = d03.fma(w10, a02);
      a13 = d13.fma(w11, a13);
      a03 = d13.fma(w01, a03);
      a12 = d13.fma(w10, a12);
      a02 = d13.fma(w00, a02);
      a13 = d23.fma(w01, a13);
      a12 = d23.fma(w00, a12);
      c += cs;
      if (inR) {
        FloatVector d04 = FloatVector.fromArray(S, g, c);
        FloatVector d14 = FloatVector.fromArray(S, g, c + rs);
        FloatVector d24 = FloatVector.fromArray(S, g, c + rs2);
        a03 = d04.fma(w10, a03);
        a13 = d14.fma(w10, a13);
        a03 = d14.fma(w00, a03);
        a13 = d24.fma(w00, a13);
      }
      x += xStep;
      wi += wStep;
      if (++col == perRow) {
        col = 0;
        x += xJump;
        wi += wJump;
      }
    }
    a00.intoArray(o, at);
    a01.intoArray(o, at + os);
    a02.intoArray(o, at + 2 * os);
    a03.intoArray(o, at + 3 * os);
    a10.intoArray(o, at + orow);
    a11.intoArray(o, at + orow + os);
    a12.intoArray(o, at + orow + 2 * os);
    a13.intoArray(o, at + orow + 3 * os);
  }}

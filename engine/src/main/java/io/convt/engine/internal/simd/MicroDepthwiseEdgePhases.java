package io.convt.engine.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MicroDepthwisePhases}' blocks where the patch reaches past the clip (the image's edge rows and columns):
 * the same taps in the same order for every output, with the outer patch rows and columns read only in the phases
 * where they lie inside the clip, so edge pixels run at nearly the interior's speed instead of one-row blocks of one
 * pixel per edge column.
 */
final class MicroDepthwiseEdgePhases {
  private static final VectorSpecies<Float> S = Micro.S;

  private MicroDepthwiseEdgePhases() {}

  /**
   * {@link MicroDepthwisePhases#phases2x8} for a block at an edge of the clip: a patch entry of the outer rows and columns is read
   * only in the phases where it lies inside the clip ({@link MicroDepthwisePhases.Edges}); the inner entries must lie inside in every
   * phase. Each output sees its taps in the same order as in {@link MicroDepthwisePhases#phases2x8}.
   */
  static void edgePhases2x8(float[] g, int x, float[] wd, int wi, MicroDepthwisePhases.Steps k,
      MicroDepthwisePhases.Edges e, float[] o, int at, int os, int orow) {
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
    final int left = e.left();
    final int right = e.right();
    final int top = e.top();
    final int bottom = e.bottom();
    final int clipW = e.clipW();
    final int clipH = e.clipH();
    for (int t = 0, col = 0, py = 0; t < n; t++) {
      boolean inL = left - col >= 0 && left - col < clipW;
      boolean inR = right - col >= 0 && right - col < clipW;
      boolean inT = top - py >= 0 && top - py < clipH;
      boolean inB = bottom - py >= 0 && bottom - py < clipH;
      FloatVector w00 = FloatVector.fromArray(S, wd, wi);
      FloatVector w01 = FloatVector.fromArray(S, wd, wi + wCol);
      FloatVector w10 = FloatVector.fromArray(S, wd, wi + wRow);
      FloatVector w11 = FloatVector.fromArray(S, wd, wi + wRow + wCol);
      int c = x;
      if (inL) {
        if (inT) {
          FloatVector d = FloatVector.fromArray(S, g, c);
          a00 = d.fma(w11, a00);
        }
        FloatVector d10 = FloatVector.fromArray(S, g, c + rs);
        a10 = d10.fma(w11, a10);
        a00 = d10.fma(w01, a00);
        if (inB) {
          FloatVector d = FloatVector.fromArray(S, g, c + rs2);
          a10 = d.fma(w01, a10);
        }
      }
      c += cs;
      if (inT) {
        FloatVector d = FloatVector.fromArray(S, g, c);
        a01 = d.fma(w11, a01);
        a00 = d.fma(w10, a00);
      }
      FloatVector d11 = FloatVector.fromArray(S, g, c + rs);
      a11 = d11.fma(w11, a11);
      a01 = d11.fma(w01, a01);
      a10 = d11.fma(w10, a10);
      a00 = d11.fma(w00, a00);
      if (inB) {
        FloatVector d = FloatVector.fromArray(S, g, c + rs2);
        a11 = d.fma(w01, a11);
        a10 = d.fma(w00, a10);
      }
      c += cs;
      if (inT) {
        FloatVector d = FloatVector.fromArray(S, g, c);
        a02 = d.fma(w11, a02);
        a01 = d.fma(w10, a01);
      }
      FloatVector d12 = FloatVector.fromArray(S, g, c + rs);
      a12 = d12.fma(w11, a12);
      a02 = d12.fma(w01, a02);
      a11 = d12.fma(w10, a11);
      a01 = d12.fma(w00, a01);
      if (inB) {
        FloatVector d = FloatVector.fromArray(S, g, c + rs2);
        a12 = d.fma(w01, a12);
        a11 = d.fma(w00, a11);
      }
      c += cs;
      if (inT) {
        FloatVector d = FloatVector.fromArray(S, g, c);
        a03 = d.fma(w11, a03);
        a02 = d.fma(w10, a02);
      }
      FloatVector d13 = FloatVector.fromArray(S, g, c + rs);
      a13 = d13.fma(w11, a13);
      a03 = d13.fma(w01, a03);
      a12 = d13.fma(w10, a12);
      a02 = d13.fma(w00, a02);
      if (inB) {
        FloatVector d = FloatVector.fromArray(S, g, c + rs2);
        a13 = d.fma(w01, a13);
        a12 = d.fma(w00, a12);
      }
      c += cs;
      if (inT) {
        FloatVector d = FloatVector.fromArray(S, g, c);
        a04 = d.fma(w11, a04);
        a03 = d.fma(w10, a03);
      }
      FloatVector d14 = FloatVector.fromArray(S, g, c + rs);
      a14 = d14.fma(w11, a14);
      a04 = d14.fma(w01, a04);
      a13 = d14.fma(w10, a13);
      a03 = d14.fma(w00, a03);
      if (inB) {
        FloatVector d = FloatVector.fromArray(S, g, c + rs2);
        a14 = d.fma(w01, a14);
        a13 = d.fma(w00, a13);
      }
      c += cs;
      if (inT) {
        FloatVector d = FloatVector.fromArray(S, g, c);
        a05 = d.fma(w11, a05);
        a04 = d.fma(w10, a04);
      }
      FloatVector d15 = FloatVector.fromArray(S, g, c + rs);
      a15 = d15.fma(w11, a15);
      a05 = d15.fma(w01, a05);
      a14 = d15.fma(w10, a14);
      a04 = d15.fma(w00, a04);
      if (inB) {
        FloatVector d = FloatVector.fromArray(S, g, c + rs2);
        a15 = d.fma(w01, a15);
        a14 = d.fma(w00, a14);
      }
      c += cs;
      if (inT) {
        FloatVector d = FloatVector.fromArray(S, g, c);
        a06 = d.fma(w11, a06);
        a05 = d.fma(w10, a05);
      }
      FloatVector d16 = FloatVector.fromArray(S, g, c + rs);
      a16 = d16.fma(w11, a16);
      a06 = d16.fma(w01, a06);
      a15 = d16.fma(w10, a15);
      a05 = d16.fma(w00, a05);
      if (inB) {
        FloatVector d = FloatVector.fromArray(S, g, c + rs2);
        a16 = d.fma(w01, a16);
        a15 = d.fma(w00, a15);
      }
      c += cs;
      if (inT) {
        FloatVector d = FloatVector.fromArray(S, g, c);
        a07 = d.fma(w11, a07);
        a06 = d.fma(w10, a06);
      }
      FloatVector d17 = FloatVector.fromArray(S, g, c + rs);
      a17 = d17.fma(w11, a17);
      a07 = d17.fma(w01, a07);
      a16 = d17.fma(w10, a16);
      a06 = d17.fma(w00, a06);
      if (inB) {
        FloatVector d = FloatVector.fromArray(S, g, c + rs2);
        a17 = d.fma(w01, a17);
        a16 = d.fma(w00, a16);
      }
      c += cs;
      if (inR) {
        if (inT) {
          FloatVector d = FloatVector.fromArray(S, g, c);
          a07 = d.fma(w10, a07);
        }
        FloatVector d18 = FloatVector.fromArray(S, g, c + rs);
        a17 = d18.fma(w10, a17);
        a07 = d18.fma(w00, a07);
        if (inB) {
          FloatVector d = FloatVector.fromArray(S, g, c + rs2);
          a17 = d.fma(w00, a17);
        }
      }
      x += xStep;
      wi += wStep;
      if (++col == perRow) {
        col = 0;
        py++;
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
   * {@link MicroDepthwisePhases#phases2x4} for a block at an edge of the clip: a patch entry of the outer rows and columns is read
   * only in the phases where it lies inside the clip ({@link MicroDepthwisePhases.Edges}); the inner entries must lie inside in every
   * phase. Each output sees its taps in the same order as in {@link MicroDepthwisePhases#phases2x4}.
   */
  static void edgePhases2x4(float[] g, int x, float[] wd, int wi, MicroDepthwisePhases.Steps k,
      MicroDepthwisePhases.Edges e, float[] o, int at, int os, int orow) {
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
    final int left = e.left();
    final int right = e.right();
    final int top = e.top();
    final int bottom = e.bottom();
    final int clipW = e.clipW();
    final int clipH = e.clipH();
    for (int t = 0, col = 0, py = 0; t < n; t++) {
      boolean inL = left - col >= 0 && left - col < clipW;
      boolean inR = right - col >= 0 && right - col < clipW;
      boolean inT = top - py >= 0 && top - py < clipH;
      boolean inB = bottom - py >= 0 && bottom - py < clipH;
      FloatVector w00 = FloatVector.fromArray(S, wd, wi);
      FloatVector w01 = FloatVector.fromArray(S, wd, wi + wCol);
      FloatVector w10 = FloatVector.fromArray(S, wd, wi + wRow);
      FloatVector w11 = FloatVector.fromArray(S, wd, wi + wRow + wCol);
      int c = x;
      if (inL) {
        if (inT) {
          FloatVector d = FloatVector.fromArray(S, g, c);
          a00 = d.fma(w11, a00);
        }
        FloatVector d10 = FloatVector.fromArray(S, g, c + rs);
        a10 = d10.fma(w11, a10);
        a00 = d10.fma(w01, a00);
        if (inB) {
          FloatVector d = FloatVector.fromArray(S, g, c + rs2);
          a10 = d.fma(w01, a10);
        }
      }
      c += cs;
      if (inT) {
        FloatVector d = FloatVector.fromArray(S, g, c);
        a01 = d.fma(w11, a01);
        a00 = d.fma(w10, a00);
      }
      FloatVector d11 = FloatVector.fromArray(S, g, c + rs);
      a11 = d11.fma(w11, a11);
      a01 = d11.fma(w01, a01);
      a10 = d11.fma(w10, a10);
      a00 = d11.fma(w00, a00);
      if (inB) {
        FloatVector d = FloatVector.fromArray(S, g, c + rs2);
        a11 = d.fma(w01, a11);
        a10 = d.fma(w00, a10);
      }
      c += cs;
      if (inT) {
        FloatVector d = FloatVector.fromArray(S, g, c);
        a02 = d.fma(w11, a02);
        a01 = d.fma(w10, a01);
      }
      FloatVector d12 = FloatVector.fromArray(S, g, c + rs);
      a12 = d12.fma(w11, a12);
      a02 = d12.fma(w01, a02);
      a11 = d12.fma(w10, a11);
      a01 = d12.fma(w00, a01);
      if (inB) {
        FloatVector d = FloatVector.fromArray(S, g, c + rs2);
        a12 = d.fma(w01, a12);
        a11 = d.fma(w00, a11);
      }
      c += cs;
      if (inT) {
        FloatVector d = FloatVector.fromArray(S, g, c);
        a03 = d.fma(w11, a03);
        a02 = d.fma(w10, a02);
      }
      FloatVector d13 = FloatVector.fromArray(S, g, c + rs);
      a13 = d13.fma(w11, a13);
      a03 = d13.fma(w01, a03);
      a12 = d13.fma(w10, a12);
      a02 = d13.fma(w00, a02);
      if (inB) {
        FloatVector d = FloatVector.fromArray(S, g, c + rs2);
        a13 = d.fma(w01, a13);
        a12 = d.fma(w00, a12);
      }
      c += cs;
      if (inR) {
        if (inT) {
          FloatVector d = FloatVector.fromArray(S, g, c);
          a03 = d.fma(w10, a03);
        }
        FloatVector d14 = FloatVector.fromArray(S, g, c + rs);
        a13 = d14.fma(w10, a13);
        a03 = d14.fma(w00, a03);
        if (inB) {
          FloatVector d = FloatVector.fromArray(S, g, c + rs2);
          a13 = d.fma(w00, a13);
        }
      }
      x += xStep;
      wi += wStep;
      if (++col == perRow) {
        col = 0;
        py++;
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
  }
}

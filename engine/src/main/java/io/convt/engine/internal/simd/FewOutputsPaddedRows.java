package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * A {@link SimdFewOutputs} worker's padded gradient rows, kept while its source rows need them: with stride 2 and a
 * 4-row kernel each gradient row serves two source rows, so a row is padded once, not twice. Slot
 * {@code vy mod slots}, with at least as many slots as the gradient rows the task's consecutive source rows of one
 * image read, so they never share a slot (rows of two images may: a row whose slot was taken is padded again).
 */
final class FewOutputsPaddedRows {
  /** The padded rows, taken from the thread's {@link ThreadScratch} (undefined until a row is padded into it). */
  final float[] data;
  /** Per slot, the gradient row it holds ({@code image·clipH + vy}, below 2^31 as the gradient's indices are), or -1. */
  private final int[] key;
  private final ConvProblem p;
  private final int padCols;
  private final int padLen;
  private final int slots;

  /** Room for a task of {@code p}'s slots, no row held; the arrays are the thread's until {@link #release}. */
  FewOutputsPaddedRows(ConvProblem p, int padCols, int padLen, int sourceRows) {
    this.p = p;
    this.padCols = padCols;
    this.padLen = padLen;
    this.slots = p.dilY() * (p.kH() - 1) + 1 + p.strideY() * sourceRows;
    data = ThreadScratch.floats(ThreadScratch.Slot.PADDED_ROWS, slots * padLen);
    key = ThreadScratch.ints(ThreadScratch.Slot.PADDED_ROW_KEYS, slots);
    java.util.Arrays.fill(key, 0, slots, -1);
  }

  /** Gives the arrays back to the thread's {@link ThreadScratch} for its next task. */
  void release() {
    ThreadScratch.keep(ThreadScratch.Slot.PADDED_ROWS, data);
    ThreadScratch.keep(ThreadScratch.Slot.PADDED_ROW_KEYS, key);
  }

  /** Index of gradient row {@code vy} of {@code image}, padded (copied now unless its slot holds it already). */
  int row(float[] g, int image, int vy) {
    int slot = vy % slots;
    int k = image * p.clipH() + vy;
    if (key[slot] != k) {
      padRow(p, g, image, vy, data, slot * padLen, padCols);
      key[slot] = k;
    }
    return slot * padLen;
  }

  /**
   * Gradient row {@code vy} (clip coordinates) of {@code image} into {@code pad[at ..]}: padded column j holds
   * destination column {@code u = j - tX + cx - (kW - 1)}, its Cout channels packed, zeros where u is outside the clip.
   */
  private static void padRow(ConvProblem p, float[] g, int image, int vy, float[] pad, int at, int padCols) {
    final int cog = p.cog();
    final int uLo = -p.tX() + p.cx() - (p.kW() - 1);
    final int j0 = Math.min(padCols, Math.max(0, -uLo));
    final int j1 = Math.max(j0, Math.min(padCols, p.clipW() - uLo));
    java.util.Arrays.fill(pad, at, at + j0 * cog, 0f);
    java.util.Arrays.fill(pad, at + j1 * cog, at + padCols * cog, 0f);
    int from = (p.dstImage0() + image) * p.dstImageSize() + ((p.clipY() + vy) * p.dstW() + p.clipX() + j0 + uLo)
        * p.dstC() + p.dfo();
    if (p.dstC() == cog) {
      System.arraycopy(g, from, pad, at + j0 * cog, (j1 - j0) * cog);
      return;
    }
    for (int j = j0; j < j1; j++, from += p.dstC()) {
      for (int co = 0; co < cog; co++) {
        pad[at + j * cog + co] = g[from + co];
      }
    }
  }
}

package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * Where a dense weight-gradient task keeps its sums: block j (4 output channels), channel q, kernel column kx and
 * input slab ib start at {@code a[j·per + q·cs + at(kx, ib)]}. Either the task's own array ([blocks][kW][slabs][4]
 * [slab], added in stripe order and stored at the end) or, with one stripe and whole slabs, the OHWI gradient itself:
 * allocating, zeroing and copying a task-sized array per call moved the whole gradient three times, a third of the
 * time of large layers at N = 1 (dcgan_l2: an 8 MB gradient, 2.7 ms a call).
 *
 * @param a the array the sums live in
 * @param base index of block 0, channel 0, kx 0, slab 0
 * @param kxStride floats between kernel columns
 * @param slabStride floats between input slabs
 * @param cs floats between the channels of a block
 * @param per floats between blocks
 */
record WeightAccumulators(float[] a, int base, int kxStride, int slabStride, int cs, int per) {
  /** Images per call up to which {@link #direct} sums into the gradient. */
  static final int MAX_DIRECT_IMAGES = 4;
  /** Pixel chunks per image up to which a single image sums into the gradient (16×16: 4, the sizes measured). */
  static final int MAX_ONE_IMAGE_CHUNKS = 4;

  int at(int kx, int ib) {
    return base + kx * kxStride + ib * slabStride;
  }

  /** A task's own array for group gr (layout of {@link SimdBackwardWeights#perBlock}). */
  static WeightAccumulators own(ConvProblem p, float[] a, int gr) {
    return own(p, a, gr, 0);
  }

  /** As {@link #own(ConvProblem, float[], int)}, block 0 starting at {@code a[base]}. */
  static WeightAccumulators own(ConvProblem p, float[] a, int gr, int base) {
    int w = SimdBackwardWeights.slab(p);
    int ilEnd = Math.max(0, Math.min(p.cig(), p.cinRead() - gr * p.cig()));
    int nIB = (ilEnd + w - 1) / w;
    return new WeightAccumulators(a, base, nIB * 4 * w, 4 * w, w, SimdBackwardWeights.perBlock(p));
  }

  /**
   * Whether tasks may sum straight into the gradient: one stripe (each task owns its tile of the gradient), whole
   * slabs of input channels all read, whole blocks of 4 output channels, and few images: the gradient's channels are
   * kH·kW·Cin/group floats apart (often a power of two, so one cache set), which costs a little on every call; with
   * many images the per-call array's zeroing and copy are spread over all of them. Only images of at most one chunk of
   * pixels (dcgan_l2's 8×8), where each sum is loaded and stored once per tap and image, or a single image of a few
   * chunks ({@link #MAX_ONE_IMAGE_CHUNKS}): on larger images (dcgan_l3, unet_up_deep, 16×16) the strided sums,
   * revisited chunk after chunk, were slower than the task's own array over several images, but at N = 1 the first
   * chunk stores its sums ({@link MicroFirstPanels}) and the own array's copy-out to the gradient (~9 % of dcgan_l3's
   * kernel samples at N = 1) costs more than the revisits. The single image of several chunks only at one thread
   * ({@code oneWorker}): with two workers writing their tiles of one gradient, unet_up_deep N = 1 (k2, 16×16) ran
   * 12–15 % slower into the gradient than into the workers' own arrays, while dcgan_l3 gained 5 % (idle, both
   * measured alternating); the one-chunk rule has no such loss. Either choice gives the same bits.
   */
  static boolean direct(ConvProblem p, int stripes, boolean oneWorker) {
    int chunks = p.images() == 1 && oneWorker ? MAX_ONE_IMAGE_CHUNKS : 1;
    return stripes == 1 && p.images() <= MAX_DIRECT_IMAGES
        && p.srcH() * p.srcW() <= chunks * SimdBackwardWeights.chunkPixels(p)
        && p.cig() % SimdBackwardWeights.slab(p) == 0
        && p.cinRead() >= p.cin() && p.cog() % 4 == 0;
  }

  /** The OHWI gradient's rows of group gr, kernel row ky, blocks ob0..: written by a call's first sums. */
  static WeightAccumulators inGradient(ConvProblem p, float[] gW, int gr, int ky, int ob0) {
    int o0 = gr * p.cog() + ob0 * 4;
    int cs = p.kH() * p.kW() * p.cig();
    return new WeightAccumulators(gW, (o0 * p.kH() + ky) * p.kW() * p.cig(), p.cig(), SimdBackwardWeights.slab(p), cs,
        4 * cs);
  }

  /**
   * Zeroes the sums of kernel column kx, input slabs 0..slabs, blocks 0..blocks ({@code w} floats per channel, as a
   * micro-kernel writes them): a call's first sums start from zero and overwrite the accumulators, so a column that
   * no pixel reaches must be zeroed on its own.
   */
  void zeroColumn(int kx, int slabs, int blocks, int w) {
    for (int j = 0; j < blocks; j++) {
      for (int ib = 0; ib < slabs; ib++) {
        int from = at(kx, ib) + j * per;
        for (int q = 0; q < 4; q++) {
          java.util.Arrays.fill(a, from + q * cs, from + q * cs + w, 0f);
        }
      }
    }
  }
}

package io.convt.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.arrow.ImageBatch;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/** The invariants of spec §7 that need no external oracle. */
class ConvTransposePropertiesTest {
  private final Random rnd = new Random(7);

  private float[] random(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  private ConvTranspose kernel(ConvTransposeDescriptor d, boolean bias) {
    return new ConvTranspose(new ArrayDataSource(d, random(d.weightCount()),
        bias ? random(d.outputFeatureChannels()) : null, "props"));
  }

  private static float[] encodeManual(ConvTranspose k, float[] srcHwc, int h, int w, int cin, int dh, int dw) {
    try (RootAllocator a = new RootAllocator();
        ImageBatch src = ImageBatch.allocate(a, 1, h, w, cin);
        ImageBatch dst = ImageBatch.allocate(a, 1, dh, dw, k.outputFeatureChannels())) {
      src.writeHWC(0, srcHwc);
      k.encode(src, dst);
      float[] out = new float[dst.imageSize()];
      dst.readHWC(0, out);
      return out;
    }
  }

  @Test
  void onlyOffsetTimesStridePlusKernelOffsetMatters() { // §7.3, negative values on either side
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 4, 3, 5).stride(3, 2).dilation(1, 2).build();
    ConvTranspose k = kernel(d, true);
    float[] src = random(5 * 6 * 3);
    int[][] tPairs = {{-4, 3}, {2, -1}, {0, 0}, {5, 7}};
    for (int[] t : tPairs) {
      float[] reference = null;
      for (int ox = -3; ox <= 3; ox++) {
        for (int oy = -3; oy <= 3; oy++) {
          int kox = t[0] - ox * 3;
          int koy = t[1] - oy * 2;
          k.setOffset(Offset.of(ox, oy));
          k.setKernelOffsetX(kox);
          k.setKernelOffsetY(koy);
          float[] out = encodeManual(k, src, 5, 6, 3, 9, 11);
          if (reference == null) {
            reference = out;
          } else {
            assertArrayEquals(reference, out, 0f, "T=" + t[0] + "," + t[1] + " split offset " + ox + "," + oy);
          }
        }
      }
    }
  }

  @Test
  void strideOneIsAPlainCorrelationWithTheUnrotatedKernel() { // §7.1 and §1.1: tap k reads Z[T+u-c+d*k]
    int kh = 3, kw = 4, cin = 3, cout = 2, h = 6, w = 5, dil = 2, tY = 1, tX = -2;
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(kw, kh, cin, cout).dilation(dil, dil).build();
    float[] wts = random(d.weightCount());
    float[] bias = random(cout);
    ConvTranspose k = new ConvTranspose(new ArrayDataSource(d, wts, bias, "corr"));
    k.setKernelOffsetX(tX);
    k.setKernelOffsetY(tY);
    float[] src = random(h * w * cin);
    float[] got = encodeManual(k, src, h, w, cin, h, w);
    int cy = d.dilatedKernelHeight() >> 1;
    int cx = d.dilatedKernelWidth() >> 1;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int o = 0; o < cout; o++) {
          double acc = bias[o];
          for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
              int sy = tY + y - cy + dil * ky;
              int sx = tX + x - cx + dil * kx;
              if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
                continue;
              }
              for (int i = 0; i < cin; i++) {
                acc += wts[((o * kh + ky) * kw + kx) * cin + i] * src[(sy * w + sx) * cin + i];
              }
            }
          }
          assertEquals(acc, got[(y * w + x) * cout + o], 1e-5, "y=" + y + " x=" + x + " o=" + o);
        }
      }
    }
  }

  @Test
  void clipAndChannelSliceLeaveEverythingElseBitForBit() { // §7.7
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 3, 2, 3).stride(2, 2).build();
    ConvTranspose k = kernel(d, true);
    try (RootAllocator a = new RootAllocator();
        ImageBatch src = ImageBatch.allocate(a, 1, 4, 4, 2);
        ImageBatch dst = ImageBatch.allocate(a, 1, 8, 8, 7)) {
      src.writeHWC(0, random(32));
      float[] before = random(8 * 8 * 7);
      before[5] = Float.NaN; // NaN payloads too must survive untouched
      dst.writeHWC(0, before);
      k.setClipRect(ClipRect.of(2, 1, 3, 5));
      k.setDestinationFeatureChannelOffset(4);
      k.encode(src, dst);
      float[] after = new float[before.length];
      dst.readHWC(0, after);
      int changed = 0;
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          for (int c = 0; c < 7; c++) {
            int i = (y * 8 + x) * 7 + c;
            boolean inside = x >= 2 && x < 5 && y >= 1 && y < 6 && c >= 4;
            if (!inside) {
              assertEquals(Float.floatToRawIntBits(before[i]), Float.floatToRawIntBits(after[i]), "pixel " + y + "," + x + "," + c);
            } else if (before[i] != after[i]) {
              changed++;
            }
          }
        }
      }
      assertEquals(3 * 5 * 3, changed, "every pixel inside the clip and slice is written");
    }
  }

  @Test
  void clipOriginMovesTheWindowByExactlyTheClipOffset() { // §1.1: pixel clip.x + u is centred on T + u
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 3, 2, 2).stride(2, 2).build();
    ConvTranspose k = kernel(d, true);
    float[] src = random(5 * 5 * 2);
    float[] whole = encodeManual(k, src, 5, 5, 2, 9, 9);
    k.setClipRect(ClipRect.of(3, 2, 4, 5));
    float[] clipped = encodeManual(k, src, 5, 5, 2, 9, 9);
    for (int v = 0; v < 5; v++) {
      for (int u = 0; u < 4; u++) {
        for (int o = 0; o < 2; o++) {
          assertEquals(whole[(v * 9 + u) * 2 + o], clipped[((2 + v) * 9 + 3 + u) * 2 + o], 0f, "v=" + v + " u=" + u);
        }
      }
    }
  }

  @Test
  void emptyClipWritesNothing() {
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 3, 1, 1).build();
    ConvTranspose k = kernel(d, true);
    k.setClipRect(ClipRect.of(20, 20, 4, 4)); // wholly outside: clamped to empty
    float[] out = encodeManual(k, random(16), 4, 4, 1, 4, 4);
    assertArrayEquals(new float[16], out, 0f);
  }

  @Test
  void paddingPolicySizesFollowTheSpec() { // §7.5
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 5, 1, 1).stride(2, 3).dilation(2, 1).build();
    int kEx = 5, kEy = 5; // dilated widths: 2*(3-1)+1, 1*(5-1)+1
    for (int ws : new int[] {1, 4, 7}) {
      assertEquals((ws - 1) * 2 + 1, StandardPadding.SAME.destinationFor(d, ws, ws).width());
      assertEquals((ws - 1) * 3 + 1, StandardPadding.SAME.destinationFor(d, ws, ws).height());
      assertEquals((ws - 1) * 2 + 1 + (kEx - 1), StandardPadding.FULL.destinationFor(d, ws, ws).width());
      assertEquals((ws - 1) * 3 + 1 + (kEy - 1), StandardPadding.FULL.destinationFor(d, ws, ws).height());
    }
    assertEquals(7 * 2 + 1 - 4, StandardPadding.VALID.destinationFor(d, 8, 8).width());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StandardPadding.VALID.destinationFor(d, 1, 1));
    assertTrue(e.getMessage().contains("1x1"), e.getMessage());
  }

  @Test
  void gradientStateSizingEqualsTheForwardSourceSize() { // §7.5, odd and even sizes
    for (int k : new int[] {3, 4}) {
      ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(k, k, 2, 2).stride(2, 2).build();
      ConvTranspose t = kernel(d, false);
      for (int size : new int[] {7, 8}) {
        ConvolutionGradientState state = new ConvolutionGradientState(size, size + 1, -1, 0, 0, 0);
        try (RootAllocator a = new RootAllocator();
            ImageBatch src = ImageBatch.allocate(a, 2, (size + 1) / 2, size / 2, 2);
            ImageBatch dst = t.encodeBatch(a, src, state)) {
          assertEquals(size, dst.width());
          assertEquals(size + 1, dst.height());
          assertEquals(2, dst.count());
          assertEquals(0, state.readCount());
        }
      }
    }
  }

  @Test
  void badDescriptorsAndWeightsAreRejectedWithTheirValues() {
    assertMessage(() -> ConvTransposeDescriptor.builder(0, 3, 4, 4).build(), "0");
    assertMessage(() -> ConvTransposeDescriptor.builder(3, 3, 6, 4).groups(4).build(), "6");
    assertMessage(() -> ConvTransposeDescriptor.builder(3, 3, 4, 4).stride(0, 1).build(), "stride");
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(2, 2, 1, 1).build();
    assertMessage(() -> new ConvTranspose(new ArrayDataSource(d, new float[3], null, "short")), "3");
    float[] nan = {1, 2, Float.NaN, 4};
    assertMessage(() -> new ConvTranspose(new ArrayDataSource(d, nan, null, "nanny")), "weight[2] is NaN");
    assertMessage(() -> new ConvTranspose(new ArrayDataSource(d, new float[4], new float[] {Float.POSITIVE_INFINITY}, "inf")),
        "Infinity");
    ConvTranspose k = kernel(d, false);
    try (RootAllocator a = new RootAllocator();
        ImageBatch src = ImageBatch.allocate(a, 1, 2, 2, 3);
        ImageBatch dst = ImageBatch.allocate(a, 1, 2, 2, 1)) {
      k.setSourceFeatureChannelOffset(4);
      assertMessage(() -> k.encode(src, dst), "source has 3 channels, needs 5");
    }
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}

package io.convt.engine.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.ClipRect;
import io.convt.engine.ConvTransposeDescriptor;
import io.convt.engine.KernelOptions;
import io.convt.engine.Neuron;
import io.convt.engine.StandardPadding;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import java.nio.file.Paths;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Sizes past the int range or the heap are refused with one line naming the quantity and the setting, before
 * anything is allocated. Input [2,3,8,8] (NCHW), a 3x3 kernel, 4 output channels.
 */
class GeometryLimitsTest {
  private static final int MAX = Integer.MAX_VALUE;

  private static Layer layer(TorchConvTranspose2d g, StandardPadding policy) {
    LayerSpec spec = new LayerSpec(Paths.get("w.npy"), null, WeightLayout.PYTORCH, g, policy, null, null, null,
        ClipRect.ALL, Neuron.NONE, KernelOptions.defaults());
    return Layer.of(spec, new float[4 * 3 * 3 * 3], null, new WeightGeometry(4, 3, 3, 3));
  }

  private static TorchConvTranspose2d torch(int stride, int pad, int dilation) {
    return new TorchConvTranspose2d(stride, stride, pad, pad, pad, pad, 0, 0, dilation, dilation, 1);
  }

  private static String refused(Executable e) {
    IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
    assertTrue(!x.getMessage().contains("\n"), "one line: " + x.getMessage());
    return x.getMessage();
  }

  /** Applies the layer to [2,3,8,8]; must be refused, leaving nothing allocated. */
  private static String applyRefused(Layer l) {
    try (RootAllocator a = new RootAllocator(); ImageBatch src = ImageBatch.allocate(a, 2, 8, 8, 3)) {
      long before = a.getAllocatedMemory();
      String m = refused(() -> l.apply(a, src).close());
      assertEquals(before, a.getAllocatedMemory(), "nothing left allocated");
      return m;
    }
  }

  @Test
  void dilationPastTheIntRange() {
    String m = refused(() -> layer(torch(1, 0, MAX), null));
    assertTrue(m.contains("dilation too large") && m.contains("4294967295"), m);
    m = refused(() -> ConvTransposeDescriptor.builder(3, 3, 3, 4).dilation(MAX, MAX).build());
    assertTrue(m.contains("dilated kernel x extent"), m);
  }

  @Test
  void strideWhoseOutputWrapsAroundTheIntRange() {
    // 7 x 613566757 + 3 = 2^32 + 6: int math wrapped this to a 6-pixel image
    String m = refused(() -> layer(torch(613566757, 0, 1), null).outputShape(8, 8));
    assertTrue(m.contains("output size 4294967302x4294967302") && m.contains("stride=613566757"), m);
    m = refused(() -> layer(torch(613566757, 0, 1), StandardPadding.SAME).outputShape(8, 8));
    assertTrue(m.contains("exceeds 2^31-1") && m.contains("padding SAME"), m);
  }

  @Test
  void paddingThatCropsEverything() {
    String m = refused(() -> layer(torch(1, MAX, 1), null).outputShape(8, 8));
    assertTrue(m.contains("crops source 8x8") && m.contains("padding too large"), m);
  }

  @Test
  void strideAtTheIntLimit() {
    String m = refused(() -> layer(torch(MAX, 0, 1), null).outputShape(8, 8));
    assertTrue(m.contains("exceeds 2^31-1") && m.contains("stride=" + MAX), m);
  }

  @Test
  void strideWhoseOutputBatchExceedsOneArray() {
    Layer l = layer(torch(100000, 0, 1), null);
    assertEquals(new OutputShape(700003, 700003, 4), l.outputShape(8, 8));
    String m = applyRefused(l);
    assertTrue(m.contains("output batch 2x700003x700003x4") && m.contains("stride=100000,100000"), m);
  }

  @Test
  void dilationWhoseOutputBatchExceedsOneArray() {
    Layer l = layer(torch(1, 0, 300000000), null);
    assertEquals(new OutputShape(600000008, 600000008, 4), l.outputShape(8, 8));
    String m = applyRefused(l);
    assertTrue(m.contains("dilation=300000000,300000000"), m);
  }

  @Test
  void outputBatchLargerThanTheHeap() {
    // a manual output size whose batch (2 x side² x 4 floats x 4 bytes) is just above this JVM's -Xmx
    long heap = Runtime.getRuntime().maxMemory();
    int side = (int) Math.sqrt(heap / 32.0) + 2;
    Layer l = layer(torch(1, 0, 1), null);
    LayerSpec big = new LayerSpec(Paths.get("w.npy"), null, WeightLayout.PYTORCH, torch(1, 0, 1), null,
        new int[] {side, side}, null, null, ClipRect.ALL, Neuron.NONE, KernelOptions.defaults());
    Layer manual = Layer.of(big, l.weightsMps(), null, l.geometry());
    String m = applyRefused(manual);
    assertTrue(m.contains("JVM heap") || m.contains("2^31-1"), m);
  }

  @Test
  void windowShiftPastTheIntRange() {
    LayerSpec spec = new LayerSpec(Paths.get("w.npy"), null, WeightLayout.PYTORCH, torch(2, 0, 1), null,
        new int[] {4, 4}, new int[] {MAX, MAX}, null, ClipRect.ALL, Neuron.NONE, KernelOptions.defaults());
    Layer l = Layer.of(spec, new float[4 * 3 * 3 * 3], null, new WeightGeometry(4, 3, 3, 3));
    String m = applyRefused(l);
    assertTrue(m.contains("window shift") && m.contains("offset/stride too large"), m);
  }
}

package io.convt.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.ArrayDataSource;
import io.convt.engine.ConvDataSource;
import io.convt.engine.ConvTranspose;
import io.convt.engine.ConvTransposeDescriptor;
import io.convt.engine.DataType;
import io.convt.engine.KernelOptions;
import io.convt.engine.Quantization;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.golden.GoldenCase;
import io.convt.engine.internal.Half;
import io.convt.engine.io.Npy;
import io.convt.engine.io.TensorFormatException;
import io.convt.engine.layout.WeightLayout;
import io.convt.engine.layout.WeightLayouts;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Weights from files through the data-source protocol: layouts, fp16, uint8 decoding, lifecycle. */
class TensorFileDataSourceTest {
  static Path resource(String p) {
    try {
      return Path.of(TensorFileDataSourceTest.class.getResource(p).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final GoldenCase CASE = GoldenCase.load("s2_k3_p1_op1"); // w [3,5,3,3], b [5]
  private static final ConvTransposeDescriptor D = CASE.geometry().descriptor(3, 5, 3, 3);

  private static float[] run(ConvDataSource ds) {
    ConvTranspose k = new ConvTranspose(ds, KernelOptions.defaults());
    k.setPadding(CASE.geometry().padding());
    try (RootAllocator a = new RootAllocator(); ImageBatch src = CASE.source(a); ImageBatch dst = k.encodeBatch(a, src)) {
      return GoldenCase.batchToNchw(dst);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"/weights/weights.npz", "/weights/weights.safetensors"})
  void multiTensorFilesWithPytorchLayoutReproducePyTorch(String file) {
    TensorFileDataSource ds = new TensorFileDataSource(D, resource(file), null, WeightLayout.PYTORCH, null);
    float[] y = run(ds);
    float[] ref = CASE.array("y").floats();
    assertTrue(GoldenCase.maxDiff(y, ref) <= 1e-4 * GoldenCase.maxAbs(ref), file);
    assertEquals(0, ds.loadCount(), "the kernel purges what it loaded");
    assertEquals(64, ds.weightsSha256().length());
  }

  @Test
  void float16WeightsStayFloat16AndEqualTheRoundedFloat32Weights() {
    TensorFileDataSource ds = new TensorFileDataSource(D, resource("/weights/w_f16.npy"),
        CASE.dir().resolve("b.npy"), WeightLayout.PYTORCH, null);
    ds.load();
    try {
      assertEquals(DataType.FLOAT16, ds.dataType());
    } finally {
      ds.purge();
    }
    float[] rounded = CASE.w().floats().clone();
    for (int i = 0; i < rounded.length; i++) {
      rounded[i] = Half.toFloat(Half.fromFloat(rounded[i]));
    }
    float[] mps = WeightLayouts.toMps(WeightLayout.PYTORCH, rounded, CASE.w().shape(), 1);
    assertArrayEquals(run(new ArrayDataSource(D, mps, CASE.b().floats(), "f32")), run(ds), 0f);
  }

  @Test
  void uint8LinearAndLookupTableDecodeAsMpsDefines() {
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 3, 2, 4).build(); // MPS [4,3,3,2]
    byte[] codes = Npy.read(resource("/weights/w_u8.npy")).bytes();
    float[] ranges = Npy.read(resource("/weights/u8_ranges.npy")).floats();
    TensorFileDataSource lin = new TensorFileDataSource(d, resource("/weights/w_u8.npy"), null, WeightLayout.MPS,
        Quantization.linear(ranges));
    float[] w = new ConvTranspose(lin).exportWeightsAndBiases().weights();
    for (int i = 0; i < codes.length; i++) {
      int o = i / 18;
      float min = ranges[2 * o];
      float max = ranges[2 * o + 1];
      assertEquals((codes[i] & 0xff) / 255f * (max - min) + min, w[i], 1e-6f, "code " + i);
    }
    float[] lut = new float[256];
    for (int i = 0; i < 256; i++) {
      lut[i] = (i - 128) / 64f;
    }
    TensorFileDataSource tab = new TensorFileDataSource(d, resource("/weights/w_u8.npy"), null, WeightLayout.MPS,
        Quantization.lookupTable(lut));
    float[] wt = new ConvTranspose(tab).exportWeightsAndBiases().weights();
    for (int i = 0; i < codes.length; i++) {
      assertEquals(lut[codes[i] & 0xff], wt[i], 0f);
    }
    TensorFileDataSource none = new TensorFileDataSource(d, resource("/weights/w_u8.npy"), null, WeightLayout.MPS, null);
    TensorFormatException e = assertThrows(TensorFormatException.class, () -> new ConvTranspose(none));
    assertTrue(e.getMessage().contains("w_u8.npy") && e.getMessage().contains("need a quantization"), e.getMessage());
  }

  @Test
  void shapeMismatchNamesTheFileAndBothShapes() {
    ConvTransposeDescriptor wrong = CASE.geometry().descriptor(3, 4, 3, 3);
    TensorFileDataSource ds = new TensorFileDataSource(wrong, CASE.dir().resolve("w.npy"), null, WeightLayout.PYTORCH, null);
    TensorFormatException e = assertThrows(TensorFormatException.class, () -> new ConvTranspose(ds));
    assertTrue(e.getMessage().contains("w.npy") && e.getMessage().contains("[3, 5, 3, 3]")
        && e.getMessage().contains("[3, 4, 3, 3]"), e.getMessage());
    assertEquals(0, ds.loadCount(), "a failed load leaves the source unloaded");
  }

  @Test
  void lifecycleIsCountedAndCopiesAreIndependent() {
    TensorFileDataSource ds = new TensorFileDataSource(D, CASE.dir().resolve("w.npy"), null, WeightLayout.PYTORCH, null);
    assertThrows(IllegalStateException.class, ds::weights);
    ds.load();
    ds.load();
    ds.purge();
    assertEquals(45 * 3, ds.weights().length());
    ds.purge();
    assertThrows(IllegalStateException.class, ds::weights);
    TensorFileDataSource copy = ds.copy();
    assertNotSame(ds, copy);
    assertEquals(0, copy.loadCount());
    assertEquals(ds.descriptor(), copy.descriptor());
  }
}

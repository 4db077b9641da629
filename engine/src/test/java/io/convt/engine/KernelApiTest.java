package io.convt.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.arrow.ImageBatch;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/** The MPS kernel surface: weights export/reload, batch vs single encodes, BN, neurons, precision, channel slices. */
class KernelApiTest {
  private final Random rnd = new Random(11);
  private final ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 3, 3, 4).stride(2, 2).build();

  private float[] random(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  private static float[] all(ImageBatch b) {
    float[] out = new float[b.count() * b.imageSize()];
    b.readAll(out, 0);
    return out;
  }

  @Test
  void exportReloadAndReloadFromDataSource() {
    float[] w = random(d.weightCount());
    float[] b = random(4);
    ArrayDataSource ds = new ArrayDataSource(d, w, b, "ds");
    ConvTranspose k = new ConvTranspose(ds);
    WeightsAndBiasesState s = k.exportWeightsAndBiases();
    assertArrayEquals(w, s.weights(), 0f);
    assertArrayEquals(b, s.biases(), 0f);
    s.weights()[0] += 1; // an export is a copy
    assertEquals(w[0], k.exportWeightsAndBiases().weights()[0]);
    k.reloadWeightsAndBiases(s);
    assertEquals(w[0] + 1, k.exportWeightsAndBiases().weights()[0]);
    float[] w2 = random(d.weightCount());
    ds.setWeights(w2, b);
    k.reloadWeightsAndBiasesFromDataSource();
    assertArrayEquals(w2, k.exportWeightsAndBiases().weights(), 0f);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> k.reloadWeightsAndBiases(new WeightsAndBiasesState(new float[3], null)));
    assertTrue(e.getMessage().contains("state has 3 weights"), e.getMessage());
    float[] nan = w.clone();
    nan[4] = Float.NaN;
    e = assertThrows(IllegalArgumentException.class, () -> k.reloadWeightsAndBiases(new WeightsAndBiasesState(nan, null)));
    assertTrue(e.getMessage().contains("[4] is NaN"), e.getMessage());
  }

  @Test
  void batchEncodeEqualsPerImageEncodes() {
    ConvTranspose k = new ConvTranspose(new ArrayDataSource(d, random(d.weightCount()), random(4), "b"));
    try (RootAllocator a = new RootAllocator(); ImageBatch src = ImageBatch.allocate(a, 3, 5, 4, 3)) {
      src.writeAll(random(3 * 5 * 4 * 3), 0);
      try (ImageBatch batch = k.encodeBatch(a, src)) {
        float[] whole = all(batch);
        int per = batch.imageSize();
        for (int n = 0; n < 3; n++) {
          // MPS: a single encode covers images offset.z .. offset.z + clipRect.depth of a multi-image source
          k.setOffset(new Offset(0, 0, n));
          k.setClipRect(new ClipRect(0, 0, 0, Integer.MAX_VALUE, Integer.MAX_VALUE, 1));
          try (ImageBatch one = k.encode(a, src)) {
            assertEquals(1, one.count());
            float[] img = all(one);
            for (int i = 0; i < per; i++) {
              assertEquals(whole[n * per + i], img[i], 0f, "image " + n + " value " + i);
            }
          }
        }
      }
    }
  }

  @Test
  void batchNormFoldsIntoWeightsAndNeuronFollowsTheBias() {
    float[] w = random(d.weightCount());
    float[] b = random(4);
    float[] mean = random(4);
    float[] var = {0.5f, 1f, 2f, 0.25f};
    float[] gamma = random(4);
    float[] beta = random(4);
    ConvTransposeDescriptor bn = d.toBuilder().batchNorm(new BatchNorm(mean, var, gamma, beta, 1e-3f))
        .neuron(Neuron.of(NeuronType.RELU)).build();
    ConvTranspose plain = new ConvTranspose(new ArrayDataSource(d, w, b, "plain"));
    ConvTranspose fused = new ConvTranspose(new ArrayDataSource(bn, w, b, "fused"));
    try (RootAllocator a = new RootAllocator(); ImageBatch src = ImageBatch.allocate(a, 1, 4, 4, 3)) {
      src.writeAll(random(48), 0);
      try (ImageBatch y0 = plain.encodeBatch(a, src); ImageBatch y1 = fused.encodeBatch(a, src)) {
        float[] p = all(y0);
        float[] f = all(y1);
        for (int i = 0; i < p.length; i++) {
          int o = i % 4;
          double norm = (p[i] - mean[o]) / Math.sqrt(var[o] + 1e-3) * gamma[o] + beta[o];
          assertEquals(Math.max(0, norm), f[i], 1e-4, "value " + i);
        }
      }
    }
  }

  @Test
  void halfAccumulationAndFloat16WeightsStayCloseButDiffer() {
    float[] w = random(d.weightCount());
    ConvTranspose exact = new ConvTranspose(new ArrayDataSource(d, w, null, "f32"));
    ConvTranspose half = new ConvTranspose(new ArrayDataSource(d, w, null, "acc16"));
    half.setAccumulatorPrecision(AccumulatorPrecision.HALF);
    ConvTranspose w16 = new ConvTranspose(new ArrayDataSource(d, w, null, "w16"),
        KernelOptions.defaults().withWeightPrecision(WeightPrecision.FLOAT16));
    try (RootAllocator a = new RootAllocator(); ImageBatch src = ImageBatch.allocate(a, 1, 6, 6, 3)) {
      src.writeAll(random(108), 0);
      try (ImageBatch e = exact.encodeBatch(a, src); ImageBatch h = half.encodeBatch(a, src);
          ImageBatch q = w16.encodeBatch(a, src)) {
        float[] ref = all(e);
        double scale = 0;
        for (float v : ref) {
          scale = Math.max(scale, Math.abs(v));
        }
        for (float[] other : new float[][] {all(h), all(q)}) {
          double maxDiff = 0;
          for (int i = 0; i < ref.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(ref[i] - other[i]));
          }
          // spec §7.11: error about kH·kW·Cig·2^-11·max|w·x|; generous bound, but must not be exact either
          assertTrue(maxDiff < 27 * Math.pow(2, -11) * scale * 4, "fp16 error " + maxDiff);
          assertNotEquals(0.0, maxDiff, "fp16 emulation must change something");
        }
      }
    }
  }

  @Test
  void sourceChannelSliceReadsOnlyTheSlice() {
    ConvTranspose k = new ConvTranspose(new ArrayDataSource(d, random(d.weightCount()), null, "slice"));
    try (RootAllocator a = new RootAllocator();
        ImageBatch wide = ImageBatch.allocate(a, 1, 3, 3, 8);
        ImageBatch narrow = ImageBatch.allocate(a, 1, 3, 3, 3)) {
      float[] w8 = random(72);
      wide.writeAll(w8, 0);
      float[] n3 = new float[27];
      for (int p = 0; p < 9; p++) {
        System.arraycopy(w8, p * 8 + 4, n3, p * 3, 3);
      }
      narrow.writeAll(n3, 0);
      k.setSourceFeatureChannelOffset(4);
      try (ImageBatch y1 = k.encodeBatch(a, wide)) {
        k.setSourceFeatureChannelOffset(0);
        try (ImageBatch y0 = k.encodeBatch(a, narrow)) {
          assertArrayEquals(all(y0), all(y1), 0f);
        }
      }
    }
  }
}

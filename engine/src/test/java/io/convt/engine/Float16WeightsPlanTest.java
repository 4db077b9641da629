package io.convt.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.convt.engine.internal.Half;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A plan with fp16 weights ({@code --weight-precision float16}) runs every pass on the vectorised kernel, with the
 * weights rounded to half once at load (what MPS stores) and then used as any float32 weights.
 */
class Float16WeightsPlanTest {
  @Test
  void float16WeightsRunEveryPassVectorisedOnHalfRoundedWeights() {
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(4, 4, 12, 20).stride(2, 2).build();
    Random r = new Random(3);
    float[] w = new float[d.weightCount()];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    ConvTransposePlan plan = ConvTransposePlan.create(new ArrayDataSource(d, w.clone(), null, "w16"),
        ConvTransposePlan.Properties.DEFAULTS, KernelOptions.defaults().withWeightPrecision(WeightPrecision.FLOAT16));
    for (KernelPass pass : KernelPass.values()) {
      assertEquals("simd", plan.implementation(pass), pass.toString());
    }
    assertEquals("simd", plan.implementation());
    float[] used = plan.weightsUsed().weights();
    assertFalse(Arrays.equals(w, used), "fp16 weights must be rounded");
    for (int i = 0; i < w.length; i++) {
      assertEquals(Half.round(w[i]), used[i], "weight " + i);
    }
  }
}

package io.convt.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** Descriptors are values: equal parameters, equal descriptors, batch norm included. */
class ConvTransposeDescriptorTest {
  private static BatchNorm bn(float mean0) {
    return new BatchNorm(new float[] {mean0, 0f}, new float[] {1f, 2f}, null, new float[] {0.5f, 0f}, 1e-5f);
  }

  private static ConvTransposeDescriptor withBn(BatchNorm b) {
    return ConvTransposeDescriptor.builder(3, 3, 4, 2).stride(2, 2).batchNorm(b).build();
  }

  @Test
  void batchNormIsComparedByValue() {
    assertEquals(bn(0.25f), bn(0.25f));
    assertEquals(bn(0.25f).hashCode(), bn(0.25f).hashCode());
    assertEquals(withBn(bn(0.25f)), withBn(bn(0.25f)));
    assertEquals(withBn(bn(0.25f)).hashCode(), withBn(bn(0.25f)).hashCode());
    assertNotEquals(withBn(bn(0.25f)), withBn(bn(0.5f)));
    assertNotEquals(withBn(bn(0.25f)), withBn(null));
  }
}

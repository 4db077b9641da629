package io.convt.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.internal.KernelBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Backend choice: the VM check, the names accepted, and the test build's demand for the vectorised backend. */
class KernelBackendsTest {
  private static final String HOTSPOT = "OpenJDK 64-Bit Server VM";

  /**
   * The build sets {@code -Dconvt.test.requireSimd=true}: there, a JVM that falls back to scalar fails the build
   * (the twin and golden tests would otherwise test the scalar kernel twice and pass).
   */
  @Test
  void theTestBuildRunsTheVectorisedBackend() {
    List<KernelBackend> auto = KernelBackends.candidates(KernelImpl.AUTO);
    assertEquals("scalar", auto.get(auto.size() - 1).name(), "the scalar reference is always last");
    if (Boolean.getBoolean("convt.test.requireSimd")) {
      assertEquals("simd", KernelBackends.defaultBackend().name(),
          "convt.test.requireSimd=true but the default backend is scalar: " + KernelBackends.simdUnavailableReason());
      assertEquals(List.of("simd", "scalar"), auto.stream().map(KernelBackend::name).toList());
    }
  }

  @Test
  void aHotSpotServerVmWithC2MayVectorise() {
    assertNull(KernelBackends.vmRefusal(HOTSPOT, "mixed mode, sharing", "true", "4", "true"));
    assertNull(KernelBackends.vmRefusal("Java HotSpot(TM) 64-Bit Server VM", "mixed mode", null, null, null));
    assertNull(KernelBackends.vmRefusal(HOTSPOT, "mixed mode", "false", "1", "true"), "C2 only, no tiers");
  }

  @Test
  void otherVmsFallBackWithAReason() {
    assertTrue(KernelBackends.vmRefusal("Eclipse OpenJ9 VM", "", null, null, null).contains("not HotSpot"));
    assertTrue(KernelBackends.vmRefusal("OpenJDK Client VM", "", null, null, null).contains("client VM"));
    assertTrue(KernelBackends.vmRefusal(HOTSPOT, "emulated-client, sharing", null, null, null).contains("client"));
    assertTrue(KernelBackends.vmRefusal(HOTSPOT, "interpreted mode, sharing", "true", "4", "false").contains("-Xint"));
    assertTrue(KernelBackends.vmRefusal(HOTSPOT, "mixed mode", "true", "1", "true").contains("TieredStopAtLevel=1"));
    assertTrue(KernelBackends.vmRefusal(HOTSPOT, "mixed mode", "true", "3", "true").contains("C2 is disabled"));
  }

  @Test
  void implementationNamesAreAutoScalarSimdOnly() {
    assertEquals(KernelImpl.SIMD, KernelImpl.parse(" SIMD ", "x"));
    assertEquals(KernelImpl.AUTO, KernelImpl.parse(null, "x"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KernelImpl.parse("panama", "convt.engine.impl"));
    assertEquals("Unknown convt.engine.impl 'panama': expected one of auto, scalar, simd", e.getMessage());
    assertEquals(List.of("scalar"), KernelBackends.candidates(KernelImpl.SCALAR).stream().map(KernelBackend::name).toList());
  }
}

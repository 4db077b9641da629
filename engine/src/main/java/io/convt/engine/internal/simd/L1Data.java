package io.convt.engine.internal.simd;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The L1 data cache size the forward pass blocks its weight panels for: {@code -Dconvt.simd.l1dBytes} (the scripts
 * pass {@code getconf LEVEL1_DCACHE_SIZE}), else Linux's {@code /sys/devices/system/cpu/cpu0/cache} entry for the
 * level-1 data cache, else 32 KiB (the smallest L1D of the AVX-512 and AVX2 x86 cores in use: Skylake-SP, Zen 4).
 * Read from the machine, never assumed from one CPU: 48 KiB cores (Zen 5, Ice Lake and later Xeons) take panels
 * twice as deep as 32 KiB ones.
 */
final class L1Data {
  static final int BYTES = detect();

  private L1Data() {}

  private static int detect() {
    String v = System.getProperty("convt.simd.l1dBytes");
    if (v != null) {
      try {
        int bytes = Integer.parseInt(v.trim());
        if (bytes >= 8 << 10 && bytes <= 4 << 20) {
          return bytes;
        }
      } catch (NumberFormatException e) {
        // the sysfs entry or the default below
      }
    }
    for (int i = 0; i < 8; i++) {
      Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache/index" + i);
      try {
        if (!Files.isDirectory(dir)) {
          break;
        }
        if (Files.readString(dir.resolve("level")).trim().equals("1")
            && Files.readString(dir.resolve("type")).trim().equals("Data")) {
          String size = Files.readString(dir.resolve("size")).trim();
          int bytes = size.endsWith("K") ? Integer.parseInt(size.substring(0, size.length() - 1)) << 10
              : Integer.parseInt(size);
          if (bytes >= 8 << 10 && bytes <= 4 << 20) {
            return bytes;
          }
        }
      } catch (java.io.IOException | RuntimeException e) {
        break;
      }
    }
    return 32 << 10;
  }

  /** The largest power of two of floats within two thirds of the L1D (the rest for accumulators and source). */
  static int panelFloats() {
    return Integer.highestOneBit(BYTES * 2 / 3) / 4;
  }
}

package io.convt.engine.backend;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Which compute backend a kernel asks for. */
public enum KernelImpl {
  /** The vectorised backend when this JVM can run it well, else the scalar reference (one WARN line). */
  AUTO,
  /** The scalar reference only. */
  SCALAR,
  /** The vectorised backend; fails when it cannot load instead of falling back. */
  SIMD;

  /** The lower-case name used by flags, properties and config keys. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a flag value, case-insensitively; null or blank is {@link #AUTO}.
   *
   * @throws IllegalArgumentException naming {@code what} and the choices
   */
  public static KernelImpl parse(String value, String what) {
    if (value == null || value.isBlank()) {
      return AUTO;
    }
    for (KernelImpl k : values()) {
      if (k.label().equals(value.trim().toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException("Unknown " + what + " '" + value + "': expected one of "
        + Arrays.stream(values()).map(KernelImpl::label).collect(Collectors.joining(", ")));
  }
}

package io.convt.engine.backend;

import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a kernel's backend is chosen, once per JVM, Lucene style: the SIMD twin when {@code jdk.incubator.vector}
 * is readable, the VM is a HotSpot server VM with the C2 compiler on (the Vector API is only fast once C2
 * intrinsifies it: interpreted or C1-compiled vector code is many times slower than the scalar loop) and the class
 * links; else the scalar reference with one WARN line giving the reason ({@link #scalarFallbackNotice}, which a
 * command line prints on stderr, since its log level may hide WARN: a silent fallback runs 10–50× slower).
 *
 * <p>System property (or environment variable {@code CONVT_ENGINE_IMPL}) {@code convt.engine.impl}: {@code auto}
 * (default), {@code scalar}, or {@code simd} (fails loudly instead of falling back).
 */
public final class KernelBackends {
  private static final Logger LOG = LoggerFactory.getLogger(KernelBackends.class);
  /** Fully qualified name of the SIMD backend, loaded reflectively so the scalar path never links incubator classes. */
  static final String SIMD_CLASS = "io.convt.engine.internal.simd.SimdBackend";

  private KernelBackends() {}

  private static final class Holder {
    static final KernelBackend SIMD = trySimd();
    static final KernelBackend DEFAULT = lookup(configuredImpl());
  }

  /** The JVM-wide default backend (looked up once). */
  public static KernelBackend defaultBackend() {
    return Holder.DEFAULT;
  }

  /**
   * The configured implementation: system property, then environment, then {@link KernelImpl#AUTO}.
   *
   * @throws IllegalArgumentException for an unknown value, naming the property
   */
  public static KernelImpl configuredImpl() {
    String v = System.getProperty("convt.engine.impl");
    if (v == null || v.isBlank()) {
      v = System.getenv("CONVT_ENGINE_IMPL");
    }
    return KernelImpl.parse(v, "convt.engine.impl");
  }

  /**
   * The backends a kernel asking for {@code impl} may use, best first, the scalar reference last: a plan runs each
   * pass on the first one that handles it.
   *
   * @throws UnsupportedOperationException when {@link KernelImpl#SIMD} is asked for and cannot load (with the reason)
   */
  public static List<KernelBackend> candidates(KernelImpl impl) {
    KernelImpl effective = impl == KernelImpl.AUTO ? configuredImpl() : impl;
    if (effective == KernelImpl.AUTO) {
      KernelBackend d = defaultBackend();
      return d == ScalarBackend.INSTANCE ? List.of(d) : List.of(d, ScalarBackend.INSTANCE);
    }
    if (effective == KernelImpl.SCALAR) {
      return List.of(ScalarBackend.INSTANCE);
    }
    if (Holder.SIMD == null) {
      throw new UnsupportedOperationException(
          "convt.engine.impl=simd but the vectorised kernel cannot load: " + simdUnavailableReason());
    }
    return List.of(Holder.SIMD, ScalarBackend.INSTANCE);
  }

  /**
   * Resolves a backend by name ("auto", "scalar" or "simd").
   *
   * @throws IllegalArgumentException for an unknown name
   * @throws UnsupportedOperationException when "simd" is forced and cannot load (with the reason)
   */
  public static KernelBackend lookup(String impl) {
    return lookup(KernelImpl.parse(impl, "convt.engine.impl"));
  }

  /** As {@link #lookup(String)}. */
  public static KernelBackend lookup(KernelImpl impl) {
    switch (impl) {
      case SCALAR:
        LOG.info("convt kernel: scalar (forced by convt.engine.impl=scalar)");
        return ScalarBackend.INSTANCE;
      case SIMD:
        {
          KernelBackend b = Holder.SIMD;
          if (b == null) {
            throw new UnsupportedOperationException(
                "convt.engine.impl=simd but the vectorised kernel cannot load: " + simdUnavailableReason());
          }
          LOG.info("convt kernel: {} (forced)", b.name());
          return b;
        }
      default:
        {
          KernelBackend b = Holder.SIMD;
          if (b == null) {
            LOG.warn(fallbackNotice(simdUnavailableReason()));
            return ScalarBackend.INSTANCE;
          }
          LOG.info("convt kernel: {}", b.name());
          return b;
        }
    }
  }

  /**
   * The one line a user should see when a kernel asking for {@code impl} runs on the scalar reference only because
   * the SIMD backend could not load ({@code auto}, the default, falling back), e.g. "SIMD kernel unavailable (module
   * jdk.incubator.vector is not in the boot layer ...); running the scalar reference kernel (10-50x slower)"; empty
   * when the SIMD backend runs, or when scalar was asked for ({@code simd} fails loudly instead).
   *
   * @throws IllegalArgumentException as {@link #configuredImpl()}
   */
  public static Optional<String> scalarFallbackNotice(KernelImpl impl) {
    KernelImpl effective = impl == KernelImpl.AUTO ? configuredImpl() : impl;
    if (effective != KernelImpl.AUTO || defaultBackend() != ScalarBackend.INSTANCE) {
      return Optional.empty();
    }
    return Optional.of(fallbackNotice(simdUnavailableReason()));
  }

  static String fallbackNotice(String reason) {
    return "SIMD kernel unavailable (" + reason + "); running the scalar reference kernel (10-50x slower)";
  }

  private static volatile String lastFailure = "not tried";

  /** Why the SIMD backend is unavailable (for messages). */
  public static String simdUnavailableReason() {
    return lastFailure;
  }

  private static KernelBackend trySimd() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      lastFailure = "module jdk.incubator.vector is not in the boot layer (start the JVM with --add-modules=jdk.incubator.vector)";
      return null;
    }
    String vm = vmRefusal(System.getProperty("java.vm.name", ""), System.getProperty("java.vm.info", ""),
        hotSpotOption("TieredCompilation"), hotSpotOption("TieredStopAtLevel"), hotSpotOption("UseCompiler"));
    if (vm != null) {
      lastFailure = vm;
      return null;
    }
    try {
      Class<?> c = Class.forName(SIMD_CLASS);
      Object o = MethodHandles.lookup().findConstructor(c, MethodType.methodType(void.class)).invoke();
      lastFailure = "none";
      return (KernelBackend) o;
    } catch (ClassNotFoundException e) {
      lastFailure = "class " + SIMD_CLASS + " is not on the classpath";
    } catch (UnsupportedOperationException e) {
      lastFailure = e.getMessage();
    } catch (Throwable t) {
      lastFailure = t.getClass().getSimpleName() + ": " + t.getMessage();
    }
    return null;
  }

  /**
   * Why this VM should not run the Vector API, or null when it may: not HotSpot, a client VM, interpreted only
   * ({@code -Xint}), or C2 off ({@code -XX:TieredStopAtLevel} below 4 with tiered compilation).
   *
   * @param tiered value of {@code TieredCompilation}, null when unknown
   * @param stopAtLevel value of {@code TieredStopAtLevel}, null when unknown
   * @param useCompiler value of {@code UseCompiler} (false under -Xint), null when unknown
   */
  static String vmRefusal(String vmName, String vmInfo, String tiered, String stopAtLevel, String useCompiler) {
    String name = vmName.toLowerCase(Locale.ROOT);
    String info = vmInfo.toLowerCase(Locale.ROOT);
    if (!name.contains("hotspot") && !name.contains("openjdk")) {
      return "the VM '" + vmName + "' is not HotSpot (the Vector API is only intrinsified by HotSpot's C2)";
    }
    if (info.contains("interpreted mode") || "false".equals(useCompiler)) {
      return "the VM runs interpreted only (-Xint): the Vector API would be far slower than the scalar kernel";
    }
    if (!"false".equals(tiered) && stopAtLevel != null) {
      try {
        int level = Integer.parseInt(stopAtLevel.trim());
        if (level < 4) {
          return "C2 is disabled (-XX:TieredStopAtLevel=" + level + "): the Vector API needs C2 to be fast";
        }
      } catch (NumberFormatException ignored) {
        // an unparsable value says nothing about C2
      }
    }
    if (name.contains("client") || info.contains("emulated-client")) {
      return "the VM '" + vmName + "' is a client VM (no C2 compiler to intrinsify the Vector API)";
    }
    return null;
  }

  /** A HotSpot VM flag's value, or null when the VM has no such flag or no diagnostic bean. */
  private static String hotSpotOption(String name) {
    try {
      com.sun.management.HotSpotDiagnosticMXBean bean =
          ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      return bean == null ? null : bean.getVMOption(name).getValue();
    } catch (RuntimeException | LinkageError e) {
      return null;
    }
  }
}

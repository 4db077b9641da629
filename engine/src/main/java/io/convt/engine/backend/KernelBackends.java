package io.convt.engine.backend;

import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the compute backend once per JVM, Lucene style: the SIMD twin when {@code jdk.incubator.vector} is
 * readable and the class links, else the scalar reference with one WARN line giving the reason.
 *
 * <p>System property (or environment variable {@code CONVT_ENGINE_IMPL}) {@code convt.engine.impl}:
 * {@code auto} (default), {@code scalar}, or {@code simd} (fails loudly instead of falling back).
 */
public final class KernelBackends {
  private static final Logger LOG = LoggerFactory.getLogger(KernelBackends.class);
  /** Fully qualified name of the SIMD backend, loaded reflectively so the scalar path never links incubator classes. */
  static final String SIMD_CLASS = "io.convt.engine.internal.simd.SimdBackend";

  private KernelBackends() {}

  private static final class Holder {
    static final KernelBackend DEFAULT = lookup(configuredImpl());
  }

  /** The JVM-wide default backend (looked up once). */
  public static KernelBackend defaultBackend() {
    return Holder.DEFAULT;
  }

  /** The configured implementation name: system property, then environment, then "auto". */
  public static String configuredImpl() {
    String v = System.getProperty("convt.engine.impl");
    if (v == null || v.isBlank()) {
      v = System.getenv("CONVT_ENGINE_IMPL");
    }
    return v == null || v.isBlank() ? "auto" : v.trim().toLowerCase(Locale.ROOT);
  }

  /**
   * Resolves a backend by name.
   *
   * @param impl "auto", "scalar" or "simd"
   * @throws IllegalArgumentException for an unknown name
   * @throws UnsupportedOperationException when "simd" is forced and cannot load (with the reason)
   */
  public static KernelBackend lookup(String impl) {
    switch (impl) {
      case "scalar":
        LOG.info("convt kernel: scalar (forced by convt.engine.impl=scalar)");
        return ScalarBackend.INSTANCE;
      case "simd":
      case "panama":
        {
          KernelBackend b = trySimd();
          if (b == null) {
            throw new UnsupportedOperationException(
                "convt.engine.impl=simd but the vectorised kernel cannot load: " + simdUnavailableReason());
          }
          LOG.info("convt kernel: {} (forced)", b.name());
          return b;
        }
      case "auto":
        {
          KernelBackend b = trySimd();
          if (b == null) {
            LOG.warn("convt kernel: falling back to scalar: {}", simdUnavailableReason());
            return ScalarBackend.INSTANCE;
          }
          LOG.info("convt kernel: {}", b.name());
          return b;
        }
      default:
        throw new IllegalArgumentException(
            "Unknown convt.engine.impl '" + impl + "': expected auto, scalar or simd");
    }
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
    try {
      Class<?> c = Class.forName(SIMD_CLASS);
      Object o = MethodHandles.lookup().findConstructor(c, MethodType.methodType(void.class)).invoke();
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
}

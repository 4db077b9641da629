package io.convt.job;

import io.convt.engine.backend.KernelBackends;
import io.convt.engine.backend.KernelImpl;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Where a run's details go: Spark's and Hadoop's log (task failures with their stack traces) and the stack trace of
 * an error the command ends with are appended to a file beside the output, {@code OUT.log} for a local output
 * ({@code $TMPDIR/convt-job-<time>.log} for other file systems), so the console keeps one line per error.
 * {@code --verbose} or {@code CONVT_DEBUG=1} also prints them on the console.
 *
 * <p>Log4j is redirected only when one of convt's configurations is the active one ({@code conf/log4j2*.properties},
 * as the scripts set it, or the jar's {@code log4j2-convt.properties}); under a real {@code spark-submit} without
 * them, Spark's own logging configuration stays in charge.
 */
public final class JobLog {
  private static volatile Path file;
  private static volatile boolean verbose = System.getenv("CONVT_DEBUG") != null;

  private JobLog() {}

  /** Prints Spark's log and stack traces on the console too. */
  public static void verbose() {
    verbose = true;
    System.setProperty("convt.log.console-level", "all");
    System.setProperty("convt.log.convt-console-level", "all");
    reconfigure();
  }

  public static boolean isVerbose() {
    return verbose;
  }

  /** Starts logging beside {@code output} (called once the driver's checks passed, before Spark starts). */
  public static void startBeside(String output) {
    // the kernel's fallback WARN reached the console when the driver's checks opened the layer, before this file
    // existed; asked before the file is configured, so that a first lookup here does not log it to the file twice
    String fallback = kernelFallbackNotice();
    Path f;
    String scheme = OutputGuard.scheme(output);
    if (scheme == null || scheme.equalsIgnoreCase("file")) {
      String local = scheme == null ? output : java.net.URI.create(output).getPath();
      Path o = Path.of(local).toAbsolutePath().normalize();
      f = o.resolveSibling(o.getFileName() + ".log");
    } else {
      f = Path.of(System.getProperty("java.io.tmpdir"), "convt-job-" + System.currentTimeMillis() + ".log");
    }
    file = f;
    System.setProperty("convt.log.file", f.toString());
    reconfigure();
    if (fallback != null) {
      append(Instant.now() + " WARN KernelBackends: " + fallback + "\n");
    }
  }

  /** {@link KernelBackends#scalarFallbackNotice}'s line for the default kernel, or null. */
  private static String kernelFallbackNotice() {
    try {
      return KernelBackends.scalarFallbackNotice(KernelImpl.AUTO).orElse(null);
    } catch (RuntimeException e) {
      return null; // a bad convt.engine.impl is the driver's checks' error, not the log's
    }
  }

  /** Forgets the previous run's log file (each command run in this JVM starts without one). */
  static void reset() {
    file = null;
  }

  /** The current log file, or null before {@link #startBeside}. */
  public static Path file() {
    return file;
  }

  /** Appends {@code t}'s stack trace to the log file; false when there is none or it cannot be written. */
  static boolean appendTrace(String command, Throwable t) {
    Path f = file;
    if (f == null) {
      return false;
    }
    StringWriter s = new StringWriter();
    s.write(Instant.now() + " convt-job " + command + " failed:\n");
    t.printStackTrace(new PrintWriter(s));
    return append(s.toString());
  }

  /** Appends {@code text} to the log file; false when there is none or it cannot be written. */
  private static boolean append(String text) {
    Path f = file;
    if (f == null) {
      return false;
    }
    try {
      if (f.getParent() != null) {
        Files.createDirectories(f.getParent());
      }
      Files.writeString(f, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static void reconfigure() {
    String config = System.getProperty("log4j2.configurationFile", "");
    if (!config.contains("log4j2-convt") && !config.matches(".*conf/log4j2(-verbose)?\\.properties")) {
      return;
    }
    try {
      ((org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false))
          .reconfigure();
    } catch (RuntimeException | LinkageError e) {
      // logging stays as it was: the error line and the appended trace still work
    }
  }
}

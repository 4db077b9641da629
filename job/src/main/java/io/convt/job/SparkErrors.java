package io.convt.job;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns a failed Spark job back into the cause a user can act on, so CLIs print one clear line. */
public final class SparkErrors {
  /** The exception line of the task failure Spark reports as text ("most recent failure: Lost task ...): X: m"). */
  private static final Pattern TASK_FAILURE =
      Pattern.compile("most recent failure: [^\\n]*?\\): ([\\w.$]+)(?:: ([^\\n]*))?");

  private SparkErrors() {}

  /** A run failure already put in the user's terms (which input, which output): passed through as it is. */
  public static final class RunFailure extends IllegalStateException {
    public RunFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The first {@link IllegalArgumentException} in the cause chain of {@code e} (a bad record or input: exit 2), or
   * the executor's {@code IllegalArgumentException} when Spark only kept it as text; otherwise an
   * {@link IllegalStateException} whose message is the root cause's class and message in one line (a full disk, a
   * lost executor: exit 1), with {@code e} as its cause for the log.
   */
  public static RuntimeException unwrap(Exception e) {
    Throwable io = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RunFailure f) {
        return f;
      }
      if (t instanceof IllegalArgumentException iae && !(t.getCause() instanceof java.net.URISyntaxException)) {
        return iae;
      }
      if (t instanceof IOException || t instanceof java.io.UncheckedIOException) {
        io = t;
      }
    }
    String m = String.valueOf(e.getMessage());
    Matcher task = TASK_FAILURE.matcher(m);
    if (task.find()) {
      String type = task.group(1);
      String detail = task.group(2) == null ? "" : task.group(2).trim();
      if (type.equals("java.lang.IllegalArgumentException")) {
        return new IllegalArgumentException(detail, e);
      }
      return new IllegalStateException("A task failed: " + type.substring(type.lastIndexOf('.') + 1)
          + (detail.isEmpty() ? "" : ": " + detail), e);
    }
    if (io != null) {
      Throwable root = io;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      return new IllegalStateException("I/O error: " + String.valueOf(root.getMessage()).replace('\n', ' '), e);
    }
    return e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(m, e);
  }
}

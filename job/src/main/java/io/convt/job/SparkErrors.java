package io.convt.job;

/** Turns a failed Spark job back into the caller mistake that caused it, so CLIs print one clear line. */
public final class SparkErrors {
  private SparkErrors() {}

  /**
   * The first {@link IllegalArgumentException} in the cause chain of {@code e}, or a
   * {@link IllegalArgumentException} carrying the executor's message when Spark only kept it as text (task
   * failures arrive as {@code SparkException} with the remote stack trace in the message).
   */
  public static RuntimeException unwrap(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException) {
        return (IllegalArgumentException) t;
      }
    }
    String m = String.valueOf(e.getMessage());
    int at = m.indexOf("java.lang.IllegalArgumentException: ");
    if (at >= 0) {
      String rest = m.substring(at + "java.lang.IllegalArgumentException: ".length());
      int nl = rest.indexOf('\n');
      return new IllegalArgumentException(nl >= 0 ? rest.substring(0, nl) : rest, e);
    }
    return e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(m, e);
  }
}

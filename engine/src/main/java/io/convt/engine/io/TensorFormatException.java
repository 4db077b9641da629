package io.convt.engine.io;

/**
 * A tensor or image file that cannot be read as what it claims to be: truncated, malformed, hostile or of an
 * unsupported type. The message always starts with the file (or stream) name, then says what is wrong.
 */
public final class TensorFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public TensorFormatException(String source, String problem) {
    super(source + ": " + problem);
  }

  public TensorFormatException(String source, String problem, Throwable cause) {
    super(source + ": " + problem, cause);
  }
}

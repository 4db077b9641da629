package io.convt.engine.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The fingerprint the run summaries carry ({@code gradient_sha256}, {@code weights_sha256}): SHA-256 of the arrays'
 * little-endian float32 bytes, in order. Two runs agree on it exactly when their arrays are bit-identical.
 */
public final class Float32Sha256 {
  private Float32Sha256() {}

  /** SHA-256 of the arrays' little-endian float32 bytes, in order, as lower-case hex. */
  public static String hex(float[]... arrays) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (float[] a : arrays) {
        ByteBuffer b = ByteBuffer.allocate(4 * a.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(a);
        md.update(b.array());
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}

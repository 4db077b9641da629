package io.convt.engine.io;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict parser for the Python dict literal in a {@code .npy} header: exactly the keys {@code descr},
 * {@code fortran_order} and {@code shape}, string / boolean / int-tuple values, nothing evaluated.
 */
final class NpyHeaderParser {
  private final String text;
  private final String name;
  private int pos;

  private NpyHeaderParser(String text, String name) {
    this.text = text;
    this.name = name;
  }

  static NpyHeader parse(String text, String name, long dataOffset) {
    return new NpyHeaderParser(text, name).header(dataOffset);
  }

  private NpyHeader header(long dataOffset) {
    Map<String, Object> dict = new HashMap<>();
    expect('{');
    while (true) {
      skipSpace();
      if (peek() == '}') {
        pos++;
        break;
      }
      String key = string();
      expect(':');
      skipSpace();
      Object value = value();
      if (dict.put(key, value) != null) {
        throw fail("duplicate key '" + key + "'");
      }
      skipSpace();
      if (peek() == ',') {
        pos++;
      } else if (peek() != '}') {
        throw fail("expected ',' or '}' at offset " + pos);
      }
    }
    if (!text.substring(pos).isBlank()) {
      throw fail("unexpected text after the header dict");
    }
    for (String k : dict.keySet()) {
      if (!k.equals("descr") && !k.equals("fortran_order") && !k.equals("shape")) {
        throw fail("unknown header key '" + k + "'");
      }
    }
    if (!(dict.get("descr") instanceof String descr)) {
      throw fail("header has no string 'descr' (structured dtypes are not supported)");
    }
    if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
      throw fail("header has no boolean 'fortran_order'");
    }
    if (fortran) {
      throw new TensorFormatException(name, "Fortran-order arrays are not supported (save with np.ascontiguousarray)");
    }
    if (!(dict.get("shape") instanceof int[] shape)) {
      throw fail("header has no 'shape' tuple");
    }
    return header(descr, shape, dataOffset);
  }

  private NpyHeader header(String descr, int[] shape, long dataOffset) {
    if (descr.length() < 2) {
      throw new TensorFormatException(name, "unsupported dtype '" + descr + "'");
    }
    char endian = descr.charAt(0);
    String type = "<>|=".indexOf(endian) >= 0 ? descr.substring(1) : descr;
    if (type.equals("O") || type.startsWith("O")) {
      throw new TensorFormatException(name, "object arrays (dtype '" + descr
          + "') are refused: they hold pickled Python objects, never loaded as code");
    }
    char kind = type.charAt(0);
    int itemSize;
    try {
      itemSize = Integer.parseInt(type.substring(1));
    } catch (NumberFormatException e) {
      throw new TensorFormatException(name, "unsupported dtype '" + descr + "'");
    }
    boolean ok = (kind == 'f' && (itemSize == 2 || itemSize == 4 || itemSize == 8)) || (kind == 'u' && itemSize == 1);
    if (!ok) {
      throw new TensorFormatException(name, "unsupported dtype '" + descr
          + "' (supported: float16, float32, float64, uint8)");
    }
    ByteOrder order = endian == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    long count = 1;
    try {
      for (int d : shape) {
        count = Math.multiplyExact(count, d);
      }
      Math.multiplyExact(count, itemSize);
    } catch (ArithmeticException e) {
      count = -1;
    }
    if (count < 0 || count > Integer.MAX_VALUE * 8L) {
      throw new TensorFormatException(name, "shape " + java.util.Arrays.toString(shape) + " is too large");
    }
    return new NpyHeader(descr, kind, itemSize, order, shape, dataOffset, count);
  }

  private Object value() {
    char c = peek();
    if (c == '\'' || c == '"') {
      return string();
    }
    if (c == '(') {
      return tuple();
    }
    if (text.startsWith("True", pos)) {
      pos += 4;
      return Boolean.TRUE;
    }
    if (text.startsWith("False", pos)) {
      pos += 5;
      return Boolean.FALSE;
    }
    throw fail("unsupported value at offset " + pos + " (only strings, booleans and int tuples are allowed)");
  }

  private int[] tuple() {
    expect('(');
    List<Integer> dims = new ArrayList<>();
    while (true) {
      skipSpace();
      if (peek() == ')') {
        pos++;
        break;
      }
      int start = pos;
      while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
        pos++;
      }
      if (start == pos) {
        throw fail("shape must be a tuple of non-negative integers (offset " + pos + ")");
      }
      String digits = text.substring(start, pos);
      // Trailing 'L' is how Python 2 wrote longs; accept it.
      if (pos < text.length() && text.charAt(pos) == 'L') {
        pos++;
      }
      long v = digits.length() > 10 ? Long.MAX_VALUE : Long.parseLong(digits);
      if (v > Integer.MAX_VALUE) {
        throw fail("dimension " + digits + " is too large");
      }
      dims.add((int) v);
      skipSpace();
      if (peek() == ',') {
        pos++;
      } else if (peek() != ')') {
        throw fail("expected ',' or ')' in shape at offset " + pos);
      }
    }
    return dims.stream().mapToInt(Integer::intValue).toArray();
  }

  private String string() {
    skipSpace();
    char quote = peek();
    if (quote != '\'' && quote != '"') {
      throw fail("expected a quoted string at offset " + pos);
    }
    int end = text.indexOf(quote, pos + 1);
    if (end < 0) {
      throw fail("unterminated string");
    }
    String s = text.substring(pos + 1, end);
    pos = end + 1;
    return s;
  }

  private void expect(char c) {
    skipSpace();
    if (peek() != c) {
      throw fail("expected '" + c + "' at offset " + pos);
    }
    pos++;
  }

  private char peek() {
    if (pos >= text.length()) {
      throw fail("header ends early");
    }
    return text.charAt(pos);
  }

  private void skipSpace() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private TensorFormatException fail(String problem) {
    return new TensorFormatException(name, "malformed .npy header: " + problem);
  }
}

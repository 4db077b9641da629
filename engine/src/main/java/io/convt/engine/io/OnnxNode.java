package io.convt.engine.io;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One node of an ONNX graph as {@link OnnxModel} reads it: name, operator, inputs/outputs by tensor name, and its
 * integer and string attributes.
 *
 * @param name node name ({@code ""} when the model leaves it unnamed)
 * @param opType operator, e.g. {@code ConvTranspose}
 * @param inputs input tensor names ({@code ""} for an omitted optional input)
 * @param outputs output tensor names
 * @param attributes by name
 */
public record OnnxNode(String name, String opType, List<String> inputs, List<String> outputs,
    Map<String, Attribute> attributes) {

  /**
   * One attribute: the integer ({@code i}), integers ({@code ints}) or string ({@code s}) value it holds;
   * {@code otherType} when it holds a float, tensor, graph or list of those (none of ConvTranspose's attributes do).
   */
  public record Attribute(String name, Long i, long[] ints, String s, boolean otherType) {}

  /** A label for messages: {@code node 'name'} or {@code the unnamed ConvTranspose node}. */
  public String label() {
    return name.isEmpty() ? "the unnamed " + opType + " node" : "node '" + name + "'";
  }

  /**
   * The int-list attribute {@code key} as {@code int}s, or {@code dflt} when absent; its length must be
   * {@code length}.
   */
  public int[] ints(String key, int length, int[] dflt) {
    Attribute a = attributes.get(key);
    if (a == null) {
      return dflt;
    }
    if (a.otherType() || a.ints().length != length) {
      throw new IllegalArgumentException(label() + ": attribute " + key + " must be " + length + " integers (got "
          + (a.otherType() ? "another type" : Arrays.toString(a.ints())) + ")");
    }
    int[] r = new int[length];
    for (int k = 0; k < length; k++) {
      long v = a.ints()[k];
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(label() + ": attribute " + key + " value " + v + " is out of range");
      }
      r[k] = (int) v;
    }
    return r;
  }

  /** The int attribute {@code key}, or {@code dflt} when absent. */
  public int intValue(String key, int dflt) {
    Attribute a = attributes.get(key);
    if (a == null) {
      return dflt;
    }
    if (a.i() == null || a.i() < Integer.MIN_VALUE || a.i() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(label() + ": attribute " + key + " must be an integer in range");
    }
    return (int) (long) a.i();
  }

  /** The string attribute {@code key}, or {@code dflt} when absent. */
  public String string(String key, String dflt) {
    Attribute a = attributes.get(key);
    if (a == null) {
      return dflt;
    }
    if (a.s() == null) {
      throw new IllegalArgumentException(label() + ": attribute " + key + " must be a string");
    }
    return a.s();
  }
}

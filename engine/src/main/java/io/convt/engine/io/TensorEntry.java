package io.convt.engine.io;

import com.fasterxml.jackson.databind.JsonNode;
import io.convt.engine.internal.Half;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** One validated tensor entry of a safetensors header. */
record TensorEntry(String key, String dtype, int itemSize, int[] shape, long begin, long end) {

  static TensorEntry parse(String key, JsonNode e, String name, long dataSize) {
    String where = "tensor '" + key + "'";
    if (!e.isObject() || !e.path("dtype").isTextual() || !e.path("shape").isArray() || !e.path("data_offsets").isArray()) {
      throw new TensorFormatException(name, where + " needs dtype, shape and data_offsets");
    }
    String dtype = e.get("dtype").asText();
    int itemSize;
    switch (dtype) {
      case "F32":
        itemSize = 4;
        break;
      case "F16":
      case "BF16":
        itemSize = 2;
        break;
      case "F64":
        itemSize = 8;
        break;
      case "U8":
        itemSize = 1;
        break;
      default:
        throw new TensorFormatException(name, where + " has unsupported dtype " + dtype
            + " (supported: F32, F16, BF16, F64, U8)");
    }
    JsonNode s = e.get("shape");
    int[] shape = new int[s.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      if (!s.get(i).canConvertToInt() || s.get(i).asInt() < 0 || !s.get(i).isIntegralNumber()) {
        throw new TensorFormatException(name, where + " has an invalid dimension " + s.get(i));
      }
      shape[i] = s.get(i).asInt();
      count *= shape[i];
      if (count > Integer.MAX_VALUE) {
        throw new TensorFormatException(name, where + " shape " + s + " is too large");
      }
    }
    JsonNode o = e.get("data_offsets");
    if (o.size() != 2 || !o.get(0).canConvertToLong() || !o.get(1).canConvertToLong()
        || !o.get(0).isIntegralNumber() || !o.get(1).isIntegralNumber()) {
      throw new TensorFormatException(name, where + " data_offsets must be two integers");
    }
    long begin = o.get(0).asLong();
    long end = o.get(1).asLong();
    if (begin < 0 || end < begin || end > dataSize) {
      throw new TensorFormatException(name, where + " data_offsets [" + begin + ", " + end
          + "] fall outside the " + dataSize + "-byte data section");
    }
    if (end - begin != count * itemSize) {
      throw new TensorFormatException(name, where + " has " + (end - begin) + " bytes but shape " + s + " of "
          + dtype + " needs " + count * itemSize);
    }
    return new TensorEntry(key, dtype, itemSize, shape, begin, end);
  }

  NpyArray decode(ByteBuffer data, String name) {
    data.order(ByteOrder.LITTLE_ENDIAN);
    int n = (int) ((end - begin) / itemSize);
    float[] f = new float[n];
    byte[] raw = null;
    switch (dtype) {
      case "F32":
        data.asFloatBuffer().get(f);
        break;
      case "F16":
        for (int i = 0; i < n; i++) {
          f[i] = Half.toFloat(data.getShort(2 * i));
        }
        break;
      case "BF16":
        for (int i = 0; i < n; i++) {
          f[i] = Float.intBitsToFloat((data.getShort(2 * i) & 0xffff) << 16);
        }
        break;
      case "F64":
        for (int i = 0; i < n; i++) {
          f[i] = (float) data.getDouble(8 * i);
        }
        break;
      default:
        raw = data.array();
        for (int i = 0; i < n; i++) {
          f[i] = raw[i] & 0xff;
        }
    }
    return new NpyArray(dtype, shape, f, raw);
  }
}

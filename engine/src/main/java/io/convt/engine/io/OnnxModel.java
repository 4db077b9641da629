package io.convt.engine.io;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.convt.engine.internal.Half;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The parts of an ONNX model ({@code .onnx}, a protobuf {@code ModelProto}) that one {@code ConvTranspose} layer
 * needs: the graph's {@code ConvTranspose} nodes and its initializers (tensors). Read as data with protobuf's
 * {@link CodedInputStream} against the field numbers of ONNX's {@code onnx.proto}, so no generated classes are
 * needed; every field not listed here is skipped. Errors are one-line {@link TensorFormatException}s naming the file
 * (and node or tensor).
 */
public final class OnnxModel {
  // onnx.proto field numbers
  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int NODE_INPUT = 1;
  private static final int NODE_OUTPUT = 2;
  private static final int NODE_NAME = 3;
  private static final int NODE_OP_TYPE = 4;
  private static final int NODE_ATTRIBUTE = 5;
  private static final int ATTR_NAME = 1;
  private static final int ATTR_F = 2;
  private static final int ATTR_I = 3;
  private static final int ATTR_S = 4;
  private static final int ATTR_INTS = 8;
  private static final int TENSOR_DIMS = 1;
  private static final int TENSOR_DATA_TYPE = 2;
  private static final int TENSOR_SEGMENT = 3;
  private static final int TENSOR_FLOAT_DATA = 4;
  private static final int TENSOR_INT32_DATA = 5;
  private static final int TENSOR_NAME = 8;
  private static final int TENSOR_RAW_DATA = 9;
  private static final int TENSOR_DOUBLE_DATA = 10;
  private static final int TENSOR_EXTERNAL_DATA = 13;
  private static final int TENSOR_DATA_LOCATION = 14;
  private static final int FLOAT = 1;
  private static final int FLOAT16 = 10;
  private static final int DOUBLE = 11;

  private final String file;
  private final List<OnnxNode> nodes;
  /** Initializers by name, still encoded: only the ones a layer uses are decoded. */
  private final Map<String, ByteString> initializers;

  private OnnxModel(String file, List<OnnxNode> nodes, Map<String, ByteString> initializers) {
    this.file = file;
    this.nodes = nodes;
    this.initializers = initializers;
  }

  /** Reads and indexes {@code model}; refuses a file larger than the heap allows or not a protobuf model. */
  public static OnnxModel read(Path model) {
    String name = model.toString();
    String problem = InputFiles.problem(model);
    if (problem != null) {
      throw new TensorFormatException(name, "ONNX model " + (problem.startsWith("file ") ? "" : "file ") + problem);
    }
    byte[] bytes;
    try {
      HeapBudget.require(name, "ONNX model", Files.size(model));
      bytes = Files.readAllBytes(model);
    } catch (IOException e) {
      throw new TensorFormatException(name, "cannot read ONNX model: " + e.getMessage(), e);
    }
    List<OnnxNode> nodes = new ArrayList<>();
    Map<String, ByteString> inits = new LinkedHashMap<>();
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      boolean graph = false;
      for (int tag; (tag = in.readTag()) != 0; ) {
        if (field(tag) == MODEL_GRAPH && wire(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          graph = true;
          readGraph(name, in.readBytes().newCodedInput(), nodes, inits);
        } else {
          in.skipField(tag);
        }
      }
      if (!graph) {
        throw new TensorFormatException(name, "is not an ONNX model (no graph)");
      }
    } catch (IOException e) { // InvalidProtocolBufferException: truncated, or not protobuf at all
      throw new TensorFormatException(name, "is truncated or not an ONNX model (" + e.getMessage() + ")", e);
    }
    return new OnnxModel(name, List.copyOf(nodes), inits);
  }

  /** Every node of the graph (top level only). */
  public List<OnnxNode> nodes() {
    return nodes;
  }

  /**
   * The {@code ConvTranspose} node named {@code nodeName}, or the only one when {@code nodeName} is null.
   *
   * @throws TensorFormatException when there is none, several without a name given, or no node of that name
   */
  public OnnxNode convTranspose(String nodeName) {
    List<OnnxNode> conv = nodes.stream().filter(n -> n.opType().equals("ConvTranspose")).toList();
    if (nodeName != null) {
      OnnxNode n = nodes.stream().filter(x -> x.name().equals(nodeName)).findFirst().orElseThrow(
          () -> new TensorFormatException(file, "has no node '" + nodeName + "' (ConvTranspose nodes: "
              + names(conv) + ")"));
      if (!n.opType().equals("ConvTranspose")) {
        throw new TensorFormatException(file, "node '" + nodeName + "' is a " + n.opType() + ", not a ConvTranspose");
      }
      return n;
    }
    if (conv.isEmpty()) {
      throw new TensorFormatException(file, "has no ConvTranspose node (ops: " + nodes.stream().map(OnnxNode::opType)
          .distinct().collect(Collectors.joining(", ")) + ")");
    }
    if (conv.size() > 1) {
      throw new TensorFormatException(file, "has " + conv.size() + " ConvTranspose nodes (" + names(conv)
          + "): choose one with --onnx-node");
    }
    return conv.get(0);
  }

  /** True when the graph has an initializer {@code name}. */
  public boolean hasInitializer(String name) {
    return initializers.containsKey(name);
  }

  /**
   * The initializer {@code name} as floats, or {@code null} when there is none of that name.
   *
   * @throws TensorFormatException for external data, a non-float type, or data that does not match its dims
   */
  public NpyArray initializer(String name) {
    ByteString t = initializers.get(name);
    if (t == null) {
      return null;
    }
    try {
      return readTensor(file + "[" + name + "]", t.newCodedInput());
    } catch (IOException e) {
      throw new TensorFormatException(file + "[" + name + "]", "tensor is truncated (" + e.getMessage() + ")", e);
    }
  }

  private static String names(List<OnnxNode> n) {
    return n.stream().map(x -> x.name().isEmpty() ? "<unnamed>" : x.name()).collect(Collectors.joining(", "));
  }

  private static int field(int tag) {
    return WireFormat.getTagFieldNumber(tag);
  }

  private static int wire(int tag) {
    return WireFormat.getTagWireType(tag);
  }

  private static void readGraph(String file, CodedInputStream in, List<OnnxNode> nodes, Map<String, ByteString> inits)
      throws IOException {
    for (int tag; (tag = in.readTag()) != 0; ) {
      if (field(tag) == GRAPH_NODE && wire(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        nodes.add(readNode(in.readBytes().newCodedInput()));
      } else if (field(tag) == GRAPH_INITIALIZER && wire(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        ByteString t = in.readBytes();
        inits.put(tensorName(t.newCodedInput()), t);
      } else {
        in.skipField(tag);
      }
    }
  }

  private static OnnxNode readNode(CodedInputStream in) throws IOException {
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    String name = "";
    String op = "";
    Map<String, OnnxNode.Attribute> attrs = new LinkedHashMap<>();
    for (int tag; (tag = in.readTag()) != 0; ) {
      switch (field(tag)) {
        case NODE_INPUT -> inputs.add(in.readStringRequireUtf8());
        case NODE_OUTPUT -> outputs.add(in.readStringRequireUtf8());
        case NODE_NAME -> name = in.readStringRequireUtf8();
        case NODE_OP_TYPE -> op = in.readStringRequireUtf8();
        case NODE_ATTRIBUTE -> {
          OnnxNode.Attribute a = readAttribute(in.readBytes().newCodedInput());
          attrs.put(a.name(), a);
        }
        default -> in.skipField(tag);
      }
    }
    return new OnnxNode(name, op, List.copyOf(inputs), List.copyOf(outputs), attrs);
  }

  private static OnnxNode.Attribute readAttribute(CodedInputStream in) throws IOException {
    String name = "";
    Long i = null;
    String s = null;
    boolean other = false;
    List<Long> ints = new ArrayList<>();
    for (int tag; (tag = in.readTag()) != 0; ) {
      int f = field(tag);
      if (f == ATTR_NAME) {
        name = in.readStringRequireUtf8();
      } else if (f == ATTR_I) {
        i = in.readInt64();
      } else if (f == ATTR_S) {
        s = in.readBytes().toStringUtf8();
      } else if (f == ATTR_INTS) {
        readInt64s(in, tag, ints);
      } else if (f == ATTR_F || (f >= 5 && f <= 7) || f == 9 || f == 10 || f == 11) {
        other = true; // float, tensor, graph, floats, strings, tensors, graphs: no ConvTranspose attribute is one
        in.skipField(tag);
      } else {
        in.skipField(tag); // type (20), doc_string, ref_attr_name: the value fields tell what it is
      }
    }
    long[] v = ints.stream().mapToLong(Long::longValue).toArray();
    return new OnnxNode.Attribute(name, i, v, s, other);
  }

  /** A repeated int64 field, packed (proto3 style, ONNX's writers) or one value per tag. */
  private static void readInt64s(CodedInputStream in, int tag, List<Long> out) throws IOException {
    if (wire(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      int limit = in.pushLimit(in.readRawVarint32());
      while (in.getBytesUntilLimit() > 0) {
        out.add(in.readInt64());
      }
      in.popLimit(limit);
    } else {
      out.add(in.readInt64());
    }
  }

  private static String tensorName(CodedInputStream in) throws IOException {
    for (int tag; (tag = in.readTag()) != 0; ) {
      if (field(tag) == TENSOR_NAME) {
        return in.readStringRequireUtf8();
      }
      in.skipField(tag);
    }
    return "";
  }

  private static NpyArray readTensor(String name, CodedInputStream in) throws IOException {
    List<Long> dims = new ArrayList<>();
    int type = 0;
    ByteString raw = null;
    List<Long> typed = new ArrayList<>(); // float_data as raw bits, int32_data (float16 bits), double_data bits
    for (int tag; (tag = in.readTag()) != 0; ) {
      int f = field(tag);
      if (f == TENSOR_DIMS) {
        readInt64s(in, tag, dims);
      } else if (f == TENSOR_DATA_TYPE) {
        type = in.readInt32();
      } else if (f == TENSOR_RAW_DATA) {
        raw = in.readBytes();
      } else if (f == TENSOR_FLOAT_DATA || f == TENSOR_INT32_DATA || f == TENSOR_DOUBLE_DATA) {
        readScalars(in, tag, typed);
      } else if (f == TENSOR_EXTERNAL_DATA || f == TENSOR_DATA_LOCATION || f == TENSOR_SEGMENT) {
        throw new TensorFormatException(name, "tensor uses external data or segments (not supported: save the model"
            + " with its tensors inside, onnx.save(model, path, save_as_external_data=False))");
      } else {
        in.skipField(tag);
      }
    }
    int elementBytes = switch (type) {
      case FLOAT -> 4;
      case FLOAT16 -> 2;
      case DOUBLE -> 8;
      default -> throw new TensorFormatException(name, "tensor data_type " + type
          + " is not supported (need 1 FLOAT, 10 FLOAT16 or 11 DOUBLE)");
    };
    int[] shape = new int[dims.size()];
    long count = 1;
    for (int d = 0; d < shape.length; d++) {
      long v = dims.get(d);
      if (v < 0 || v > Integer.MAX_VALUE) {
        throw new TensorFormatException(name, "tensor dims " + dims + " are out of range");
      }
      shape[d] = (int) v;
      count = HeapBudget.bytes(count, v);
    }
    HeapBudget.require(name, "tensor " + dims, HeapBudget.bytes(count, 4));
    long given = raw != null ? raw.size() / (long) elementBytes : typed.size();
    if ((raw != null && raw.size() % elementBytes != 0) || given != count) {
      throw new TensorFormatException(name, "tensor dims " + dims + " need " + count + " values, the data holds "
          + (raw != null ? raw.size() + " bytes" : typed.size() + " values"));
    }
    float[] v = new float[(int) count];
    if (raw != null) {
      ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      for (int k = 0; k < v.length; k++) {
        v[k] = type == FLOAT ? b.getFloat() : type == DOUBLE ? (float) b.getDouble() : Half.toFloat(b.getShort());
      }
    } else {
      for (int k = 0; k < v.length; k++) {
        long bits = typed.get(k);
        v[k] = type == FLOAT ? Float.intBitsToFloat((int) bits) : type == DOUBLE
            ? (float) Double.longBitsToDouble(bits) : Half.toFloat((short) bits);
      }
    }
    return new NpyArray("<f4", shape, v, null);
  }

  /** float_data (fixed32), int32_data (varint) or double_data (fixed64), packed or not, as raw bits. */
  private static void readScalars(CodedInputStream in, int tag, List<Long> out) throws IOException {
    int f = field(tag);
    boolean packed = wire(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
    int limit = packed ? in.pushLimit(in.readRawVarint32()) : -1;
    do {
      out.add(f == TENSOR_FLOAT_DATA ? (long) in.readRawLittleEndian32() : f == TENSOR_DOUBLE_DATA
          ? in.readRawLittleEndian64() : (long) in.readInt32());
    } while (packed && in.getBytesUntilLimit() > 0);
    if (packed) {
      in.popLimit(limit);
    }
  }

  @Override
  public String toString() {
    return "OnnxModel(" + file + ", nodes " + nodes.size() + ", initializers " + Arrays.toString(
        initializers.keySet().toArray()) + ")";
  }
}

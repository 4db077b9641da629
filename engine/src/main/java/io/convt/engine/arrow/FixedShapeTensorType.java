package io.convt.engine.arrow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.ExtensionTypeRegistry;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * Arrow's canonical extension type {@code arrow.fixed_shape_tensor} (which Arrow Java does not ship) for float32
 * tensors: storage {@code FixedSizeList<float32>[prod(shape)]}, metadata {@code {"shape":[...],"dim_names":[...]}}
 * (row-major, no permutation). Files written with it open as tensors in pyarrow and other Arrow implementations.
 */
public final class FixedShapeTensorType extends ArrowType.ExtensionType {
  public static final String NAME = "arrow.fixed_shape_tensor";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final int[] shape;
  private final java.util.List<String> dimNames;

  static {
    ExtensionTypeRegistry.register(new FixedShapeTensorType(new int[] {1}, null));
  }

  public FixedShapeTensorType(int[] shape, java.util.List<String> dimNames) {
    if (shape == null || shape.length == 0 || Arrays.stream(shape).anyMatch(d -> d <= 0)) {
      throw new IllegalArgumentException("Cannot create fixed_shape_tensor type: shape must be positive (got "
          + Arrays.toString(shape) + ")");
    }
    if (dimNames != null && dimNames.size() != shape.length) {
      throw new IllegalArgumentException("Cannot create fixed_shape_tensor type: " + dimNames.size()
          + " dim_names for " + shape.length + " dimensions");
    }
    this.shape = shape.clone();
    this.dimNames = dimNames == null ? null : java.util.List.copyOf(dimNames);
  }

  /** Makes sure the type is registered (readers need it before opening a file). */
  public static void register() {
    // the static initialiser does the work
  }

  public int[] shape() {
    return shape.clone();
  }

  /** Elements per tensor. */
  public int size() {
    return Arrays.stream(shape).reduce(1, Math::multiplyExact);
  }

  @Override
  public ArrowType storageType() {
    return new ArrowType.FixedSizeList(size());
  }

  @Override
  public String extensionName() {
    return NAME;
  }

  @Override
  public boolean extensionEquals(ArrowType.ExtensionType other) {
    return other instanceof FixedShapeTensorType t && Arrays.equals(shape, t.shape)
        && java.util.Objects.equals(dimNames, t.dimNames);
  }

  @Override
  public String serialize() {
    ObjectNode n = JSON.createObjectNode();
    Arrays.stream(shape).forEach(n.putArray("shape")::add);
    if (dimNames != null) {
      dimNames.forEach(n.putArray("dim_names")::add);
    }
    return n.toString();
  }

  @Override
  public ArrowType deserialize(ArrowType storageType, String serialized) {
    try {
      JsonNode n = JSON.readTree(serialized);
      JsonNode s = n.get("shape");
      if (s == null || !s.isArray()) {
        throw new IllegalArgumentException("no shape");
      }
      if (n.has("permutation")) {
        throw new IllegalArgumentException("permuted tensors are not supported");
      }
      int[] shp = new int[s.size()];
      for (int i = 0; i < shp.length; i++) {
        shp[i] = s.get(i).asInt();
      }
      java.util.List<String> names = null;
      if (n.has("dim_names")) {
        names = new java.util.ArrayList<>();
        for (JsonNode d : n.get("dim_names")) {
          names.add(d.asText());
        }
      }
      FixedShapeTensorType t = new FixedShapeTensorType(shp, names);
      if (!(storageType instanceof ArrowType.FixedSizeList l) || l.getListSize() != t.size()) {
        throw new IllegalArgumentException("storage " + storageType + " does not hold " + t.size() + " values");
      }
      return t;
    } catch (com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
      throw new IllegalArgumentException("Cannot read arrow.fixed_shape_tensor metadata '" + serialized + "': "
          + e.getMessage(), e);
    }
  }

  @Override
  public FieldVector getNewVector(String name, FieldType fieldType, BufferAllocator allocator) {
    return new FixedShapeTensorVector(new Field(name, fieldType, java.util.List.of(valueField())), allocator,
        FixedSizeListVector.empty(name, size(), allocator));
  }

  /** The field for a column of these tensors. */
  public Field field(String name) {
    return new Field(name, new FieldType(false, this, null), java.util.List.of(valueField()));
  }

  private static Field valueField() {
    return new Field("item", FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null);
  }
}

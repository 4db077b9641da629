package io.convt.engine.arrow;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.hash.ArrowBufHasher;
import org.apache.arrow.vector.ExtensionTypeVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.Field;

/** A column of {@link FixedShapeTensorType} float32 tensors over its {@code FixedSizeList<float32>} storage. */
public final class FixedShapeTensorVector extends ExtensionTypeVector<FixedSizeListVector> {
  private final Field field;

  public FixedShapeTensorVector(Field field, BufferAllocator allocator, FixedSizeListVector storage) {
    super(field, allocator, storage);
    this.field = field; // the float32 child is created from the field's children (VectorSchemaRoot, IPC readers)
  }

  @Override
  public Field getField() {
    return field;
  }

  /** The tensor at {@code index} as a new float array (row-major). */
  @Override
  public float[] getObject(int index) {
    FixedSizeListVector list = getUnderlyingVector();
    int n = list.getListSize();
    Float4Vector values = (Float4Vector) list.getDataVector();
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = values.get(index * n + i);
    }
    return out;
  }

  /** Writes a tensor at {@code index} (the vector must have capacity; see {@code allocateNew}). */
  public void set(int index, float[] tensor) {
    FixedSizeListVector list = getUnderlyingVector();
    int n = list.getListSize();
    if (tensor.length != n) {
      throw new IllegalArgumentException("Cannot set tensor " + index + ": " + tensor.length + " values, the type holds " + n);
    }
    Float4Vector values = (Float4Vector) list.getDataVector();
    for (int i = 0; i < n; i++) {
      values.setSafe(index * n + i, tensor[i]);
    }
    list.setNotNull(index);
  }

  @Override
  public int hashCode(int index) {
    return getUnderlyingVector().hashCode(index);
  }

  @Override
  public int hashCode(int index, ArrowBufHasher hasher) {
    return getUnderlyingVector().hashCode(index, hasher);
  }
}

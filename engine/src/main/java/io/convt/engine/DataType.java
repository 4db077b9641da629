package io.convt.engine;

/** {@code MPSDataType} values a data source may deliver weights in. Bias is always float32. */
public enum DataType {
  FLOAT32,
  FLOAT16,
  UINT8
}

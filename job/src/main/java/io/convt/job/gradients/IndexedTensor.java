package io.convt.job.gradients;

import java.io.Serializable;

/**
 * One tensor of a paired tensor dataset on its way to the task of its slice, keyed so that sorting by key gives
 * global record order with each record's input right before its target: {@code key = 2·index + side}.
 *
 * @param key {@code 2·index + side} ({@link #INPUT} or {@link #TARGET})
 * @param id the record's id, for messages
 * @param data the tensor's values, {@code C·H·W} float32
 */
public record IndexedTensor(long key, String id, float[] data) implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Side of an input tensor. */
  public static final int INPUT = 0;
  /** Side of a target (or upstream gradient) tensor. */
  public static final int TARGET = 1;

  /** The key of record {@code index}'s {@code side}. */
  public static long key(long index, int side) {
    return 2 * index + side;
  }

  /** The record's global index. */
  public long index() {
    return key >> 1;
  }

  /** {@link #INPUT} or {@link #TARGET}. */
  public int side() {
    return (int) (key & 1);
  }
}

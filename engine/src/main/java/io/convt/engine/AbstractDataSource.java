package io.convt.engine;

import java.util.Objects;

/**
 * Base for data sources: a thread-safe, re-entrant load/purge count. {@link #doLoad()} runs on the first load
 * after construction or a full purge, {@link #doPurge()} when the last load is matched. Accessing weights while
 * unloaded throws, which catches the classic lifecycle bug early.
 */
public abstract class AbstractDataSource implements ConvDataSource {
  private final ConvTransposeDescriptor descriptor;
  private final String label;
  private int loads;

  protected AbstractDataSource(ConvTransposeDescriptor descriptor, String label) {
    this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
    this.label = label == null ? getClass().getSimpleName() : label;
  }

  @Override
  public final ConvTransposeDescriptor descriptor() {
    return descriptor;
  }

  @Override
  public final String label() {
    return label;
  }

  @Override
  public final synchronized boolean load() {
    if (loads == 0 && !doLoad()) {
      return false;
    }
    loads++;
    return true;
  }

  @Override
  public final synchronized void purge() {
    if (loads == 0) {
      throw new IllegalStateException("Cannot purge data source '" + label + "': purge without a matching load");
    }
    if (--loads == 0) {
      doPurge();
    }
  }

  /** Current number of unmatched loads (for tests and diagnostics). */
  public final synchronized int loadCount() {
    return loads;
  }

  /** Throws unless loaded; call at the top of {@code weights()} and {@code biasTerms()}. */
  protected final synchronized void requireLoaded(String what) {
    if (loads == 0) {
      throw new IllegalStateException(
          "Cannot read " + what + " of data source '" + label + "': call load() first (and purge() after)");
    }
  }

  /** Acquires the weights; return false when they cannot be had. */
  protected abstract boolean doLoad();

  /** Releases the weights. */
  protected abstract void doPurge();
}

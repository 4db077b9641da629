package io.convt.engine.internal.simd;

import io.convt.engine.internal.ConvProblem;

/**
 * How the DENSE forward ({@link SimdForward}) numbers its tasks: a task is (chunk of {@code chunk} output rows, group,
 * output-channel block), claimed one at a time in index order. Chunks come in bands of {@code band}; a band's tasks
 * run group by group, each group's chunks of the band next to each other, then the blocks. One-group layers and one
 * thread use bands of one chunk: chunk, group, block, so one block's packed weights stay in L2 while a chunk's rows
 * stream past. Grouped layers at T ≥ 2 threads use bands of T chunks, cut finer ({@link #groupedRows}): the workers
 * then run the same group on different rows at the same time, where bands of one chunk had them on neighbouring
 * groups of the same pixels, whose channel slices (groups4: 128 bytes, from the array's 16-byte header) share cache
 * lines both write; and a band's rows are still written by every group while they are cached.
 *
 * @param chunk rows per task
 * @param chunks row chunks
 * @param groups groups
 * @param blocks output-channel blocks per group
 * @param band chunks per band
 */
record ForwardTasks(int chunk, int chunks, int groups, int blocks, int band) {
  /** Tasks per thread a grouped forward aims for at several threads ({@link #groupedRows}). */
  static final int TASKS_PER_THREAD = 8;
  /** Fewest output rows in a task cut for balance: each task reads its block's weights again. */
  static final int MIN_TASK_ROWS = 8;

  /** The tasks of {@code p}'s forward over {@code rows} output rows with blocks of {@code cb} channels. */
  static ForwardTasks of(ConvProblem p, int rows, int cb, int threads) {
    int blocks = (p.cog() + cb - 1) / cb;
    int l2 = SimdForward.rowChunk(p.srcW() * p.srcC());
    boolean grouped = p.groups() > 1 && threads > 1;
    int chunk = grouped ? groupedRows(rows, l2, p.groups() * blocks, threads)
        : SimdForward.balancedTaskRows(rows, l2, p.groups() * blocks, threads);
    return new ForwardTasks(chunk, (rows + chunk - 1) / chunk, p.groups(), blocks, grouped ? threads : 1);
  }

  /**
   * Rows per task of a grouped forward at several threads: as {@link SimdForward#balancedTaskRows}, then cut further
   * until every thread has {@link #TASKS_PER_THREAD} tasks (chunks of at least {@link #MIN_TASK_ROWS} rows, the task
   * count a multiple of the thread count where that allows). Tasks are claimed one at a time, so the workers finish
   * at most one task apart: groups4 at N = 1 had 8 tasks of ~0.11 ms (2 chunks of 32 rows × 4 groups), where a worker
   * starting one task late runs 3 while the caller runs 5, a quarter of the call idle on one core. 16 tasks of 16 rows keep the
   * 16-row groups the 32-row chunks were summed in ({@link SimdForward#rowsPerGroup}): the kernels' work is the same.
   */
  static int groupedRows(int rows, int l2Chunk, int blocks, int threads) {
    int chunk = SimdForward.balancedTaskRows(rows, l2Chunk, blocks, threads);
    int chunks = (rows + chunk - 1) / chunk;
    while ((long) chunks * blocks < (long) TASKS_PER_THREAD * threads && rows / (chunks + 1) >= MIN_TASK_ROWS) {
      chunks++;
    }
    while ((long) chunks * blocks % threads != 0 && rows / (chunks + 1) >= MIN_TASK_ROWS) {
      chunks++;
    }
    return (rows + chunks - 1) / chunks;
  }

  int count() {
    return chunks * groups * blocks;
  }

  /** Row chunk of a task. */
  int chunkOf(int task) {
    int perBand = band * groups * blocks;
    int b = task / perBand;
    int nc = Math.min(band, chunks - b * band);
    return b * band + (task - b * perBand) / blocks % nc;
  }

  /** Group of a task. */
  int groupOf(int task) {
    int perBand = band * groups * blocks;
    int b = task / perBand;
    int nc = Math.min(band, chunks - b * band);
    return (task - b * perBand) / (nc * blocks);
  }

  /** Output-channel block of a task within its group. */
  int blockOf(int task) {
    return task % blocks;
  }
}

package io.convt.engine.internal.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.Neuron;
import io.convt.engine.NeuronType;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import io.convt.engine.internal.simd.TwinKernelTest.Geometry;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The DENSE forward of grouped layers, whose tasks are numbered group by group and cut finer at several threads
 * ({@link SimdForward#groupedTaskRows}): the scalar twin at 1 thread, and the same bits at 1, 2, 3 and 5 threads (each
 * output's sums stay inside one task, whatever the split), on groups4-like geometries (32 channels per group, k4 s2)
 * with odd sizes, clips, channel slices, several images, two channel blocks per group, bias and a neuron.
 */
class GroupedForwardTasksTest {
  private static final int L = SimdForward.L;

  static Stream<Geometry> geometries() {
    return Stream.of(
        // the groups4 layer itself at N = 1 (64 rows: the split that runs at 2 threads is the one benchmarked)
        new Geometry("groups4_n1", 1, 32, 32, 4 * 2 * L, 4 * 2 * L, 4, 4, 2, 1, false, NeuronType.NONE, 401),
        // odd sizes, shifted clip, channel slices, three images: chunks that do not divide the rows
        new Geometry("groups4_odd_n3", 3, 13, 11, 4 * 2 * L, 4 * 2 * L, 4, 4, 2, 1, true, NeuronType.NONE, 402),
        // two channel blocks per group, a neuron (row buffers finished pixel by pixel)
        new Geometry("groups2_two_blocks", 2, 9, 14, 2 * 2 * L, 2 * 8 * L, 2, 3, 2, 1, false, NeuronType.TANH, 403),
        // three groups, stride 1, dilation 2: kernel rows per call over dilated rows
        new Geometry("groups3_s1_dil2", 1, 17, 10, 3 * L, 3 * 2 * L, 3, 3, 1, 2, true, NeuronType.NONE, 404));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void sameBitsAtEveryThreadCountAndTheScalarTwin(Geometry g) {
    KernelBackend simd = KernelBackends.lookup("simd");
    ConvProblem p = TwinKernelTest.problem(g);
    Random r = new Random(g.seed());
    float[] src = TwinKernelTest.random(r, p.images() * p.srcImageSize());
    float[] w = TwinKernelTest.random(r, p.weightCount());
    float[] bias = TwinKernelTest.random(r, p.cout());
    float[] init = TwinKernelTest.random(r, p.images() * p.dstImageSize());
    Activation neuron = g.neuron() == NeuronType.NONE ? Activation.IDENTITY : Neuron.of(g.neuron())::apply;
    float[] want = init.clone();
    ScalarBackend.INSTANCE.forward(p, src, w, bias, neuron, want, 1);
    float[] bound = init.clone();
    ScalarBackend.INSTANCE.forward(p, TwinKernelTest.abs(src), TwinKernelTest.abs(w), TwinKernelTest.abs(bias),
        Activation.IDENTITY, bound, 1);
    float[] one = init.clone();
    simd.forward(p, src, w, bias, neuron, one, 1);
    TwinKernelTest.assertTwin("forward " + g.name(), want, one, TwinKernelTest.abs(bound),
        p.cig() * p.kH() * p.kW() + 1);
    for (int threads : new int[] {2, 3, 5}) {
      float[] got = init.clone();
      simd.forward(p, src, w, bias, neuron, got, threads);
      assertArrayEquals(one, got, "forward differs from 1 thread at " + threads + ": " + g.name() + " "
          + p.describe());
    }
  }

  @Test
  void groups4AtTwoThreadsGetsEqualTasksOfWholeRows() {
    // groups4, N = 1: 64 output rows, 32 source rows of 4096 floats, 4 groups of one block
    int rows = 64;
    int l2 = SimdForward.rowChunk(32 * 128);
    for (int threads : new int[] {2, 3, 4}) {
      int chunk = ForwardTasks.groupedRows(rows, l2, 4, threads);
      int chunks = (rows + chunk - 1) / chunk;
      assertTrue(chunk >= ForwardTasks.MIN_TASK_ROWS, "chunk " + chunk + " at " + threads);
      assertTrue(chunks * 4 >= ForwardTasks.TASKS_PER_THREAD * threads
          || rows / (chunks + 1) < ForwardTasks.MIN_TASK_ROWS, chunks * 4 + " tasks at " + threads + " threads");
    }
    int two = ForwardTasks.groupedRows(rows, l2, 4, 2);
    assertEquals(16, two, "16 tasks of 16 rows: the 16-row groups of one thread's 32-row chunks");
  }

  @Test
  void everyTaskOfEveryBandIsNumberedOnce() {
    for (int band : new int[] {1, 2, 3, 5}) {
      for (int chunks : new int[] {1, 2, 4, 7, 16}) {
        for (int groups : new int[] {1, 3, 4}) {
          for (int blocks : new int[] {1, 2}) {
            ForwardTasks t = new ForwardTasks(8, chunks, groups, blocks, band);
            boolean[] seen = new boolean[t.count()];
            for (int task = 0; task < t.count(); task++) {
              int c = t.chunkOf(task);
              int g = t.groupOf(task);
              int b = t.blockOf(task);
              assertTrue(c >= 0 && c < chunks && g >= 0 && g < groups && b >= 0 && b < blocks, "task " + task);
              int id = (c * groups + g) * blocks + b;
              assertTrue(!seen[id], "(chunk, group, block) numbered twice: " + c + ", " + g + ", " + b);
              seen[id] = true;
              if (band == 1) {
                // bands of one chunk: chunk, group, block (the one-thread and one-group order)
                assertEquals(task, id, "band 1 order");
              } else if (task > 0 && t.groupOf(task - 1) == g && b == 0) {
                assertEquals(t.chunkOf(task - 1) + 1, c, "a band's chunks of one group are neighbours");
              }
            }
          }
        }
      }
    }
  }
}

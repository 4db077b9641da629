package io.convt.engine.internal.simd;

import io.convt.engine.Neuron;
import io.convt.engine.NeuronType;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Runs every vectorised path of the twin tests' geometries, all three passes, at 1 and 2 threads: the child JVM of
 * {@link C1CompilabilityTest}, started with C1 only so that every kernel method it reaches is compiled at tier 3.
 * It builds {@link SimdBackend} directly: {@code KernelBackends} refuses the Vector API without C2, as it should for
 * users. Prints the number of problems run and exits 0; any exception exits non-zero.
 */
final class C1Probe {
  private C1Probe() {}

  /** Every geometry the vectorised kernel's twin tests run, as problems. */
  static List<ConvProblem> problems() {
    List<ConvProblem> all = new ArrayList<>();
    Stream.of(TwinKernelTest.geometries(), PointwiseTwinTest.geometries(), FewOutputsTwinTest.geometries(),
            GroupPhaseWeightsTest.geometries(), WeightGradientThreadsTest.stripedGeometries(),
            WeightGradientThreadsTest.directGeometries())
        .flatMap(s -> s)
        .forEach(g -> all.add(TwinKernelTest.problem(g)));
    DepthwiseBackwardDataTwinTest.layers().forEach(l -> all.add(DepthwiseBackwardDataTwinTest.problem(l)));
    DirectStoreTwinTest.cases().forEach(c -> all.add(DirectStoreTwinTest.problem(c)));
    return all;
  }

  public static void main(String[] args) {
    SimdBackend simd = new SimdBackend();
    int maxThreads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    long maxMacs = args.length > 1 ? Long.parseLong(args[1]) : Long.MAX_VALUE;
    List<ConvProblem> problems = problems().stream().filter(p -> p.macs() <= maxMacs).toList();
    for (ConvProblem p : problems) {
      long t0 = System.nanoTime();
      run(simd, p, maxThreads);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      if (ms > 300) {
        System.err.println("slow " + ms + " ms " + p.describe());
      }
    }
    // fp16 accumulation (its own forward kernel) on the twin geometries, with a neuron where they have one
    TwinKernelTest.geometries().filter(g -> TwinKernelTest.problem(g).macs() <= maxMacs).forEach(g -> {
      ConvProblem p = HalfAccumulationTwinTest.halfAccumulation(TwinKernelTest.problem(g));
      Activation neuron = g.neuron() == NeuronType.NONE ? Activation.IDENTITY : Neuron.of(g.neuron())::apply;
      Random r = new Random(g.seed());
      float[] src = TwinKernelTest.random(r, p.images() * p.srcImageSize());
      float[] w = TwinKernelTest.random(r, p.weightCount());
      simd.forward(p, src, w, TwinKernelTest.random(r, p.cout()), neuron, new float[p.images() * p.dstImageSize()], 1);
    });
    System.out.println("C1Probe ran " + problems.size() + " problems at 1 to " + maxThreads + " threads");
  }

  private static void run(SimdBackend simd, ConvProblem p, int maxThreads) {
    Random r = new Random(p.hashCode());
    // framed problems place their first image past the start of the buffers
    float[] src = TwinKernelTest.random(r, (p.srcImage0() + p.images()) * p.srcImageSize());
    float[] w = TwinKernelTest.random(r, p.weightCount());
    float[] bias = TwinKernelTest.random(r, p.cout());
    float[] gradOut = TwinKernelTest.random(r, (p.dstImage0() + p.images()) * p.dstImageSize());
    for (int threads = 1; threads <= maxThreads; threads++) {
      simd.forward(p, src, w, bias, Activation.IDENTITY, new float[gradOut.length], threads);
      simd.backwardData(p, gradOut, w, new float[src.length], threads);
      simd.backwardWeights(p, src, gradOut, new float[w.length], new float[p.cout()], threads);
    }
  }
}

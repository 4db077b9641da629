package io.convt.bench.onednn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * oneDNN 3.x anchor on the 16-shape suite: oneDNN's deconvolution primitive ({@link OneDnnDeconv}) timed like
 * {@code bench/EngineBench} times the engine (warm-up of at least {@code max(0.5, budget/2)} s until steady, then
 * samples of at least 0.05 s, 3 to 9 of them within the budget, median), written in EngineBench's TSV so
 * {@code scripts/bench-compare} reads both alike. Before a layer's smallest batch is timed its three passes are
 * checked against the engine's scalar reference on the same data (weights rotated into oneDNN's taps): a wrong
 * mapping fails the run instead of producing a number.
 *
 * <p>One thread count per process: oneDNN's OpenMP runtime takes it from {@code OMP_NUM_THREADS}, which must equal
 * {@code --threads} (scripts/bench-onednn starts one process per count).
 *
 * <p>Usage: {@code OneDnnBench --shapes-file shapes.json --threads T [--shapes a,b] [--passes fwd,bwd_d,bwd_w]
 * [--batches 1,32] [--budget 1.0] [--warmup S] [--no-check] --out FILE.tsv}.
 */
public final class OneDnnBench {
  /** Largest allowed max|oneDNN − reference| / max|reference| (float32 sums against double ones). */
  static final double TOLERANCE = 1e-4;

  private OneDnnBench() {}

  public static void main(String[] args) throws IOException {
    String shapesFile = null;
    String out = null;
    Set<String> only = new HashSet<>();
    Set<Integer> batches = new HashSet<>();
    int threads = 0;
    List<String> passes = List.of("fwd", "bwd_d", "bwd_w");
    double budget = 1.0;
    double warmup = 0;
    boolean check = true;
    for (int i = 0; i < args.length; i++) {
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--shapes-file": shapesFile = v; i++; break;
        case "--shapes": only.addAll(Arrays.asList(v.split(","))); i++; break;
        case "--batches": for (String s : v.split(",")) { batches.add(Integer.parseInt(s)); } i++; break;
        case "--threads": threads = Integer.parseInt(v); i++; break;
        case "--passes": passes = Arrays.asList(v.split(",")); i++; break;
        case "--budget": budget = Double.parseDouble(v); i++; break;
        case "--warmup": warmup = Double.parseDouble(v); i++; break;
        case "--no-check": check = false; break;
        case "--out": out = v; i++; break;
        default: fail("Cannot parse arguments: unknown option '" + args[i] + "'");
      }
    }
    if (shapesFile == null || out == null || threads < 1) {
      fail("Cannot run: --shapes-file, --threads and --out are required");
    }
    if (!String.valueOf(threads).equals(System.getenv("OMP_NUM_THREADS"))) {
      fail("Cannot run with --threads " + threads + ": OMP_NUM_THREADS is '" + System.getenv("OMP_NUM_THREADS")
          + "' (oneDNN's OpenMP takes its thread count from it; set it to " + threads + ")");
    }
    Dnnl dnnl = new Dnnl();
    String version = Dnnl.version();
    System.err.println("bench-onednn: oneDNN " + version + ", " + threads + " thread(s)");
    List<String> rows = new ArrayList<>();
    rows.add("shape\tN\tpass\tthreads\tgflops_median\tms_median\tbackend\tcpu_ms_median");
    for (JsonNode s : new ObjectMapper().readTree(new File(shapesFile)).get("shapes")) {
      Layer layer = Layer.of(s);
      if (!only.isEmpty() && !only.contains(layer.name())) {
        continue;
      }
      boolean first = true;
      for (JsonNode nb : s.get("batches")) {
        int n = nb.asInt();
        if (!batches.isEmpty() && !batches.contains(n)) {
          continue;
        }
        OneDnnDeconv d = new OneDnnDeconv(dnnl, layer, n);
        Data data = Data.random(layer, n);
        d.load(Layer.nhwcToNchw(data.src(), n, layer.cin(), layer.h(), layer.w()),
            layer.engineToOneDnnWeights(data.weights()), data.bias(),
            Layer.nhwcToNchw(data.gradDst(), n, layer.cout(), layer.ho(), layer.wo()));
        if (check && first) {
          check(d, layer, n, data);
        }
        first = false;
        for (String pass : passes) {
          double[][] msCpu = measure(d, pass, budget, warmup);
          double ms = msCpu[0][msCpu[0].length / 2];
          String row = String.format("%s\t%d\t%s\t%d\t%.2f\t%.4f\t%s\t%.4f", layer.name(), n, pass, threads,
              layer.flops(n) / (ms * 1e6), ms, "onednn-" + version + ":" + d.implementation(pass),
              msCpu[1][msCpu[1].length / 2]);
          System.err.println(row);
          rows.add(row);
        }
      }
    }
    Path path = Path.of(out);
    if (path.getParent() != null) {
      Files.createDirectories(path.getParent());
    }
    try (PrintWriter pw = new PrintWriter(Files.newBufferedWriter(path, StandardCharsets.UTF_8))) {
      rows.forEach(pw::println);
    }
  }

  private static void fail(String message) {
    System.err.println("OneDnnBench: " + message);
    System.exit(2);
  }

  /** One layer's data in the engine's layouts (NHWC activations, OHWI weights). */
  private record Data(float[] src, float[] weights, float[] bias, float[] gradDst) {
    static Data random(Layer l, int n) {
      ConvProblem p = l.problem(n);
      Random r = new Random(42);
      return new Data(gaussian(r, n * p.srcImageSize()), gaussian(r, p.weightCount()), gaussian(r, l.cout()),
          gaussian(r, n * p.dstImageSize()));
    }

    private static float[] gaussian(Random r, int count) {
      float[] a = new float[count];
      for (int i = 0; i < count; i++) {
        a[i] = (float) r.nextGaussian() * 0.1f;
      }
      return a;
    }
  }

  /** Runs each pass once and compares it with the engine's scalar reference on the same data. */
  private static void check(OneDnnDeconv d, Layer l, int n, Data data) {
    ConvProblem p = l.problem(n);
    ScalarBackend ref = ScalarBackend.INSTANCE;
    float[] dst = new float[n * p.dstImageSize()];
    ref.forward(p, data.src(), data.weights(), data.bias(), Activation.IDENTITY, dst, 1);
    d.run("fwd");
    compare(l, n, "fwd", Layer.nchwToNhwc(d.dst(), n, l.cout(), l.ho(), l.wo()), dst);
    float[] gradSrc = new float[n * p.srcImageSize()];
    ref.backwardData(p, data.gradDst(), data.weights(), gradSrc, 1);
    d.run("bwd_d");
    compare(l, n, "bwd_d", Layer.nchwToNhwc(d.gradSrc(), n, l.cin(), l.h(), l.w()), gradSrc);
    float[] gradW = new float[p.weightCount()];
    float[] gradB = new float[l.cout()];
    ref.backwardWeights(p, data.src(), data.gradDst(), gradW, gradB, 1);
    d.run("bwd_w");
    compare(l, n, "bwd_w", l.oneDnnToEngineWeights(d.gradWeights()), gradW);
    compare(l, n, "bwd_w bias", d.gradBias(), gradB);
  }

  private static void compare(Layer l, int n, String what, float[] got, float[] want) {
    double maxErr = 0;
    double maxRef = 0;
    for (int i = 0; i < want.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(got[i] - (double) want[i]));
      maxRef = Math.max(maxRef, Math.abs(want[i]));
    }
    double rel = maxRef > 0 ? maxErr / maxRef : maxErr;
    if (!(rel <= TOLERANCE)) {
      fail("Cannot use the oneDNN anchor: " + l.name() + " N=" + n + " " + what + " differs from the engine's scalar"
          + " reference by " + rel + " of its largest value (tolerance " + TOLERANCE + ")");
    }
    System.err.printf("bench-onednn: check %s N=%d %s = scalar reference (max error %.1e of max |value|)%n",
        l.name(), n, what, rel);
  }

  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  /**
   * Sorted per-call milliseconds of each sample: wall time and the process's CPU time (oneDNN's OpenMP threads are
   * native, so the process counter is the one that sees them). Same warm-up and sampling as EngineBench.
   */
  private static double[][] measure(OneDnnDeconv d, String pass, double budget, double warmup) {
    long warmEnd = System.nanoTime() + (long) (Math.max(warmup, Math.max(0.5, budget * 0.5)) * 1e9);
    int calls = 0;
    while (calls < 5 || System.nanoTime() < warmEnd) {
      d.run(pass);
      calls++;
    }
    long steadyEnd = System.nanoTime() + 5_000_000_000L;
    double previous = Double.MAX_VALUE;
    while (System.nanoTime() < steadyEnd) {
      long s = System.nanoTime();
      int k = 0;
      while (k < 2 || System.nanoTime() - s < 100_000_000L) {
        d.run(pass);
        k++;
      }
      double perCall = (System.nanoTime() - s) / (double) k;
      if (perCall > 0.95 * previous && perCall < previous / 0.95) {
        break;
      }
      previous = perCall;
    }
    long t0 = System.nanoTime();
    d.run(pass);
    double oneSec = Math.max(1e-7, (System.nanoTime() - t0) / 1e9);
    int perSample = (int) Math.max(1, Math.ceil(0.05 / oneSec));
    List<Double> wall = new ArrayList<>();
    List<Double> cpu = new ArrayList<>();
    long end = System.nanoTime() + (long) (budget * 1e9);
    while (wall.size() < 3 || (wall.size() < 9 && System.nanoTime() < end)) {
      long cpu0 = OS.getProcessCpuTime();
      long s = System.nanoTime();
      for (int i = 0; i < perSample; i++) {
        d.run(pass);
      }
      wall.add((System.nanoTime() - s) / 1e6 / perSample);
      cpu.add((OS.getProcessCpuTime() - cpu0) / 1e6 / perSample);
    }
    return new double[][] {wall.stream().mapToDouble(Double::doubleValue).sorted().toArray(),
        cpu.stream().mapToDouble(Double::doubleValue).sorted().toArray()};
  }
}

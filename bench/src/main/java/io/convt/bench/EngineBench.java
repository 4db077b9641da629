package io.convt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.Activation;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.KernelWeights;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
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
 * Engine kernel throughput on the shared 16-shape suite ({@code shapes.json}): forward, data gradient and weight
 * gradient through the configured {@link KernelBackend}, every batch size the suite lists, each thread count.
 * JMH's defaults take hours here, so this harness does what {@code bench_torch.py} does: a short warm-up, then
 * samples of at least {@code --min-sample} seconds until {@code --budget} seconds or {@code --reps-max} samples, and
 * reports the median. GFLOP/s use the suite's formula {@code 2·N·Cin·(Cout/groups)·kH·kW·H·W} for every pass.
 *
 * <p>Usage: {@code EngineBench --shapes-file shapes.json [--shapes a,b] [--threads 1,2] [--passes fwd,bwd_d,bwd_w]
 * [--budget 1.0] [--warmup SECONDS] --out FILE.tsv}. Writes TSV rows {@code shape, N, pass, threads, gflops_median,
 * ms_median, backend, cpu_ms_median}.
 */
public final class EngineBench {
  private EngineBench() {}

  /** One problem with its buffers; the weights are one version for every call, as a plan's are. */
  private record Case(String shape, int n, ConvProblem p, float[] src, KernelWeights w, float[] b, float[] dst,
      float[] gw, float[] gb, double flops) {}

  public static void main(String[] args) throws IOException {
    String shapesFile = null;
    String out = null;
    Set<String> only = new HashSet<>();
    int[] threads = {1};
    List<String> passes = List.of("fwd", "bwd_d", "bwd_w");
    double budget = 1.0;
    double minSample = 0.05;
    // minimum warm-up per row: under heavy load C2 can take seconds to compile a kernel, and a row measured before
    // that runs C1 code that looks steady
    double warmup = 0;
    int repsMin = 3;
    int repsMax = 9;
    Set<Integer> batches = new HashSet<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--shapes-file": shapesFile = v; i++; break;
        case "--shapes": only.addAll(Arrays.asList(v.split(","))); i++; break;
        case "--threads": threads = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray(); i++; break;
        case "--passes": passes = Arrays.asList(v.split(",")); i++; break;
        case "--batches": for (String s : v.split(",")) { batches.add(Integer.parseInt(s)); } i++; break;
        case "--budget": budget = Double.parseDouble(v); i++; break;
        case "--min-sample": minSample = Double.parseDouble(v); i++; break;
        case "--warmup": warmup = Double.parseDouble(v); i++; break;
        case "--out": out = v; i++; break;
        default:
          System.err.println("EngineBench: Cannot parse arguments: unknown option '" + a + "'");
          System.exit(2);
      }
    }
    if (shapesFile == null || out == null) {
      System.err.println("EngineBench: Cannot run: --shapes-file and --out are required");
      System.exit(2);
    }
    KernelBackend backend = KernelBackends.defaultBackend();
    JsonNode root = new ObjectMapper().readTree(new File(shapesFile));
    List<String> rows = new ArrayList<>();
    rows.add("shape\tN\tpass\tthreads\tgflops_median\tms_median\tbackend\tcpu_ms_median");
    for (JsonNode s : root.get("shapes")) {
      String name = s.get("name").asText();
      if (!only.isEmpty() && !only.contains(name)) {
        continue;
      }
      for (JsonNode nb : s.get("batches")) {
        int n = nb.asInt();
        if (!batches.isEmpty() && !batches.contains(n)) {
          continue;
        }
        Case c = build(name, n, s);
        for (String pass : passes) {
          for (int t : threads) {
            double[][] msCpu = measure(backend, c, pass, t, budget, minSample, repsMin, repsMax, warmup);
            double[] ms = msCpu[0];
            double median = ms[ms.length / 2];
            double gflops = c.flops() / (median * 1e6);
            String row = String.format("%s\t%d\t%s\t%d\t%.2f\t%.4f\t%s\t%.4f", name, n, pass, t, gflops, median,
                backend.name(), msCpu[1][msCpu[1].length / 2]);
            System.err.println(row);
            rows.add(row);
          }
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

  /** The PyTorch layer as an MPS problem: same output size and the same taps (PyTorch's flip does not change cost). */
  private static Case build(String name, int n, JsonNode s) {
    int cin = s.get("Cin").asInt();
    int cout = s.get("Cout").asInt();
    int h = s.get("H").asInt();
    int w = s.get("W").asInt();
    int kh = s.get("kH").asInt();
    int kw = s.get("kW").asInt();
    int sy = s.get("stride").get(0).asInt();
    int sx = s.get("stride").get(1).asInt();
    int py = s.get("padding").get(0).asInt();
    int px = s.get("padding").get(1).asInt();
    int opy = s.get("output_padding").get(0).asInt();
    int opx = s.get("output_padding").get(1).asInt();
    int dy = s.get("dilation").get(0).asInt();
    int dx = s.get("dilation").get(1).asInt();
    int g = s.get("groups").asInt();
    int ho = (h - 1) * sy - 2 * py + dy * (kh - 1) + opy + 1;
    int wo = (w - 1) * sx - 2 * px + dx * (kw - 1) + opx + 1;
    int cy = (dy * (kh - 1) + 1) >> 1;
    int cx = (dx * (kw - 1) + 1) >> 1;
    // PyTorch: out y reads zero-inserted row y + p − dil·(k−1) + dil·k' (k' the flipped tap), so T − c = p − dil·(k−1)
    int ty = py - dy * (kh - 1) + cy;
    int tx = px - dx * (kw - 1) + cx;
    ConvProblem p = new ConvProblem(n, h, w, cin, 0, cin, ho, wo, cout, 0, cin, cout, g, kh, kw, sy, sx, dy, dx,
        ty, tx, 0, 0, ho, wo, 0, 0, false);
    Random r = new Random(42);
    float[] src = random(r, n * p.srcImageSize());
    float[] wt = random(r, p.weightCount());
    float[] b = random(r, cout);
    float[] dst = random(r, n * p.dstImageSize());
    double flops = 2.0 * n * cin * (cout / g) * kh * kw * h * w;
    return new Case(name, n, p, src, KernelWeights.of(wt), b, dst, new float[p.weightCount()], new float[cout], flops);
  }

  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian() * 0.1f;
    }
    return a;
  }

  private static void once(KernelBackend k, Case c, String pass, int threads) {
    switch (pass) {
      case "fwd": k.forward(c.p(), c.src(), c.w(), c.b(), Activation.IDENTITY, c.dst(), threads); break;
      // the data gradient reads dst as gradOut and overwrites src; values stay bounded (random data, one pass)
      case "bwd_d": k.backwardData(c.p(), c.dst(), c.w(), c.src(), threads); break;
      case "bwd_w": k.backwardWeights(c.p(), c.src(), c.dst(), c.gw(), c.gb(), threads); break;
      default: throw new IllegalArgumentException("Cannot run pass '" + pass + "': expected fwd, bwd_d or bwd_w");
    }
  }

  /**
   * Sorted per-call milliseconds of each sample: wall time, and CPU time summed over the JVM's threads (on a core
   * shared with other processes the wall time shows the share the scheduler gave; the CPU time shows the kernel).
   */
  private static double[][] measure(KernelBackend k, Case c, String pass, int threads, double budget,
      double minSample, int repsMin, int repsMax, double warmup) {
    // warm-up: at least max(0.5 s, budget/2) and 5 calls, then until the speed is steady. A code path's first use
    // (the first small-Cout data gradient, the first weight gradient of the run) runs interpreted Vector API code
    // for up to ~1.5 s before C2 compiles it, and a fixed 0.5 s would measure that, not the kernel. Windows of >= 0.1 s until one is within 5 % of the one before, at most 5 s more;
    // --warmup raises the first part (under load C2 compiles a kernel late and C1 code also looks steady).
    long warmEnd = System.nanoTime() + (long) (Math.max(warmup, Math.max(0.5, budget * 0.5)) * 1e9);
    int calls = 0;
    while (calls < 5 || System.nanoTime() < warmEnd) {
      once(k, c, pass, threads);
      calls++;
    }
    long steadyEnd = System.nanoTime() + 5_000_000_000L;
    double previous = Double.MAX_VALUE;
    while (System.nanoTime() < steadyEnd) {
      long s = System.nanoTime();
      int n = 0;
      while (n < 2 || System.nanoTime() - s < 100_000_000L) {
        once(k, c, pass, threads);
        n++;
      }
      double perCall = (System.nanoTime() - s) / (double) n;
      if (perCall > 0.95 * previous && perCall < previous / 0.95) {
        break;
      }
      previous = perCall;
    }
    long t0 = System.nanoTime();
    once(k, c, pass, threads);
    double oneSec = Math.max(1e-7, (System.nanoTime() - t0) / 1e9);
    int perSample = (int) Math.max(1, Math.ceil(minSample / oneSec));
    List<Double> samples = new ArrayList<>();
    List<Double> cpu = new ArrayList<>();
    long end = System.nanoTime() + (long) (budget * 1e9);
    while (samples.size() < repsMin || (samples.size() < repsMax && System.nanoTime() < end)) {
      long[] ids = THREADS.getAllThreadIds();
      long cpu0 = cpuNanos(ids);
      long s = System.nanoTime();
      for (int i = 0; i < perSample; i++) {
        once(k, c, pass, threads);
      }
      samples.add((System.nanoTime() - s) / 1e6 / perSample);
      // threads that started during the sample (pool workers of a new parallelism) count from zero
      long[] after = THREADS.getAllThreadIds();
      cpu.add((cpuNanos(after) - cpu0 + 0.0) / 1e6 / perSample);
    }
    return new double[][] {samples.stream().mapToDouble(Double::doubleValue).sorted().toArray(),
        cpu.stream().mapToDouble(Double::doubleValue).sorted().toArray()};
  }

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /** CPU time of the given threads (ended threads count as 0). */
  private static long cpuNanos(long[] ids) {
    long sum = 0;
    for (long id : ids) {
      sum += Math.max(0, THREADS.getThreadCpuTime(id));
    }
    return sum;
  }
}

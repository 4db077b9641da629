package io.convt.bench;

import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.backend.KernelBackends;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layer.WeightGeometry;
import io.convt.engine.layout.OnnxAutoPad;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Memory of one layer run over many distinct image sizes against the same number of runs of one size (issue 18:
 * executor heap within 1.2x of a single-size run). One {@link Layer} ({@code ConvTranspose2d(cin, cout, k=4, s=2,
 * p=1)}, random weights) applies one image per call, {@code --runs} times, with image sizes {@code 8..40 x 8..40}
 * (mode {@code distinct}: every run a new size) or always {@code --size} (mode {@code single}). After the runs it
 * forces full collections and prints one TSV row: layer, mode, runs, heap used before the runs and after them
 * (MiB, after {@code System.gc()}), the default backend's cache bytes (plans and packed weights), seconds.
 * {@code --auto-pad same_upper} gives the layer ONNX pads that depend on the input size (a layer per size,
 * {@code Layer.forInput}) instead of PyTorch's {@code padding=1}.
 *
 * <pre>SizesBench --cin 64 --cout 32 --mode distinct|single [--runs 1000] [--size 24] [--threads 1]
 *     [--auto-pad notset|same_upper|same_lower]</pre>
 */
public final class SizesBench {
  private SizesBench() {}

  public static void main(String[] args) throws Exception {
    int cin = 64;
    int cout = 32;
    String mode = "distinct";
    int runs = 1000;
    int size = 24;
    int threads = 1;
    OnnxAutoPad autoPad = OnnxAutoPad.NOTSET;
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--cin" -> cin = Integer.parseInt(v);
        case "--cout" -> cout = Integer.parseInt(v);
        case "--mode" -> mode = v;
        case "--runs" -> runs = Integer.parseInt(v);
        case "--size" -> size = Integer.parseInt(v);
        case "--threads" -> threads = Integer.parseInt(v);
        case "--auto-pad" -> autoPad = OnnxAutoPad.parse(v);
        default -> throw new IllegalArgumentException("SizesBench: unknown flag " + args[i]);
      }
    }
    if (!mode.equals("distinct") && !mode.equals("single")) {
      throw new IllegalArgumentException("SizesBench: --mode must be distinct or single (got " + mode + ")");
    }
    Random r = new Random(1);
    float[] w = new float[cout * 4 * 4 * cin];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * 0.05);
    }
    float[] bias = new float[cout];
    int pad = autoPad == OnnxAutoPad.NOTSET ? 1 : 0;
    LayerSpec spec = LayerSpec.of(Path.of("sizes-bench-" + cin + "x" + cout + ".npy"), null, WeightLayout.MPS,
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {pad, pad}, new int[] {0, 0}, new int[] {1, 1}, 1))
        .withOptions(io.convt.engine.KernelOptions.defaults().withThreads(threads));
    if (autoPad != OnnxAutoPad.NOTSET) {
      spec = spec.withOnnxSizing(autoPad, null);
    }
    Layer layer = Layer.of(spec, w, bias, new WeightGeometry(cout, 4, 4, cin));
    MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
    long before = heapAfterGc(mx);
    long t0 = System.nanoTime();
    double sink = 0;
    try (BufferAllocator allocator = new RootAllocator()) {
      for (int i = 0; i < runs; i++) {
        int h = mode.equals("single") ? size : 8 + i / 33 % 33;
        int wd = mode.equals("single") ? size : 8 + i % 33;
        try (ImageBatch src = ImageBatch.allocate(allocator, 1, h, wd, cin)) {
          float[] px = new float[h * wd * cin];
          for (int j = 0; j < px.length; j += 7) {
            px[j] = (float) r.nextGaussian();
          }
          src.writeHWC(0, px);
          try (ImageBatch out = layer.apply(allocator, src)) {
            float[] o = new float[out.height() * out.width() * out.channels()];
            out.readHWC(0, o);
            sink += o[o.length / 2];
          }
        }
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long after = heapAfterGc(mx);
    long cache = KernelBackends.defaultBackend().cachedBytes();
    // an executor keeps its layer (and whatever the layer keeps per size) for the next batch: so must the measure
    java.lang.ref.Reference.reachabilityFence(layer);
    System.out.printf("%dx%d%s\t%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f%n", cin, cout,
        autoPad == OnnxAutoPad.NOTSET ? "" : "/" + autoPad.label(), mode, runs, before / 1048576.0,
        after / 1048576.0, cache / 1048576.0, seconds);
    if (Double.isNaN(sink)) {
      System.err.println("SizesBench: NaN output");
    }
  }

  /** Heap used after full collections (repeated until it stops shrinking, at most 5). */
  private static long heapAfterGc(MemoryMXBean mx) throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(100);
      long u = mx.getHeapMemoryUsage().getUsed();
      if (u >= used) {
        return Math.min(u, used);
      }
      used = u;
    }
    return used;
  }
}

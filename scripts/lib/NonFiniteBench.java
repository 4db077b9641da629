import io.convt.engine.backend.KernelBackends;
import io.convt.engine.internal.KernelBackend;
import io.convt.engine.internal.scalar.ScalarBackend;
import java.util.Random;

/**
 * Scalar vs SIMD {@code firstNonFinite} (the job's per-record NaN/Inf check) over an all-finite array of N floats.
 * Run: {@code java --add-modules=jdk.incubator.vector -cp "engine/target/classes:$(cat engine/target/runtime-classpath.txt)"
 * scripts/lib/NonFiniteBench.java 262144} (a 1 MB record: in cache) or 16777216 (64 MB: from memory).
 */
public class NonFiniteBench {
  public static void main(String[] a) {
    int n = Integer.parseInt(a[0]);
    float[] v = new float[n];
    Random r = new Random(1);
    for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
    KernelBackend simd = KernelBackends.lookup("simd");
    KernelBackend scalar = ScalarBackend.INSTANCE;
    long sink = 0;
    for (int round = 0; round < 7; round++) {
      for (KernelBackend b : new KernelBackend[] {scalar, simd}) {
        int reps = (int) Math.max(1, 2_000_000_000L / n / 8);
        long t0 = System.nanoTime();
        for (int k = 0; k < reps; k++) sink += b.firstNonFinite(v);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("round %d %-6s %.2f GB/s%n", round, b.name(), 4.0 * n * reps / s / 1e9);
      }
    }
    System.out.println(sink);
  }
}

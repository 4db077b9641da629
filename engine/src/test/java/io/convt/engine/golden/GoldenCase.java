package io.convt.engine.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convt.engine.ConvTranspose;
import io.convt.engine.KernelOptions;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;

/** One PyTorch golden case written by {@code tools/golden/gen_golden.py}: arrays plus geometry. */
public record GoldenCase(String name, Path dir, TorchConvTranspose2d geometry, NpyArray x, NpyArray w, NpyArray b) {

  /** All case directories under the test resource {@code golden/}. */
  public static List<String> names() {
    try (Stream<Path> s = Files.list(root())) {
      return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static GoldenCase load(String name) {
    Path dir = root().resolve(name);
    try {
      JsonNode m = new ObjectMapper().readTree(dir.resolve("meta.json").toFile());
      TorchConvTranspose2d g = TorchConvTranspose2d.pytorch(pair(m, "stride"), pair(m, "padding"),
          pair(m, "output_padding"), pair(m, "dilation"), m.get("groups").asInt());
      NpyArray b = m.get("bias").asBoolean() ? Npy.read(dir.resolve("b.npy")) : null;
      return new GoldenCase(name, dir, g, Npy.read(dir.resolve("x.npy")), Npy.read(dir.resolve("w.npy")), b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public NpyArray array(String key) {
    return Npy.read(dir.resolve(key + ".npy"));
  }

  /** The kernel for this case from its PyTorch weights, through the public conversion. */
  public ConvTranspose kernel(KernelOptions options) {
    return geometry.kernel(WeightLayout.PYTORCH, w.floats(), w.shape(), b == null ? null : b.floats(), options, name);
  }

  /** The case's x as an NHWC Arrow batch (caller closes). */
  public ImageBatch source(BufferAllocator allocator) {
    return NchwArrays.toBatch(allocator, x);
  }

  /** The batch as an NCHW float array. */
  public static float[] batchToNchw(ImageBatch batch) {
    return NchwArrays.fromBatch(batch);
  }

  /** Largest |value| of {@code a}, at least 1e-6 (scale for relative tolerances). */
  public static double maxAbs(float[] a) {
    double m = 1e-6;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  /** Largest absolute difference; infinite when lengths differ. */
  public static double maxDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      return Double.POSITIVE_INFINITY;
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs((double) a[i] - b[i]));
    }
    return m;
  }

  private static int[] pair(JsonNode m, String key) {
    return new int[] {m.get(key).get(0).asInt(), m.get(key).get(1).asInt()};
  }

  private static Path root() {
    try {
      return Path.of(GoldenCase.class.getResource("/golden").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}

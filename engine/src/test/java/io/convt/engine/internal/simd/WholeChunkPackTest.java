package io.convt.engine.internal.simd;

import static io.convt.engine.internal.simd.TwinKernelTest.problem;
import static io.convt.engine.internal.simd.TwinKernelTest.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convt.engine.NeuronType;
import io.convt.engine.internal.ConvProblem;
import io.convt.engine.internal.simd.TwinKernelTest.Geometry;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packed gradient of layers whose output channels per group fill whole chunks ({@link WholeChunkPack}): every
 * packed float is the NHWC gradient's float of its (group, clip row, clip column, channel), for the all-groups pack
 * and the one-group pack, on strides 1–3, odd sizes, channel slices and shifted clips, and a second image.
 */
class WholeChunkPackTest {
  private static final int QW = MicroPanels.QW;

  static Stream<Geometry> geometries() {
    return Stream.of(
        new Geometry("chunks_groups4_s2", 2, 9, 11, 4 * 32, 4 * 32, 4, 4, 2, 1, false, NeuronType.NONE, 501),
        new Geometry("chunks_groups2_s3_slices", 2, 7, 6, 2 * 10, 2 * 16, 2, 3, 3, 1, true, NeuronType.NONE, 502),
        new Geometry("chunks_groups3_s1_slices", 2, 5, 8, 3 * 7, 3 * 48, 3, 3, 1, 2, true, NeuronType.NONE, 503),
        new Geometry("chunks_dense_s2", 2, 6, 5, 9, 32, 1, 4, 2, 1, true, NeuronType.NONE, 504));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void everyPackedFloatIsItsGradientFloat(Geometry geometry) {
    ConvProblem p = problem(geometry);
    assertEquals(0, p.cog() % QW, p.describe());
    float[] g = random(new Random(geometry.seed()), p.images() * p.dstImageSize());
    int image = p.images() - 1;
    PackedGradient all = new PackedGradient(p);
    all.data = new float[all.floats()];
    all.packRows(g, image, 0, p.clipH());
    PackedGradient one = new PackedGradient(p, true);
    one.data = new float[one.floats()];
    for (int gr = 0; gr < p.groups(); gr++) {
      one.packGroup(g, image, gr);
      for (int v = 0; v < p.clipH(); v++) {
        for (int u = 0; u < p.clipW(); u++) {
          for (int c = 0; c < p.cog(); c++) {
            float want = g[(p.dstImage0() + image) * p.dstImageSize() + p.dfo()
                + ((p.clipY() + v) * p.dstW() + p.clipX() + u) * p.dstC() + gr * p.cog() + c];
            int off = c / QW * all.chunkStride() + c % QW;
            String where = geometry.name() + " group " + gr + " row " + v + " column " + u + " channel " + c;
            assertEquals(want, all.data[all.at(gr, v, u) + off], where + " (all groups)");
            assertEquals(want, one.data[one.at(gr, v, u) + off], where + " (one group)");
          }
        }
      }
    }
  }
}

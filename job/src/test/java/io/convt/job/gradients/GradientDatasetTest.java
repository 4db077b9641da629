package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.train.Loss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gradients from paired image directories: equal to .npy stacks, partition-independent, pairing errors. */
public class GradientDatasetTest {
  /** Written out of id order on purpose. */
  static final List<String> IDS = List.of("0003", "0001", "0005", "0002", "0004");
  static SparkSession spark;

  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private GradientsRequest target(Path lr, Path hr, int partitions) {
    return GradientsRequest.withTarget(lr.toString(), hr.toString(), Loss.parse("mse", "mean"), partitions);
  }

  @Test
  void imageDirectoriesGiveTheBitsOfTheSamePixelsAsNpyStacksForAnyPartitioning() throws Exception {
    LayerSpec layer = ImageDatasets.upsampler(tmp);
    Path lr = tmp.resolve("lr");
    Path hr = tmp.resolve("hr");
    ImageDatasets.pairs(lr, hr, IDS);
    List<String> sorted = IDS.stream().sorted().collect(Collectors.toList());
    ImageDatasets.stack(sorted.stream().map(id -> lr.resolve(id + ".png")).collect(Collectors.toList()),
        tmp.resolve("x.npy"));
    ImageDatasets.stack(sorted.stream().map(id -> hr.resolve(id + ".jpg")).collect(Collectors.toList()),
        tmp.resolve("t.npy"));

    GradientOutputs.Result one = GradientsJob.run(spark, layer, target(lr, hr, 1), tmp.resolve("p1"));
    GradientOutputs.Result three = GradientsJob.run(spark, layer, target(lr, hr, 3), tmp.resolve("p3"));
    GradientOutputs.Result npy = GradientsJob.run(spark, layer,
        target(tmp.resolve("x.npy"), tmp.resolve("t.npy"), 3), tmp.resolve("npy"));

    assertEquals(one.sha256(), three.sha256(), "1 vs 3 partitions");
    assertEquals(npy.sha256(), three.sha256(), "image directories vs the same pixels as .npy stacks");
    assertArrayEquals(npy.weightGradient(), three.weightGradient());
    assertEquals(npy.summary().get("loss"), three.summary().get("loss"));
    JsonNode s = new ObjectMapper().readTree(tmp.resolve("p3/run-summary.json").toFile());
    assertEquals(5, s.get("records").asInt());
    assertEquals(0, s.get("quarantined_unpaired").asInt());
    assertEquals("[5, 3, 8, 10]", s.get("output_shape").toString().replace(",", ", "));
  }

  @Test
  void aDifferentPairingGivesADifferentSum() throws Exception {
    // guards the test above: the stack in file-creation (not id) order must not give the same bits
    LayerSpec layer = ImageDatasets.upsampler(tmp);
    Path lr = tmp.resolve("lr");
    Path hr = tmp.resolve("hr");
    ImageDatasets.pairs(lr, hr, IDS);
    ImageDatasets.stack(IDS.stream().map(id -> lr.resolve(id + ".png")).collect(Collectors.toList()),
        tmp.resolve("x.npy"));
    List<String> shifted = List.of("0001", "0005", "0002", "0004", "0003");
    ImageDatasets.stack(shifted.stream().map(id -> hr.resolve(id + ".jpg")).collect(Collectors.toList()),
        tmp.resolve("t.npy"));
    GradientOutputs.Result images = GradientsJob.run(spark, layer, target(lr, hr, 2), tmp.resolve("img"));
    GradientOutputs.Result wrong = GradientsJob.run(spark, layer,
        target(tmp.resolve("x.npy"), tmp.resolve("t.npy"), 2), tmp.resolve("wrong"));
    assertNotEquals(images.sha256(), wrong.sha256());
  }

  private static GradientsRequest target(Path x, Path t, int partitions, boolean recursive, boolean quarantine) {
    return GradientsRequest.withTarget(x.toString(), t.toString(), Loss.parse("mse", "mean"), partitions)
        .withDatasetOptions(recursive, quarantine);
  }

  private String error(Layer layer, GradientsRequest r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GradientsJob.validate(layer, r, new Configuration()));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    return e.getMessage();
  }

  @Test
  void unpairedDuplicateAndMisshapenRecordsAreNamedBeforeSparkRuns() throws Exception {
    Layer layer = Layer.open(ImageDatasets.upsampler(tmp));
    Path lr = tmp.resolve("lr");
    Path hr = tmp.resolve("hr");
    ImageDatasets.pairs(lr, hr, IDS);
    ImageDatasets.image(lr.resolve("0009.png"), ImageDatasets.H, ImageDatasets.W, 9);
    String m = error(layer, target(lr, hr, 2, false, false));
    assertTrue(m.contains("0009.png") && m.contains("has no record in --target"), m);

    Files.delete(lr.resolve("0009.png"));
    ImageDatasets.image(hr.resolve("0002.bmp"), 2 * ImageDatasets.H, 2 * ImageDatasets.W, 2);
    m = error(layer, target(lr, hr, 2, false, false));
    assertTrue(m.contains("2 records with id 0002") && m.contains("0002.bmp") && m.contains("0002.jpg"), m);

    Files.delete(hr.resolve("0002.bmp"));
    ImageDatasets.image(hr.resolve("0004.jpg"), 2 * ImageDatasets.H + 1, 2 * ImageDatasets.W, 4);
    m = error(layer, target(lr, hr, 2, false, false));
    assertTrue(m.contains("0004.jpg has shape [3, 9, 10]") && m.contains("is [3, 8, 10]"), m);

    m = error(layer, target(lr, tmp.resolve("missing"), 2, false, false));
    assertTrue(m.contains("--target") && m.contains("missing"), m);

    Files.delete(hr.resolve("0004.jpg"));
    ImageDatasets.image(hr.resolve("0004.jpg"), 2 * ImageDatasets.H, 2 * ImageDatasets.W, 4);
    Files.writeString(lr.resolve("0003.png"), "not an image");
    m = error(layer, target(lr, hr, 2, false, false));
    assertTrue(m.contains("0003.png"), m);

    m = error(layer, target(lr, tmp.resolve("t.npy"), 2, false, false));
    assertTrue(m.contains("must both be .npy stacks") && m.contains("t.npy"), m);
  }

  @Test
  void quarantineUnpairedLeavesThemOutAndCountsThem() throws Exception {
    LayerSpec spec = ImageDatasets.upsampler(tmp);
    Path lr = tmp.resolve("lr");
    Path hr = tmp.resolve("hr");
    ImageDatasets.pairs(lr, hr, IDS);
    ImageDatasets.image(lr.resolve("0009.png"), ImageDatasets.H, ImageDatasets.W, 9); // no target
    ImageDatasets.image(hr.resolve("0001.bmp"), 2 * ImageDatasets.H, 2 * ImageDatasets.W, 1); // duplicate id
    GradientOutputs.Result r = GradientsJob.run(spark, spec, target(lr, hr, 2, false, true), tmp.resolve("q"));
    JsonNode s = new ObjectMapper().readTree(tmp.resolve("q/run-summary.json").toFile());
    assertEquals(4, s.get("records").asInt(), "5 pairs less the duplicated id 0001");
    // 2 files share id 0001; with 0001 gone from --target, lr/0001.png and lr/0009.png are unpaired
    assertEquals(2, s.get("quarantined_duplicate").asInt());
    assertEquals(2, s.get("quarantined_unpaired").asInt());
    assertEquals(r.sha256(), s.get("gradient_sha256").asText());
  }

  @Test
  void subdirectoriesPairByRelativePathWithRecursive() throws Exception {
    Layer layer = Layer.open(ImageDatasets.upsampler(tmp));
    Path lr = tmp.resolve("lr");
    Path hr = tmp.resolve("hr");
    ImageDatasets.pairs(lr, hr, List.of("0001"));
    ImageDatasets.pairs(lr.resolve("a"), hr.resolve("a"), List.of("0001"));
    ImageDatasets.pairs(lr.resolve("b"), hr.resolve("b"), List.of("0002"));
    GradientsJob.Dataset flat = GradientsJob.validate(layer, target(lr, hr, 2, false, false), new Configuration());
    assertEquals(1, flat.records());
    GradientsJob.Dataset deep = GradientsJob.validate(layer, target(lr, hr, 2, true, false), new Configuration());
    assertEquals(List.of("0001", "a/0001", "b/0002"),
        deep.paired().pairs().stream().map(PairedDataset.Pair::id).collect(Collectors.toList()));
    assertTrue(deep.paired().pairs().get(1).target().endsWith("hr/a/0001.jpg"), deep.paired().pairs().get(1).target());
  }
}

package io.convt.job.gradients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.train.Loss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pairing tensor datasets by id: unpaired, duplicate and misshapen records named, or quarantined and counted. */
public class TensorDatasetPairingTest {
  static final int[] X = TensorDatasetGradientsTest.X;
  static final int[] Y = TensorDatasetGradientsTest.Y;
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

  private static GradientsRequest request(Path x, Path t, boolean quarantine) {
    return GradientsRequest.withTarget(x.toString(), t.toString(), Loss.parse("mse", "mean"), 3)
        .withDatasetOptions(false, quarantine);
  }

  private static String error(Layer layer, GradientsRequest r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GradientsJob.validate(layer, r, new Configuration()));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    return e.getMessage();
  }

  /** Input r00..r05 plus x1..x4 (no target); target r00..r05 with r02 twice (in two files) and r03 misshapen. */
  private void flawedPair() {
    List<String> inputIds = new ArrayList<>(TensorDatasetGradientsTest.ids(6));
    inputIds.addAll(List.of("x1", "x2", "x3", "x4"));
    TensorDatasetFiles.parquet(spark, TensorDatasetFiles.records(inputIds, X, 1), tmp.resolve("x"), 2);
    List<TensorDatasetFiles.Tensor> ts = new ArrayList<>(TensorDatasetFiles.records(
        List.of("r00", "r01", "r02", "r04", "r05"), Y, 2));
    ts.add(TensorDatasetFiles.records(List.of("r03"), new int[] {3, Y[1], Y[2] - 1}, 3).get(0));
    TensorDatasetFiles.parquet(spark, ts, tmp.resolve("t"), 2);
    TensorDatasetFiles.parquet(spark, TensorDatasetFiles.records(List.of("r02"), Y, 4), tmp.resolve("t"), 1);
  }

  @Test
  void unpairedDuplicateAndMisshapenRecordsAreNamedBeforeSparkRuns() throws Exception {
    Layer layer = Layer.open(ImageDatasets.upsampler(tmp));
    flawedPair();
    String m = error(layer, request(tmp.resolve("x"), tmp.resolve("t"), false));
    assertTrue(m.startsWith("Cannot pair datasets: --target " + tmp.resolve("t") + " has 2 records with id r02 (in "),
        m);
    assertTrue(m.endsWith("add --quarantine-unpaired to leave them out"), m);

    // without the duplicate: the unpaired ids, first three and the count
    TensorDatasetFiles.parquet(spark, TensorDatasetFiles.records(List.of("r00", "r01", "r02", "r04", "r05"), Y, 2),
        tmp.resolve("t2"), 2);
    m = error(layer, request(tmp.resolve("x"), tmp.resolve("t2"), false));
    assertTrue(m.contains("5 records of --input " + tmp.resolve("x") + " have no record with the same id in --target "
        + tmp.resolve("t2") + " (ids r03, x1, x2 and 2 more)"), m);

    // every input paired, one target of the wrong shape
    TensorDatasetFiles.parquet(spark, TensorDatasetFiles.records(TensorDatasetGradientsTest.ids(6), X, 1),
        tmp.resolve("x6"), 2);
    List<TensorDatasetFiles.Tensor> ts = new ArrayList<>(TensorDatasetFiles.records(
        List.of("r00", "r01", "r02", "r04", "r05"), Y, 2));
    ts.add(TensorDatasetFiles.records(List.of("r03"), new int[] {3, Y[1], Y[2] - 1}, 3).get(0));
    TensorDatasetFiles.parquet(spark, ts, tmp.resolve("t3"), 2);
    m = error(layer, request(tmp.resolve("x6"), tmp.resolve("t3"), false));
    assertTrue(m.contains("record r03 of --target " + tmp.resolve("t3")) && m.contains("has shape [3, 8, 9] but "
        + "the layer's output for its input [3, 4, 5] is [3, 8, 10]"), m);
  }

  @Test
  void quarantineUnpairedLeavesThemOutAndCountsThem() throws Exception {
    LayerSpec spec = ImageDatasets.upsampler(tmp);
    flawedPair();
    GradientOutputs.Result r = GradientsJob.run(spark, spec, request(tmp.resolve("x"), tmp.resolve("t"), true),
        tmp.resolve("q"));
    JsonNode s = new ObjectMapper().readTree(tmp.resolve("q/run-summary.json").toFile());
    assertEquals(4, s.get("records").asInt(), "r00, r01, r04, r05");
    assertEquals(2, s.get("quarantined_duplicate").asInt(), "both records of r02 in --target");
    assertEquals(5, s.get("quarantined_unpaired").asInt(), "x1..x4 and the input r02, left without its target");
    assertEquals(1, s.get("quarantined_shape").asInt(), "r03");
    assertEquals(r.sha256(), s.get("gradient_sha256").asText());

    // the kept records alone give the same bits
    List<String> kept = List.of("r00", "r01", "r04", "r05");
    List<TensorDatasetFiles.Tensor> xs = new ArrayList<>();
    for (TensorDatasetFiles.Tensor t : TensorDatasetFiles.records(TensorDatasetGradientsTest.ids(6), X, 1)) {
      if (kept.contains(t.id())) {
        xs.add(t);
      }
    }
    List<TensorDatasetFiles.Tensor> ts = new ArrayList<>();
    for (TensorDatasetFiles.Tensor t : TensorDatasetFiles.records(List.of("r00", "r01", "r02", "r04", "r05"), Y, 2)) {
      if (kept.contains(t.id())) {
        ts.add(t);
      }
    }
    TensorDatasetFiles.npy(xs, tmp.resolve("kx.npy"));
    TensorDatasetFiles.npy(ts, tmp.resolve("kt.npy"));
    GradientOutputs.Result clean = GradientsJob.run(spark, spec,
        request(tmp.resolve("kx.npy"), tmp.resolve("kt.npy"), false), tmp.resolve("clean"));
    assertEquals(clean.sha256(), r.sha256());
  }

  @Test
  void mixedKindsAndMixedShapesAreRefused() throws Exception {
    Layer layer = Layer.open(ImageDatasets.upsampler(tmp));
    ImageDatasets.pairs(tmp.resolve("lr"), tmp.resolve("hr"), List.of("r00"));
    TensorDatasetFiles.parquet(spark, TensorDatasetFiles.records(List.of("r00"), Y, 1), tmp.resolve("tp"), 1);
    String m = error(layer, request(tmp.resolve("lr"), tmp.resolve("tp"), false));
    assertTrue(m.contains("--input " + tmp.resolve("lr") + " is an image dataset and --target " + tmp.resolve("tp")
        + " is a Parquet tensor dataset"), m);

    List<TensorDatasetFiles.Tensor> xs = new ArrayList<>(TensorDatasetFiles.records(List.of("r00"), X, 1));
    xs.add(TensorDatasetFiles.records(List.of("r01"), new int[] {3, 5, 5}, 2).get(0));
    TensorDatasetFiles.arrow(xs.subList(0, 1), tmp.resolve("xa"), 1);
    TensorDatasetFiles.arrow(xs.subList(1, 2), tmp.resolve("xa2"), 1);
    java.nio.file.Files.move(tmp.resolve("xa2/part-0.arrow"), tmp.resolve("xa/part-9.arrow"));
    TensorDatasetFiles.parquet(spark, TensorDatasetFiles.records(List.of("r00", "r01"), Y, 1), tmp.resolve("tp2"), 1);
    m = error(layer, request(tmp.resolve("xa"), tmp.resolve("tp2"), false));
    assertTrue(m.contains("record r01 of --input " + tmp.resolve("xa")) && m.contains("has shape [3, 5, 5], record "
        + "r00 has [3, 4, 5]; every record of a dataset must have the same shape"), m);
  }
}

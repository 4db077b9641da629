package io.convt.job.gradients;

import io.convt.engine.layer.Layer;
import io.convt.engine.layer.OutputShape;
import io.convt.job.infer.TensorDatasets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;

/**
 * Pairs two tensor datasets (Parquet or Arrow, as {@code infer} reads them) by {@code id} on the driver, before
 * Spark runs, from their ids and shapes alone ({@link TensorDatasets#list}). The paired ids, sorted, define the
 * global record index and so the order of the gradient sum.
 *
 * <p>Every record of the input must have one shape (the loss's mean divides by one record size and the layer's
 * pads are derived once): a dataset of mixed shapes is refused. Ids present in one dataset only, ids held by more
 * than one record of a dataset, and targets whose shape is not the layer's output for their input are errors naming
 * the first few ids and the count, or, with {@code --quarantine-unpaired}, left out and counted.
 */
final class TensorPairing {
  /** Ids named in a message at most. */
  private static final int NAMED = 3;

  private TensorPairing() {}

  static PairedDataset resolve(Layer layer, GradientsRequest request, TensorDatasets.Format inputFormat,
      TensorDatasets.Format targetFormat, Configuration hadoop) {
    String input = request.input();
    String target = request.outputSideFile();
    String flag = request.outputSideFlag();
    boolean quarantine = request.quarantineUnpaired();
    Map<String, Integer> quarantined = new LinkedHashMap<>();
    TreeMap<String, TensorDatasets.Listed> xs = byId(TensorDatasets.list(input, inputFormat, "--input", hadoop),
        "--input " + input, quarantine, quarantined);
    TreeMap<String, TensorDatasets.Listed> ys = byId(TensorDatasets.list(target, targetFormat, flag, hadoop),
        flag + " " + target, quarantine, quarantined);
    List<String> onlyX = new ArrayList<>();
    for (String id : xs.keySet()) {
      if (!ys.containsKey(id)) {
        onlyX.add(id);
      }
    }
    List<String> onlyY = new ArrayList<>();
    for (String id : ys.keySet()) {
      if (!xs.containsKey(id)) {
        onlyY.add(id);
      }
    }
    if (!onlyX.isEmpty() || !onlyY.isEmpty()) {
      if (!quarantine) {
        List<String> parts = new ArrayList<>();
        if (!onlyX.isEmpty()) {
          parts.add(count(onlyX.size(), "record") + " of --input " + input + " " + (onlyX.size() == 1 ? "has" : "have")
              + " no record with the same id in " + flag + " " + target + " (" + ids(onlyX) + ")");
        }
        if (!onlyY.isEmpty()) {
          parts.add(count(onlyY.size(), "record") + " of " + flag + " " + target + " "
              + (onlyY.size() == 1 ? "has" : "have") + " no record with the same id in --input " + input + " ("
              + ids(onlyY) + ")");
        }
        throw new IllegalArgumentException("Cannot pair datasets: " + String.join("; ", parts)
            + "; add --quarantine-unpaired to leave them out");
      }
      quarantined.put("unpaired", onlyX.size() + onlyY.size());
    }
    int[] xShape = null;
    String firstId = null;
    int[] yShape = null;
    List<PairedDataset.Pair> pairs = new ArrayList<>();
    List<String> misshapen = new ArrayList<>();
    String firstMisshapen = null;
    for (Map.Entry<String, TensorDatasets.Listed> e : xs.entrySet()) {
      TensorDatasets.Listed y = ys.get(e.getKey());
      if (y == null) {
        continue;
      }
      TensorDatasets.Listed x = e.getValue();
      if (xShape == null) {
        xShape = inputShape(layer, x, input);
        OutputShape o = layer.outputShape(xShape[1], xShape[2]);
        yShape = new int[] {o.channels(), o.height(), o.width()};
        firstId = x.id();
      } else if (!Arrays.equals(xShape, x.shape())) {
        throw new IllegalArgumentException("Cannot compute gradients: record " + x.id() + " of --input " + input
            + " (in " + x.file() + ") has shape " + Arrays.toString(x.shape()) + ", record " + firstId + " has "
            + Arrays.toString(xShape) + "; every record of a dataset must have the same shape");
      }
      if (!Arrays.equals(yShape, y.shape())) {
        if (firstMisshapen == null) {
          firstMisshapen = "record " + y.id() + " of " + flag + " " + target + " (in " + y.file() + ") has shape "
              + Arrays.toString(y.shape()) + " but the layer's output for its input " + Arrays.toString(x.shape())
              + " is " + Arrays.toString(yShape);
        }
        misshapen.add(y.id());
        continue;
      }
      pairs.add(new PairedDataset.Pair(x.id(), x.file(), y.file()));
    }
    if (!misshapen.isEmpty()) {
      if (!quarantine) {
        throw new IllegalArgumentException("Cannot compute gradients: " + firstMisshapen
            + (misshapen.size() > 1 ? " (" + misshapen.size() + " records in all: " + ids(misshapen) + ")" : "")
            + "; add --quarantine-unpaired to leave them out");
      }
      quarantined.put("shape", misshapen.size());
    }
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("Cannot compute gradients: --input " + input + " and " + flag + " " + target
          + " have no record in common" + (quarantined.isEmpty() ? "" : " (left out: " + quarantined + ")"));
    }
    return new PairedDataset(List.copyOf(pairs), xShape, yShape, Map.copyOf(quarantined),
        new PairedDataset.TensorFormats(inputFormat, targetFormat));
  }

  /** The input record's {@code [C, H, W]}, checked against the layer's input channels. */
  private static int[] inputShape(Layer layer, TensorDatasets.Listed x, String input) {
    int[] s = x.shape();
    if (s.length != 3) {
      throw new IllegalArgumentException("Cannot compute gradients: record " + x.id() + " of --input " + input
          + " (in " + x.file() + ") has shape " + Arrays.toString(s) + ", expected [C, H, W]");
    }
    if (s[0] != layer.inputChannels()) {
      throw new IllegalArgumentException("Cannot compute gradients: record " + x.id() + " of --input " + input
          + " (in " + x.file() + ") has " + s[0] + " channels, the weights " + layer.spec().weights() + " expect "
          + layer.inputChannels());
    }
    return s.clone();
  }

  /** id → record, sorted by id; ids held by several records fail or are left out (counted as duplicates). */
  private static TreeMap<String, TensorDatasets.Listed> byId(List<TensorDatasets.Listed> records, String dataset,
      boolean quarantine, Map<String, Integer> quarantined) {
    TreeMap<String, TensorDatasets.Listed> out = new TreeMap<>();
    TreeMap<String, List<String>> duplicates = new TreeMap<>(); // id → files of its records
    for (TensorDatasets.Listed r : records) {
      TensorDatasets.Listed before = out.putIfAbsent(r.id(), r);
      if (before != null) {
        duplicates.computeIfAbsent(r.id(), k -> new ArrayList<>(List.of(before.file()))).add(r.file());
      }
    }
    if (duplicates.isEmpty()) {
      return out;
    }
    if (!quarantine) {
      Map.Entry<String, List<String>> d = duplicates.firstEntry();
      List<String> files = d.getValue().stream().distinct().sorted().toList();
      throw new IllegalArgumentException("Cannot pair datasets: " + dataset + " has " + d.getValue().size()
          + " records with id " + d.getKey() + " (in " + String.join(", ", files) + ")"
          + (duplicates.size() > 1 ? "; " + duplicates.size() + " duplicate ids in all: "
              + ids(new ArrayList<>(duplicates.keySet())) : "")
          + "; add --quarantine-unpaired to leave them out");
    }
    int n = 0;
    for (Map.Entry<String, List<String>> e : duplicates.entrySet()) {
      out.remove(e.getKey());
      n += e.getValue().size();
    }
    quarantined.merge("duplicate", n, Integer::sum);
    return out;
  }

  /** The first few ids, and how many more. */
  private static String ids(List<String> ids) {
    List<String> first = ids.subList(0, Math.min(NAMED, ids.size()));
    return "ids " + String.join(", ", first) + (ids.size() > NAMED ? " and " + (ids.size() - NAMED) + " more" : "");
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}

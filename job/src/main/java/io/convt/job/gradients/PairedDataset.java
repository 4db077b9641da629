package io.convt.job.gradients;

import io.convt.engine.io.ImageCodec;
import io.convt.engine.io.PixelScaling;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.OutputShape;
import io.convt.job.infer.TensorDatasets;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An input dataset paired with a target (or upstream-gradient) dataset, resolved on the driver into references
 * only (ids and paths, no pixels or tensors), sorted by id: the position in the sorted list is the record's global
 * index, so the order that defines the gradient sum depends on the ids alone, never on listing order, file layout
 * or partitioning.
 *
 * <p>Image directories ({@link #resolve}) pair by path relative to the dataset root without the extension
 * ({@code lr/sub/0001.png} ↔ {@code hr/sub/0001.jpg}); images are decoded on executors by the decoder {@code infer}
 * uses ({@link ImageCodec}, unit scaling, RGB), read through the Hadoop file system of their path. Tensor datasets
 * (Parquet, Arrow; {@link TensorPairing}) pair by their {@code id} column and are read by Spark in the pass
 * ({@link TensorPass}).
 *
 * @param pairs the paired records in id order ({@link String#compareTo})
 * @param inputShape {@code [C, H, W]} of every input
 * @param outputShape {@code [C', H', W']} of every target: the layer's output for {@code inputShape}
 * @param quarantined records left out under {@code --quarantine-unpaired}, by reason (empty otherwise)
 * @param tensors the formats of a tensor dataset pair, or null for image directories
 */
public record PairedDataset(List<Pair> pairs, int[] inputShape, int[] outputShape, Map<String, Integer> quarantined,
    TensorFormats tensors) implements Serializable {
  private static final long serialVersionUID = 2L;

  /**
   * One training record: its id and where its two halves are (Hadoop path strings): the images, or for tensor
   * datasets the files holding the records.
   */
  public record Pair(String id, String input, String target) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** The formats of the two sides of a tensor dataset pair. */
  public record TensorFormats(TensorDatasets.Format input, TensorDatasets.Format target) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * The global index of record {@code id} (its position in id order), or -1 when it is not a paired record
   * (unpaired, duplicate or quarantined).
   */
  public int indexOf(String id) {
    int lo = 0;
    int hi = pairs.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = pairs.get(mid).id().compareTo(id);
      if (c == 0) {
        return mid;
      }
      if (c < 0) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return -1;
  }

  /** Whether {@code path} names an {@code .npy} stack (read by the slice reader, in index order). */
  public static boolean isNpy(String path) {
    return path.toLowerCase(java.util.Locale.ROOT).endsWith(".npy");
  }

  /**
   * Lists and pairs both datasets and checks every pair's shapes against the layer (image headers only).
   *
   * @param targetFlag {@code --target} or {@code --grad-output}, for messages
   * @param quarantineUnpaired leave unpaired and duplicate records out (counted) instead of failing
   * @throws IllegalArgumentException one line naming the record(s) and what is wrong
   */
  public static PairedDataset resolve(Layer layer, String input, String target, String targetFlag,
      boolean recursive, boolean quarantineUnpaired, Configuration hadoop) {
    Map<String, Integer> quarantined = new LinkedHashMap<>();
    TreeMap<String, String> xs = list(input, "--input", recursive, quarantineUnpaired, quarantined, hadoop);
    TreeMap<String, String> ys = list(target, targetFlag, recursive, quarantineUnpaired, quarantined, hadoop);
    List<Pair> pairs = new ArrayList<>();
    List<String> unpaired = new ArrayList<>();
    for (Map.Entry<String, String> e : xs.entrySet()) {
      String y = ys.get(e.getKey());
      if (y == null) {
        unpaired.add("--input " + e.getValue() + " (id " + e.getKey() + ") has no record in " + targetFlag + " "
            + target);
      } else {
        pairs.add(new Pair(e.getKey(), e.getValue(), y));
      }
    }
    for (Map.Entry<String, String> e : ys.entrySet()) {
      if (!xs.containsKey(e.getKey())) {
        unpaired.add(targetFlag + " " + e.getValue() + " (id " + e.getKey() + ") has no record in --input " + input);
      }
    }
    if (!unpaired.isEmpty()) {
      if (!quarantineUnpaired) {
        throw new IllegalArgumentException("Cannot pair datasets: " + unpaired.get(0)
            + (unpaired.size() > 1 ? " (and " + (unpaired.size() - 1) + " more unpaired records)" : "")
            + "; add --quarantine-unpaired to leave them out");
      }
      quarantined.put("unpaired", unpaired.size());
    }
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("Cannot compute gradients: --input " + input + " and " + targetFlag + " "
          + target + " have no record in common");
    }
    int[] xShape = null;
    int[] yShape = null;
    String firstId = null;
    for (Pair p : pairs) {
      int[] xs1 = shape(p.input(), hadoop);
      int[] ys1 = shape(p.target(), hadoop);
      if (xs1[0] != layer.inputChannels()) {
        throw new IllegalArgumentException("Cannot compute gradients: --input " + p.input() + " has " + xs1[0]
            + " channels, the weights " + layer.spec().weights() + " expect " + layer.inputChannels());
      }
      OutputShape o = layer.outputShape(xs1[1], xs1[2]);
      int[] want = {o.channels(), o.height(), o.width()};
      if (!Arrays.equals(ys1, want)) {
        throw new IllegalArgumentException("Cannot compute gradients: " + targetFlag + " " + p.target()
            + " has shape " + Arrays.toString(ys1) + " but the layer's output for --input " + p.input() + " "
            + Arrays.toString(xs1) + " is " + Arrays.toString(want));
      }
      if (xShape == null) {
        xShape = xs1;
        yShape = want;
        firstId = p.id();
      } else if (!Arrays.equals(xShape, xs1)) {
        // the mean's divisor and the training batches assume one record shape
        throw new IllegalArgumentException("Cannot compute gradients: --input " + p.input() + " has shape "
            + Arrays.toString(xs1) + ", record " + firstId + " has " + Arrays.toString(xShape)
            + "; every record of a dataset must have the same shape");
      }
    }
    return new PairedDataset(List.copyOf(pairs), xShape, yShape, Map.copyOf(quarantined), null);
  }

  /** Records. */
  public int size() {
    return pairs.size();
  }

  /**
   * The input of record {@code index} as {@code [C, H, W]} float32 values, read with {@code conf} (the driver's
   * broadcast Hadoop configuration).
   */
  public float[] input(long index, Configuration conf) {
    return decode(pairs.get((int) index).input(), inputShape, conf);
  }

  /** The target (or upstream gradient) of record {@code index}. */
  public float[] target(long index, Configuration conf) {
    return decode(pairs.get((int) index).target(), outputShape, conf);
  }

  /** What the run summary records about the pairing. */
  public Map<String, Object> summary() {
    Map<String, Object> s = new LinkedHashMap<>();
    if (tensors == null) {
      s.put("paired_by", "relative path without extension, sorted");
    } else {
      s.put("paired_by", "id, sorted");
      s.put("input_format", tensors.input().name().toLowerCase(java.util.Locale.ROOT));
      s.put("target_format", tensors.target().name().toLowerCase(java.util.Locale.ROOT));
    }
    s.put("quarantined_unpaired", quarantined.getOrDefault("unpaired", 0));
    s.put("quarantined_duplicate", quarantined.getOrDefault("duplicate", 0));
    if (tensors != null) {
      s.put("quarantined_shape", quarantined.getOrDefault("shape", 0));
    }
    return s;
  }

  private static float[] decode(String path, int[] want, Configuration conf) {
    Path p = new Path(path);
    byte[] bytes;
    try {
      FileSystem fs = p.getFileSystem(conf);
      try (InputStream in = fs.open(p)) {
        bytes = in.readAllBytes();
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read " + path + ": " + e.getMessage(), e);
    }
    ImageCodec.Image img = ImageCodec.decode(bytes, path, PixelScaling.UNIT, false);
    int[] got = {img.channels(), img.height(), img.width()};
    if (!Arrays.equals(got, want)) { // changed since the driver read its header
      throw new IllegalArgumentException("Cannot compute gradients: " + path + " decodes to " + Arrays.toString(got)
          + ", its header said " + Arrays.toString(want) + " (was the file replaced during the run?)");
    }
    return img.chw();
  }

  private static int[] shape(String path, Configuration hadoop) {
    Path p = new Path(path);
    try (InputStream in = p.getFileSystem(hadoop).open(p)) {
      ImageCodec.Dimensions d = ImageCodec.dimensions(in, path);
      return new int[] {d.channels(), d.height(), d.width()};
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** id → file of an image directory, file or glob; duplicate ids fail or are quarantined. */
  private static TreeMap<String, String> list(String root, String flag, boolean recursive, boolean quarantine,
      Map<String, Integer> quarantined, Configuration hadoop) {
    TreeMap<String, String> ids = new TreeMap<>();
    try {
      Path p = new Path(root);
      FileSystem fs = p.getFileSystem(hadoop);
      FileStatus[] matched = fs.globStatus(p);
      if (matched == null || matched.length == 0) {
        throw new IllegalArgumentException("Cannot read " + flag + " " + root + ": no such file, directory or glob "
            + "match");
      }
      List<String[]> found = new ArrayList<>(); // {id, path}
      for (FileStatus s : matched) {
        if (s.isDirectory()) {
          walk(fs, s.getPath(), "", recursive, found);
        } else if (visible(s.getPath().getName())) {
          found.add(new String[] {stem(s.getPath().getName()), s.getPath().toString()});
        }
      }
      found.sort((a, b) -> a[1].compareTo(b[1])); // which file of a duplicate is named does not depend on listing
      TreeMap<String, List<String>> dup = new TreeMap<>();
      for (String[] f : found) {
        String before = ids.putIfAbsent(f[0], f[1]);
        if (before != null) {
          dup.computeIfAbsent(f[0], k -> new ArrayList<>(List.of(before))).add(f[1]);
        }
      }
      if (!dup.isEmpty()) {
        Map.Entry<String, List<String>> d = dup.firstEntry();
        if (!quarantine) {
          throw new IllegalArgumentException("Cannot pair datasets: " + flag + " has " + d.getValue().size()
              + " records with id " + d.getKey() + ": " + String.join(", ", d.getValue())
              + (dup.size() > 1 ? " (and " + (dup.size() - 1) + " more duplicate ids)" : "")
              + "; add --quarantine-unpaired to leave them out");
        }
        int n = 0;
        for (Map.Entry<String, List<String>> e : dup.entrySet()) {
          ids.remove(e.getKey());
          n += e.getValue().size();
        }
        quarantined.merge("duplicate", n, Integer::sum);
      }
      if (ids.isEmpty() && dup.isEmpty()) {
        throw new IllegalArgumentException("Cannot read " + flag + " " + root + ": no files found");
      }
      return ids;
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot list " + flag + " " + root + ": " + e.getMessage(), e);
    }
  }

  private static void walk(FileSystem fs, Path dir, String prefix, boolean recursive, List<String[]> found)
      throws IOException {
    for (FileStatus c : fs.listStatus(dir)) {
      String name = c.getPath().getName();
      if (!visible(name)) {
        continue;
      }
      if (c.isDirectory()) {
        if (recursive) {
          walk(fs, c.getPath(), prefix + name + "/", true, found);
        }
      } else {
        found.add(new String[] {prefix + stem(name), c.getPath().toString()});
      }
    }
  }

  private static String stem(String name) {
    int dot = name.lastIndexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }

  /** Hidden and bookkeeping files (".x", "_SUCCESS") are not records, as for {@code infer}. */
  private static boolean visible(String name) {
    return !name.startsWith(".") && !name.startsWith("_");
  }
}

package io.convt.job.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.convt.engine.io.WeightFiles;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.job.JobConfig;
import io.convt.job.LayerWeights;
import io.convt.job.OutputCommit;
import io.convt.job.Progress;
import io.convt.job.SparkErrors;
import io.convt.job.TaskWindow;
import io.convt.job.storage.CommitFiles;
import io.convt.job.storage.HadoopConf;
import io.convt.job.storage.RunningTasks;
import io.convt.job.storage.TaskAttempt;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * Driver side of {@code convt-job infer}: validates everything it can before Spark runs (config, weights, input,
 * output), broadcasts the weights, runs one kernel per executor JVM over streamed Arrow batches, writes the
 * outputs and the quarantine into a staging directory, checks that every input record is accounted for, writes
 * {@code run-summary.json} and commits atomically.
 */
public final class InferJob {
  private InferJob() {}

  /** Runs the job and returns the run summary (also written as {@code run-summary.json}). */
  public static Map<String, Object> run(SparkSession spark, LayerSpec spec, JobConfig config, String input,
      String output) {
    long t0 = System.nanoTime();
    long startMillis = System.currentTimeMillis();
    InferSettings s = InferSettings.from(config);
    String mode = config.choice("mode", "error", "overwrite");
    int partitions = config.integer("partitions", 0, 1_000_000);
    int progressSeconds = config.integer("progress.interval-seconds", 0, 86_400);
    String inputFormat = config.choice("input.format", "auto", "npy", "images", "spark-image", "parquet",
        "arrow");
    Layer layer = Layer.open(spec.withOptions(spec.options()
        .withImpl(config.choice("kernel.impl", "auto", "simd", "scalar"))
        .withThreads(config.integer("kernel.threads", 1, 1024))));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    HadoopConf hadoop = HadoopConf.broadcast(spark); // the cluster's file system settings, for every executor
    InputPlan plan = InputPlan.of(input, inputFormat, s.batchSize(),
        partitions > 0 ? partitions : jsc.defaultParallelism(), hadoop.get());
    if (plan.fixedShape() != null && plan.fixedShape()[0] != layer.inputChannels()) {
      throw new IllegalArgumentException("Cannot read input " + input + ": records have " + plan.fixedShape()[0]
          + " channels, the weights " + spec.weights() + " expect " + layer.inputChannels());
    }
    OutputCommit commit = OutputCommit.begin(output, mode, hadoop.get());
    Broadcast<LayerWeights> weights = jsc.broadcast(LayerWeights.of(layer));
    LongAccumulator done = spark.sparkContext().longAccumulator("convt records processed");
    CollectionAccumulator<String> builds = spark.sparkContext().collectionAccumulator("convt kernels built");
    Map<String, LongAccumulator> counters = new TreeMap<>();
    for (String outcome : new String[] {OutputRecord.OK, "unreadable", "channels", "shape", "non_finite"}) {
      counters.put(outcome, spark.sparkContext().longAccumulator("convt records " + outcome));
    }
    TaskWindow window = TaskWindow.register(spark.sparkContext(), "convt task work spans");
    String quarantineDir = commit.mkdir("quarantine");
    long broadcastId = weights.id();
    FlatMapFunction<java.util.Iterator<InputRecord>, OutputRecord> kernel = records ->
        new InferPartition(records, KernelHolder.layer(broadcastId, weights.value(), builds), s, done,
            new QuarantineSink(quarantineDir, hadoop), counters);
    JavaRDD<OutputRecord> results;
    if (plan.format().equals("parquet")) {
      results = spark.read().parquet(input)
          .select(col("id"), col("shape"), col("data"), lit(null).cast("string").as("error"))
          .as(Encoders.bean(InputRecord.class)).javaRDD().mapPartitions(kernel);
    } else if (plan.format().equals("spark-image")) {
      // Spark's own image data source; undecodable files arrive as its "invalid image" rows and are quarantined
      results = spark.read().format("image").option("dropInvalid", "false").load(input)
          .select(col("image.origin"), col("image.height"), col("image.width"), col("image.nChannels"),
              col("image.mode"), col("image.data"))
          .javaRDD().mapPartitions(rows -> new SparkImageRows(rows, s)).mapPartitions(kernel);
    } else {
      int parts = Math.max(1, Math.min(plan.items().size(), partitions > 0 ? partitions : jsc.defaultParallelism()));
      results = jsc.parallelize(plan.items(), parts).mapPartitions(items -> new InputReader(items, s, hadoop))
          .mapPartitions(kernel);
    }
    // One pass: each task writes its good records (below) and its quarantine file, and counts outcomes in
    // accumulators that the write action applies once per successful task. Nothing is cached, so memory does not
    // grow with the dataset.
    Map<String, Long> counts = new TreeMap<>();
    List<TaskAttempt> winners; // one per partition: the attempts whose files are committed
    try (Progress p = Progress.start("convt infer", done, plan.records(), progressSeconds);
        RunningTasks writing = RunningTasks.track(spark.sparkContext())) {
      spark.sparkContext().setJobDescription("convt infer: transposed convolution of " + input + " ("
          + layer.kernel().label() + ") -> " + s.outputFormat() + " in " + commit.target()
          + ", bad records to quarantine/");
      if (s.outputFormat().equals("arrow")) {
        String dir = commit.staging("data");
        winners = results.mapPartitions(TaskAttempt.after(window.around(rows ->
            ArrowPartWriter.write(rows, dir, s.crcFiles(), hadoop.get())))).collect();
      } else if (!s.outputFormat().equals("parquet")) {
        String dir = commit.staging("images");
        winners = results.mapPartitions(TaskAttempt.after(window.around(rows ->
            ImageWriter.write(rows, CommitFiles.attemptDir(dir, TaskAttempt.current()), s, hadoop.get()))))
            .collect();
      } else {
        String dir = commit.mkdir("data");
        String schema = outputSchema(tensorMetadata(plan, layer)).json();
        winners = results.mapPartitions(TaskAttempt.after(window.around(rows ->
            ParquetPartWriter.write(rows, dir, s.parquet(), schema, s.crcFiles(), hadoop.get())))).collect();
        commit.writeText("data/_SUCCESS", ""); // as Spark's committer leaves it: marks a complete dataset
      }
      // attempts Spark is still killing (speculative copies of won partitions) must not write after the commit
      if (!writing.awaitNone(120_000)) {
        System.err.println("convt infer: task attempts still running 120 s after the write finished; committing the "
            + "winning attempts' files (manifest.json lists them)");
      }
      counters.forEach((k, v) -> {
        if (v.value() > 0 || k.equals(OutputRecord.OK)) {
          counts.put(k, v.value());
        }
      });
    } catch (Exception e) { // SparkException is checked but thrown through Spark's Java API
      commit.abort();
      throw SparkErrors.unwrap(e);
    } finally {
      spark.sparkContext().setJobDescription(null);
    }
    Map<String, Object> summary = summary(spark, spec, config, plan, layer, counts, builds.value(), t0, commit);
    window.putInto(summary, startMillis, (Long) summary.get("records_in"));
    commit.writeText("run-summary.json", json(summary));
    commit.commit(winners);
    return summary;
  }

  private static Map<String, Object> summary(SparkSession spark, LayerSpec spec, JobConfig config, InputPlan plan,
      Layer layer, Map<String, Long> counts, List<String> builds, long t0, OutputCommit commit) {
    long ok = counts.getOrDefault("ok", 0L);
    Map<String, Long> byReason = new TreeMap<>(counts);
    byReason.remove("ok");
    long quarantined = byReason.values().stream().mapToLong(Long::longValue).sum();
    long in = ok + quarantined;
    if (plan.records() >= 0 && plan.records() != in) {
      commit.abort();
      throw new IllegalStateException("Cannot commit output: " + plan.records() + " records went in but " + in
          + " came out (" + ok + " ok, " + quarantined + " quarantined); nothing was written");
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("command", "infer");
    m.put("input", plan.input());
    m.put("input_format", plan.format());
    m.put("output", commit.target());
    m.put("records_in", in);
    m.put("records_out", ok);
    m.put("records_quarantined", quarantined);
    m.put("quarantined_by_reason", byReason);
    m.put("kernel", new TreeSet<>(builds.stream().map(b -> b.substring(b.lastIndexOf(' ') + 1)).toList()));
    // one entry per kernel built ("pid@host impl"): exactly one per executor JVM that ran tasks
    List<String> built = new ArrayList<>(builds);
    built.sort(null);
    m.put("kernels_built", built);
    m.put("wall_seconds", Math.round(secs * 1000) / 1000.0);
    m.put("records_per_second", Math.round(in / Math.max(secs, 1e-9) * 10) / 10.0);
    m.put("weights_sha256", WeightFiles.sha256(spec.weights(), spec.bias()));
    m.put("spark_master", spark.sparkContext().master());
    m.put("spark_application_id", spark.sparkContext().applicationId());
    Map<String, Object> resolved = new LinkedHashMap<>(spec.describe());
    resolved.putAll(config.asMap());
    m.put("config", resolved);
    return m;
  }

  /** Spark's schema of the Parquet output (stored in each file's footer, as Spark's own writer does). */
  static StructType outputSchema(Metadata dataMetadata) {
    return new StructType()
        .add("id", DataTypes.StringType, true)
        .add("shape", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
        .add("data", DataTypes.createArrayType(DataTypes.FloatType, false), true, dataMetadata);
  }

  private static Metadata tensorMetadata(InputPlan plan, Layer layer) {
    if (plan.fixedShape() == null) {
      return Metadata.empty();
    }
    int[] o = layer.outputShape(plan.fixedShape()[1], plan.fixedShape()[2]);
    // Arrow's canonical extension type for fixed-shape tensors, recorded on the column (CHW, row-major).
    return new MetadataBuilder()
        .putString("ARROW:extension:name", "arrow.fixed_shape_tensor")
        .putString("ARROW:extension:metadata", "{\"shape\":[" + o[2] + "," + o[0] + "," + o[1] + "]}")
        .build();
  }

  static String json(Object value) {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

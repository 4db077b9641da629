package io.convt.job.infer;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.convt.engine.cli.ConsoleProgress;
import io.convt.engine.io.WeightFiles;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layer.OutputShape;
import io.convt.job.JobConfig;
import io.convt.job.JobStatus;
import io.convt.job.LayerWeights;
import io.convt.job.OutputCommit;
import io.convt.job.OutputMode;
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
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.VoidFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
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

  /** Quarantine reasons, in the order the summary lists them. */
  static final List<String> REASONS = List.of("unreadable", "not_a_file", "too_large", "channels", "shape",
      "non_finite");

  /**
   * Checks everything on the driver ({@link InferPreflight}, with the session's Hadoop configuration), then runs.
   * Commands call the two steps apart, so that mistakes fail before a session starts.
   */
  public static InferResult run(SparkSession spark, LayerSpec spec, JobConfig config, String input, String output) {
    return run(spark, InferPreflight.prepare(spec, config, input, output, spark.sparkContext().hadoopConfiguration(),
        new java.io.PrintWriter(System.err, true)));
  }

  /** Runs a prepared job and returns what it did (also written as {@code run-summary.json}). */
  public static InferResult run(SparkSession spark, InferPreflight.Prepared p) {
    long t0 = System.nanoTime();
    long startMillis = System.currentTimeMillis();
    InferConfig c = p.config();
    InferSettings s = c.executor();
    InputPlan plan = p.plan();
    Layer layer = p.layer();
    String input = p.input();
    HadoopConf hadoop = HadoopConf.broadcast(spark); // the cluster's file system settings, for every executor
    OutputCommit commit = OutputCommit.begin(p.output(), c.mode() == OutputMode.OVERWRITE ? "overwrite" : "error",
        hadoop.get());
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<LayerWeights> weights = jsc.broadcast(LayerWeights.of(layer));
    LongAccumulator done = spark.sparkContext().longAccumulator("convt records processed");
    CollectionAccumulator<String> builds = spark.sparkContext().collectionAccumulator("convt kernels built");
    Map<String, LongAccumulator> counters = new TreeMap<>();
    counters.put(OutputRecord.OK, spark.sparkContext().longAccumulator("convt records " + OutputRecord.OK));
    for (String reason : REASONS) {
      counters.put(reason, spark.sparkContext().longAccumulator("convt records " + reason));
    }
    TaskWindow window = TaskWindow.register(spark.sparkContext(), "convt task work spans");
    Map<String, Long> counts = new TreeMap<>();
    List<String> notes = new ArrayList<>();
    List<TaskAttempt> winners; // one per partition: the attempts whose files are committed
    // One pass: each task writes its good records (below) and its quarantine file, and counts outcomes in
    // accumulators that the write action applies once per successful task. Nothing is cached, so memory does not
    // grow with the dataset.
    try (ConsoleProgress progress = Progress.start(spark.sparkContext(), "convt infer", done, plan.records(),
        c.progressSeconds());
        RunningTasks writing = RunningTasks.track(spark.sparkContext())) {
      String quarantineDir = commit.mkdir("quarantine");
      long broadcastId = weights.id();
      FlatMapFunction<java.util.Iterator<InputRecord>, OutputRecord> kernel = records ->
          new InferPartition(records, KernelHolder.layer(broadcastId, weights.value(), builds), s, done,
              new QuarantineSink(quarantineDir, hadoop), counters);
      JavaRDD<OutputRecord> results = records(spark, jsc, plan, input, s, c.partitions(), notes, hadoop)
          .mapPartitions(kernel);
      spark.sparkContext().setJobDescription("convt infer: transposed convolution of " + input + " ("
          + layer.kernel().label() + ") -> " + s.outputFormat() + " in " + commit.target()
          + ", bad records to quarantine/");
      if (s.outputFormat().equals("arrow")) {
        String dir = commit.staging("data");
        winners = results.mapPartitions(TaskAttempt.after(thenAfterWrite(window.around(rows ->
            ArrowPartWriter.write(rows, dir, s.crcFiles(), hadoop.get()))))).collect();
      } else if (!s.outputFormat().equals("parquet")) {
        String dir = commit.staging("images");
        winners = results.mapPartitions(TaskAttempt.after(thenAfterWrite(window.around(rows ->
            ImageWriter.write(rows, CommitFiles.attemptDir(dir, TaskAttempt.current()), s, hadoop.get())))))
            .collect();
      } else {
        String dir = commit.mkdir("data");
        String schema = outputSchema(tensorMetadata(plan, layer)).json();
        winners = results.mapPartitions(TaskAttempt.after(thenAfterWrite(window.around(rows ->
            ParquetPartWriter.write(rows, dir, s.parquet(), schema, s.crcFiles(), hadoop.get()))))).collect();
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
      RuntimeException cause = SparkErrors.unwrap(e);
      if (cause instanceof IllegalArgumentException) {
        throw cause;
      }
      // name where the run read and wrote, so that e.g. "No space left on device" says which disk
      throw new SparkErrors.RunFailure(cause.getMessage() + " (input " + input + ", output " + commit.target()
          + "); nothing was committed", e);
    } finally {
      spark.sparkContext().setJobDescription(null);
    }
    InferResult result = summary(spark, p, counts, builds.value(), t0, commit);
    window.putInto(result.summary(), startMillis, result.recordsIn());
    boolean ok = result.status() == JobStatus.OK;
    if (ok && s.outputFormat().equals("parquet")) {
      commit.writeText("data/_SUCCESS", ""); // as Spark's committer leaves it: marks a complete dataset
    }
    if (!notes.isEmpty()) {
      result.summary().put("notes", notes);
    }
    commit.writeText("run-summary.json", json(result.summary()));
    commit.commit(winners, ok);
    return result;
  }

  /**
   * The input records as an RDD, read by the job's own reader or by Spark's Parquet and image sources, each with its
   * {@code index} (the record's position in the input, {@link RecordIndexes}); {@code notes} receives what the run
   * summary should say about the reading (e.g. a cast).
   */
  /**
   * Runs in each write task after its files are written, before it reports its attempt. Null here; it exists so
   * that tests in this package can hold an attempt back (and have Spark run a speculative copy) without touching
   * the writers.
   */
  static volatile VoidFunction<TaskAttempt> afterWrite;

  private static <T> VoidFunction<java.util.Iterator<T>> thenAfterWrite(VoidFunction<java.util.Iterator<T>> work) {
    VoidFunction<TaskAttempt> hook = afterWrite; // read on the driver: the task closure carries it to the executors
    if (hook == null) {
      return work;
    }
    return rows -> {
      work.call(rows);
      hook.call(TaskAttempt.current());
    };
  }

  private static JavaRDD<InputRecord> records(SparkSession spark, JavaSparkContext jsc, InputPlan plan,
      String input, InferSettings s, int partitions, List<String> notes, HadoopConf hadoop) {
    if (plan.format().equals("parquet")) {
      ParquetInput.Read read = ParquetInput.read(spark, input);
      notes.addAll(read.notes());
      JavaRDD<InputRecord> records = read.records().javaRDD();
      return read.indexed() ? records : RecordIndexes.inReadOrder(records);
    }
    if (plan.format().equals("spark-image")) {
      // Spark's own image data source; undecodable files arrive as its "invalid image" rows and are quarantined
      return RecordIndexes.byListing(jsc, spark.read().format("image").option("dropInvalid", "false").load(input)
          .select(col("image.origin"), col("image.height"), col("image.width"), col("image.nChannels"),
              col("image.mode"), col("image.data"))
          .javaRDD().mapPartitions(rows -> new SparkImageRows(rows, s)), plan.items());
    }
    int parts = Math.max(1, Math.min(plan.items().size(), partitions > 0 ? partitions : jsc.defaultParallelism()));
    JavaRDD<InputRecord> records = jsc.parallelize(plan.items(), parts).mapPartitions(items -> new InputReader(items, s, hadoop));
    return plan.format().equals("arrow")
        ? RecordIndexes.forArrow(records, plan.items(), hadoop.get(), notes) : records;
  }

  private static InferResult summary(SparkSession spark, InferPreflight.Prepared p, Map<String, Long> counts,
      List<String> builds, long t0, OutputCommit commit) {
    InputPlan plan = p.plan();
    LayerSpec spec = p.spec();
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
    JobStatus status = JobStatus.of(in, ok, p.config().maxQuarantineFraction());
    double secs = (System.nanoTime() - t0) / 1e9;
    Set<String> kernels = new TreeSet<>(builds.stream().map(b -> b.substring(b.lastIndexOf(' ') + 1)).toList());
    double rate = Math.round(in / Math.max(secs, 1e-9) * 10) / 10.0;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("command", "infer");
    m.put("status", status.word());
    m.put("exit_code", status.exitCode());
    m.put("input", plan.input());
    m.put("input_format", plan.format());
    m.put("output", commit.target());
    m.put("records_in", in);
    m.put("records_out", ok);
    m.put("records_quarantined", quarantined);
    m.put("quarantined_by_reason", byReason);
    m.put("kernel", kernels);
    // one entry per kernel built ("pid@host impl"): exactly one per executor JVM that ran tasks
    List<String> built = new ArrayList<>(builds);
    built.sort(null);
    m.put("kernels_built", built);
    m.put("wall_seconds", Math.round(secs * 1000) / 1000.0);
    m.put("records_per_second", rate);
    m.put("weights_sha256", WeightFiles.sha256(spec.weights(), spec.bias()));
    m.put("spark_master", spark.sparkContext().master());
    m.put("spark_application_id", spark.sparkContext().applicationId());
    Map<String, Object> resolved = new LinkedHashMap<>(spec.describe());
    resolved.putAll(p.config().source().asMap());
    m.put("config", resolved);
    return new InferResult(in, ok, quarantined, byReason, kernels, rate, commit.target(), status, m);
  }

  /** Spark's schema of the Parquet output (stored in each file's footer, as Spark's own writer does). */
  static StructType outputSchema(Metadata dataMetadata) {
    return new StructType()
        .add("id", DataTypes.StringType, true)
        .add("index", DataTypes.LongType, false)
        .add("shape", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
        .add("data", DataTypes.createArrayType(DataTypes.FloatType, false), true, dataMetadata);
  }

  private static Metadata tensorMetadata(InputPlan plan, Layer layer) {
    if (plan.fixedShape() == null) {
      return TensorColumnMetadata.of(null); // each file then records its own records' shape
    }
    TensorShape o = outputShape(layer, plan.fixedShape());
    return TensorColumnMetadata.of(new int[] {o.channels(), o.height(), o.width()});
  }

  /** The layer's output shape for records of shape {@code in}. */
  static TensorShape outputShape(Layer layer, TensorShape in) {
    OutputShape o = layer.outputShape(in.height(), in.width());
    return new TensorShape(o.channels(), o.height(), o.width());
  }

  static String json(Object value) {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

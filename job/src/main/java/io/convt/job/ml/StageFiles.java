package io.convt.job.ml;

import io.convt.engine.io.TensorFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;

/**
 * A saved {@link ConvTransposeTransformer}: Spark's params metadata ({@code metadata/}, what
 * {@code DefaultParamsWritable} writes) plus copies of the weight files, {@code weights/NAME} and {@code bias/NAME}.
 * The saved {@code weights} and {@code bias} params are those paths relative to the stage directory, and loading
 * points them at the copies, so a saved pipeline keeps working when the original files move or change. The weights
 * are read with Java NIO as the job reads them: a stage saved on a non-local file system is copied to a local
 * temporary directory when loaded.
 */
final class StageFiles {
  private StageFiles() {}

  static final String WEIGHTS_DIR = "weights";
  static final String BIAS_DIR = "bias";

  static final class Writer extends MLWriter {
    private final ConvTransposeTransformer stage;

    Writer(ConvTransposeTransformer stage) {
      this.stage = stage;
    }

    @Override
    public void saveImpl(String path) {
      java.nio.file.Path weights = source(stage, stage.weights(), "weights");
      java.nio.file.Path bias = stage.isDefined(stage.bias()) ? source(stage, stage.bias(), "bias") : null;
      ConvTransposeTransformer saved = stage.copy(ParamMap.empty());
      saved.setWeights(WEIGHTS_DIR + "/" + weights.getFileName());
      if (bias != null) {
        saved.setBias(BIAS_DIR + "/" + bias.getFileName());
      }
      try {
        saved.metadataWriter().session(sparkSession()).save(path);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot save stage " + stage.uid() + " to " + path + ": " + e.getMessage(), e);
      }
      Configuration conf = sparkSession().sparkContext().hadoopConfiguration();
      copyIn(weights, new Path(new Path(path, WEIGHTS_DIR), weights.getFileName().toString()), conf);
      if (bias != null) {
        copyIn(bias, new Path(new Path(path, BIAS_DIR), bias.getFileName().toString()), conf);
      }
    }

    private static java.nio.file.Path source(ConvTransposeTransformer stage, Param<String> p, String role) {
      if (!stage.isDefined(p)) {
        throw new IllegalArgumentException("Cannot save stage " + stage.uid() + ": param " + p.name() + " is not set");
      }
      java.nio.file.Path f = Paths.get(stage.getOrDefault(p));
      if (!Files.isRegularFile(f)) {
        throw new TensorFormatException(f.toString(), role + " file does not exist or is not a regular file");
      }
      return f;
    }

    private static void copyIn(java.nio.file.Path local, Path dst, Configuration conf) {
      try {
        dst.getFileSystem(conf).copyFromLocalFile(false, true, new Path(local.toAbsolutePath().toUri()), dst);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot save " + local + " to " + dst + ": " + e.getMessage(), e);
      }
    }
  }

  static final class Reader extends MLReader<ConvTransposeTransformer> {
    @Override
    public ConvTransposeTransformer load(String path) {
      ConvTransposeTransformer stage = new DefaultParamsReadable<ConvTransposeTransformer>() {}.read()
          .session(sparkSession()).load(path);
      java.nio.file.Path dir = localDirectory(path);
      stage.setWeights(dir.resolve(stage.getOrDefault(stage.weights())).toString());
      if (stage.isDefined(stage.bias())) {
        stage.setBias(dir.resolve(stage.getOrDefault(stage.bias())).toString());
      }
      return stage;
    }

    /** The stage directory on this machine's file system (a local copy of its weights if it is elsewhere). */
    private java.nio.file.Path localDirectory(String path) {
      Path p = new Path(path);
      try {
        FileSystem fs = p.getFileSystem(sparkSession().sparkContext().hadoopConfiguration());
        if ("file".equals(fs.getScheme())) {
          return Paths.get(fs.makeQualified(p).toUri());
        }
        java.nio.file.Path tmp = Files.createTempDirectory("convt-stage-");
        tmp.toFile().deleteOnExit();
        for (String d : new String[] {WEIGHTS_DIR, BIAS_DIR}) {
          if (fs.exists(new Path(p, d))) {
            fs.copyToLocalFile(false, new Path(p, d), new Path(tmp.toUri()), true);
          }
        }
        return tmp;
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the weights of stage " + path + ": " + e.getMessage(), e);
      }
    }
  }
}

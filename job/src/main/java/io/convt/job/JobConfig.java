package io.convt.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The job's configuration: the shipped defaults ({@code conf/convt.conf}, also built into the jar), then a
 * user file ({@code --config}), then {@code --conf key=value} overrides. Keys starting with {@code spark.}
 * (including {@code spark.hadoop.*}) are Spark's: kept apart ({@link #sparkSettings()}) for the session. Unknown keys
 * and bad values fail on the driver, before any Spark work, with one line naming the keys (sorted).
 */
public final class JobConfig {
  private static final String DEFAULTS = "/io/convt/job/convt.conf";
  private final Map<String, String> values;
  private final Map<String, String> spark;
  private final Path file;

  private JobConfig(Map<String, String> values, Map<String, String> spark, Path file) {
    this.values = values;
    this.spark = spark;
    this.file = file;
  }

  /** The {@code --config} file these values came from, or null. */
  public Path file() {
    return file;
  }

  /** Defaults, then {@code file} (may be null), then {@code overrides} ({@code key=value} strings). */
  public static JobConfig load(Path file, Iterable<String> overrides) {
    Properties defaults = new Properties();
    try (InputStream in = JobConfig.class.getResourceAsStream(DEFAULTS)) {
      if (in == null) {
        throw new IllegalStateException("Cannot load built-in defaults " + DEFAULTS + " (broken jar)");
      }
      defaults.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("Cannot load built-in defaults: " + e.getMessage(), e);
    }
    Map<String, String> v = new TreeMap<>();
    defaults.stringPropertyNames().forEach(k -> v.put(k, defaults.getProperty(k).trim()));
    Set<String> known = new TreeSet<>(v.keySet());
    Map<String, String> spark = new TreeMap<>();
    Map<String, String> unknown = new TreeMap<>();
    if (file != null) {
      Properties user = new Properties();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        user.load(r);
      } catch (IOException e) {
        throw new IllegalArgumentException("Cannot read config file " + file + ": " + e.getMessage());
      }
      for (String k : user.stringPropertyNames()) {
        put(v, spark, known, unknown, k, user.getProperty(k), "config file " + file);
      }
    }
    if (overrides != null) {
      for (String o : overrides) {
        int eq = o.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("Invalid value for --conf: '" + o + "' (expected key=value)");
        }
        put(v, spark, known, unknown, o.substring(0, eq).trim(), o.substring(eq + 1), "--conf");
      }
    }
    if (!unknown.isEmpty()) {
      List<String> named = new ArrayList<>();
      unknown.forEach((k, where) -> named.add("'" + k + "' in " + where));
      throw new IllegalArgumentException("Unknown configuration key" + (unknown.size() > 1 ? "s " : " ")
          + String.join(", ", named) + " (known: " + String.join(", ", known) + "; and Spark's own spark.* keys)");
    }
    return new JobConfig(v, spark, file);
  }

  private static void put(Map<String, String> v, Map<String, String> spark, Set<String> known,
      Map<String, String> unknown, String key, String value, String where) {
    if (key.startsWith("spark.")) {
      spark.put(key, value.trim());
    } else if (known.contains(key)) {
      v.put(key, value.trim());
    } else {
      unknown.putIfAbsent(key, where);
    }
  }

  /** The {@code spark.*} keys given (file, then {@code --conf}), for the Spark session; sorted. */
  public Map<String, String> sparkSettings() {
    return new TreeMap<>(spark);
  }

  /** This config with one key replaced (for command-line flags that shadow keys). */
  public JobConfig with(String key, String value) {
    if (value == null) {
      return this;
    }
    if (!values.containsKey(key)) {
      throw new IllegalArgumentException("Unknown configuration key '" + key + "'");
    }
    Map<String, String> v = new TreeMap<>(values);
    v.put(key, value.trim());
    return new JobConfig(v, spark, file);
  }

  public String string(String key) {
    String s = values.get(key);
    if (s == null) {
      throw new IllegalArgumentException("Unknown configuration key '" + key + "'");
    }
    return s;
  }

  /** A value that must be one of {@code allowed} (case-insensitive). */
  public String choice(String key, String... allowed) {
    String s = string(key).toLowerCase(Locale.ROOT);
    for (String a : allowed) {
      if (a.equals(s)) {
        return a;
      }
    }
    throw new IllegalArgumentException("Invalid value for configuration key '" + key + "': '" + string(key)
        + "' (expected one of " + String.join(", ", allowed) + ")");
  }

  /** An integer in {@code [min, max]}. */
  public int integer(String key, int min, int max) {
    return (int) longInteger(key, min, max); // the range keeps it an int
  }

  public boolean bool(String key) {
    return choice(key, "true", "false").equals("true");
  }

  /** All resolved values, for the run summary. */
  public Map<String, String> asMap() {
    return new TreeMap<>(values);
  }

  /** A long integer in {@code [min, max]}. */
  public long longInteger(String key, long min, long max) {
    try {
      long v = Long.parseLong(string(key));
      if (v < min || v > max) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Invalid value for configuration key '" + key + "': '" + string(key)
          + "' (expected an integer in " + min + ".." + max + ")");
    }
  }

  /** A decimal number in {@code [min, max]}. */
  public double decimal(String key, double min, double max) {
    try {
      double v = Double.parseDouble(string(key));
      if (!(v >= min && v <= max)) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Invalid value for configuration key '" + key + "': '" + string(key)
          + "' (expected a number in " + min + ".." + max + ")");
    }
  }
}

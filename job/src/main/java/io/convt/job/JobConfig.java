package io.convt.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The job's configuration: the shipped defaults ({@code conf/convt.conf}, also built into the jar), then a
 * user file ({@code --config}), then {@code --conf key=value} overrides. Unknown keys and bad values fail on the
 * driver, before any Spark work, with one line naming the key.
 */
public final class JobConfig {
  private static final String DEFAULTS = "/io/convt/job/convt.conf";
  private final Map<String, String> values;
  private final Path file;

  private JobConfig(Map<String, String> values, Path file) {
    this.values = values;
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
    Set<String> known = Set.copyOf(v.keySet());
    if (file != null) {
      Properties user = new Properties();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        user.load(r);
      } catch (IOException e) {
        throw new IllegalArgumentException("Cannot read config file " + file + ": " + e.getMessage());
      }
      for (String k : user.stringPropertyNames()) {
        put(v, known, k, user.getProperty(k), "config file " + file);
      }
    }
    if (overrides != null) {
      for (String o : overrides) {
        int eq = o.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("Invalid value for --conf: '" + o + "' (expected key=value)");
        }
        put(v, known, o.substring(0, eq).trim(), o.substring(eq + 1), "--conf");
      }
    }
    return new JobConfig(v, file);
  }

  private static void put(Map<String, String> v, Set<String> known, String key, String value, String where) {
    if (!known.contains(key)) {
      throw new IllegalArgumentException("Unknown configuration key '" + key + "' in " + where
          + " (known: " + String.join(", ", known) + ")");
    }
    v.put(key, value.trim());
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
    return new JobConfig(v, file);
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
    try {
      int v = Integer.parseInt(string(key));
      if (v < min || v > max) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Invalid value for configuration key '" + key + "': '" + string(key)
          + "' (expected an integer in " + min + ".." + max + ")");
    }
  }

  /** A whole number in {@code [min, max]} (64-bit). */
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

  /** A finite decimal number in {@code [min, max]}. */
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

  public boolean bool(String key) {
    return choice(key, "true", "false").equals("true");
  }

  /** All resolved values, for the run summary. */
  public Map<String, String> asMap() {
    return new TreeMap<>(values);
  }
}

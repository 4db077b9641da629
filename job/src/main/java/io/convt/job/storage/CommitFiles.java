package io.convt.job.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The driver's side of the attempt-named output ({@link TaskAttempt}): keeps exactly one attempt's files per
 * partition and lists what is left for the manifest.
 *
 * <p>Files of the form {@code part-PPPPP-aT...} (and Hadoop's {@code .part-PPPPP-aT....crc} side files) belong to
 * attempt {@code T} of partition {@code P}. Files written per record ({@code images/}) go into an attempt directory
 * {@code images/_attempts/part-PPPPP-aT/}; the winning attempt's files are moved up into {@code images/} (a rename:
 * a metadata operation on HDFS, a server-side copy on an object store) and the rest deleted.
 */
public final class CommitFiles {
  /** The directory, inside a per-record output directory, that holds the attempt directories. */
  public static final String ATTEMPTS = "_attempts";
  private final FileSystem fs;
  private final Path root;

  public CommitFiles(FileSystem fs, Path root) {
    this.fs = fs;
    this.root = root;
  }

  /** The directory an attempt writes per-record files into, under {@code dir} (e.g. the output's images/). */
  public static String attemptDir(String dir, TaskAttempt attempt) {
    return new Path(new Path(dir, ATTEMPTS), attempt.fileStem()).toString();
  }

  /**
   * Deletes every attempt's files except those of {@code winners} and moves the winners' per-record files into
   * place.
   *
   * @param winners one attempt per partition (the write action's collected results)
   */
  public void keepOnly(List<TaskAttempt> winners) throws IOException {
    Map<Integer, Long> won = new HashMap<>();
    for (TaskAttempt w : winners) {
      Long before = won.put(w.partition(), w.attempt());
      if (before != null && before != w.attempt()) {
        throw new IllegalStateException("Cannot commit: partition " + w.partition() + " has two successful attempts ("
            + before + " and " + w.attempt() + ") in the collected results");
      }
    }
    List<Path> attemptDirs = new ArrayList<>();
    for (LocatedFileStatus f : files()) {
      Path p = f.getPath();
      Path parent = p.getParent();
      if (parent.getParent() != null && parent.getParent().getName().equals(ATTEMPTS)) {
        TaskAttempt a = TaskAttempt.ofFileName(parent.getName());
        if (a != null && won.containsKey(a.partition()) && won.get(a.partition()) == a.attempt()) {
          Path dest = new Path(parent.getParent().getParent(), p.getName());
          if (!p.getName().startsWith(".") && !fs.rename(p, dest)) {
            throw new IOException("cannot move " + p + " to " + dest + " (a second record with the same file name?)");
          }
        }
        if (!attemptDirs.contains(parent.getParent())) {
          attemptDirs.add(parent.getParent());
        }
        continue;
      }
      TaskAttempt a = TaskAttempt.ofFileName(baseName(p.getName()));
      if (a != null && (!won.containsKey(a.partition()) || won.get(a.partition()) != a.attempt())) {
        fs.delete(p, false);
      }
    }
    for (Path d : attemptDirs) {
      fs.delete(d, true);
    }
  }

  /** The manifest: every file of the output (hidden files and the markers excluded), sorted, with sizes. */
  public String manifestJson() throws IOException {
    Map<String, Long> sizes = new TreeMap<>();
    String prefix = root.toUri().getPath();
    for (LocatedFileStatus f : files()) {
      String rel = f.getPath().toUri().getPath().substring(prefix.length()).replaceFirst("^/+", "");
      if (!f.getPath().getName().startsWith(".") && !rel.equals("_SUCCESS")
          && !rel.equals(io.convt.job.OutputCommit.MANIFEST)) {
        sizes.put(rel, f.getLen());
      }
    }
    List<Map<String, Object>> list = new ArrayList<>();
    sizes.forEach((path, bytes) -> {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("path", path);
      e.put("bytes", bytes);
      list.add(e);
    });
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("files", list);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<LocatedFileStatus> files() throws IOException {
    List<LocatedFileStatus> out = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
    while (it.hasNext()) {
      out.add(it.next());
    }
    return out;
  }

  /** A checksum side file's data file name ({@code .x.crc} -> {@code x}); other names as they are. */
  private static String baseName(String name) {
    return name.startsWith(".") && name.endsWith(".crc") ? name.substring(1, name.length() - 4) : name;
  }
}

package io.convt.job;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The driver's checks of a command's outputs, before anything is created or Spark starts: an output may not be,
 * contain or lie inside any path the command reads (input, target, weights, bias, checkpoint, config), two outputs
 * may not share a path, an existing output must be a directory or regular file (never a FIFO, device, socket or
 * symbolic link), and it is replaced only with {@link OutputMode#OVERWRITE} and only when it is a convt output.
 * Paths are compared where they really are: local paths absolute, normalised and with symbolic links resolved;
 * other file systems qualified by Hadoop ({@code scheme://authority/path}).
 *
 * <p>It also finishes what an interrupted overwrite left: a hidden {@code .NAME.convt-old-UUID} next to a missing
 * output is renamed back (the crash fell between the two renames of a commit); next to an existing output it is
 * reported, never deleted.
 */
public final class OutputGuard {
  /** A path a command reads or writes and the flag that named it (path may be null: an absent optional flag). */
  public record Named(String flag, String path) {}

  /** Where a path really is: its file system ({@code file} for local) and its absolute path there. */
  record Location(String fileSystem, java.nio.file.Path path) {
    boolean within(Location other) {
      return fileSystem.equals(other.fileSystem) && path.startsWith(other.path);
    }

    boolean local() {
      return fileSystem.equals("file");
    }

    Path hadoopPath() {
      // not path.toUri(): it ends an existing directory with '/', and Hadoop's Path keeps it (getName() is "")
      return local() ? new Path("file", null, path.toString()) : new Path(fileSystem + path);
    }
  }

  private static final String OLD = ".convt-old-";
  private final Configuration hadoop;
  private final PrintWriter notes;
  /** Appended to the already-exists advice: how else the command can use an existing output. */
  private String alsoHint = "";

  /** @param notes where notes about leftovers go (stderr for the commands) */
  public OutputGuard(Configuration hadoop, PrintWriter notes) {
    this.hadoop = hadoop;
    this.notes = notes;
  }

  /** Adds "or --resume to continue training" to the already-exists message (train). */
  public OutputGuard resumable() {
    alsoHint = ", or --resume to continue training from its checkpoint";
    return this;
  }

  /**
   * Checks {@code outputs} (the first is the command's main output directory or file) against {@code inputs}.
   *
   * @param continuing the main output may exist and is continued ({@code train --resume})
   * @throws IllegalArgumentException one line naming the output, the other path and what is wrong
   */
  public void check(List<Named> outputs, List<Named> inputs, OutputMode mode, boolean continuing) {
    List<Location> out = new ArrayList<>();
    for (Named o : outputs) {
      if (o.path() == null) {
        out.add(null);
        continue;
      }
      if (o.path().isBlank()) {
        throw new IllegalArgumentException("Cannot write output '" + o.path() + "': " + o.flag() + " is empty");
      }
      out.add(locate(o.path(), false));
    }
    for (int i = 0; i < outputs.size(); i++) {
      Location o = out.get(i);
      if (o == null) {
        continue;
      }
      for (Named in : inputs) {
        if (in.path() == null || in.path().isBlank()) {
          continue;
        }
        Location l = locate(in.path(), true);
        String what = relation(o, l);
        if (what != null) {
          throw new IllegalArgumentException("Cannot write output " + outputs.get(i).path() + ": it " + what + " "
              + in.flag() + " " + in.path());
        }
      }
      for (int j = 0; j < i; j++) {
        Location p = out.get(j);
        if (p != null && (o.within(p) || p.within(o))) {
          throw new IllegalArgumentException("Cannot write " + outputs.get(j).flag() + " " + outputs.get(j).path()
              + " and " + outputs.get(i).flag() + " " + outputs.get(i).path() + ": "
              + (o.equals(p) ? "they are the same path" : "one lies inside the other") + "; give separate paths");
        }
      }
    }
    for (int i = 0; i < outputs.size(); i++) {
      if (out.get(i) != null) {
        checkExisting(outputs.get(i), out.get(i), mode, i == 0, continuing);
      }
    }
  }

  private static String relation(Location output, Location input) {
    if (output.equals(input)) {
      return "is";
    }
    if (input.within(output)) {
      return "contains";
    }
    return output.within(input) ? "lies inside" : null;
  }

  private void checkExisting(Named flag, Location o, OutputMode mode, boolean main, boolean continuing) {
    String name = flag.path();
    try {
      Path p = o.hadoopPath();
      FileSystem fs = p.getFileSystem(hadoop);
      if (main) {
        recoverLeftovers(fs, p, name);
      }
      FileStatus st = status(fs, p);
      if (o.local()) {
        java.nio.file.Path given = java.nio.file.Path.of(localPath(name)).toAbsolutePath().normalize();
        if (Files.isSymbolicLink(given)) {
          throw new IllegalArgumentException("Cannot write output " + name + ": it is a symbolic link (to "
              + o.path() + "); give the real path");
        }
        if (Files.exists(o.path()) && !Files.isDirectory(o.path()) && !Files.isRegularFile(o.path())) {
          throw new IllegalArgumentException("Cannot write output " + name + ": it exists and is not a regular "
              + "file or directory (a FIFO, device or socket); nothing was written");
        }
      } else if (st != null && st.isSymlink()) {
        throw new IllegalArgumentException("Cannot write output " + name + ": it is a symbolic link; give the real path");
      }
      if (st == null) {
        return;
      }
      if (continuing && main) {
        if (!st.isDirectory()) {
          throw new IllegalArgumentException("Cannot continue output " + name + ": it is not a directory");
        }
        return;
      }
      if (mode == OutputMode.ERROR) {
        throw new IllegalArgumentException("Cannot write output " + name + ": it already exists (use --mode "
            + "overwrite to replace it" + (main ? alsoHint : "") + ")");
      }
      if (main && !isConvtOutput(fs, st)) {
        throw new IllegalArgumentException("Cannot overwrite output " + name + ": it is not a convt output (no "
            + "run-summary.json, _SUCCESS or checkpoints/ in it) and is not empty; delete it or choose another "
            + flag.flag());
      }
      if (!main && !st.isDirectory()) {
        throw new IllegalArgumentException("Cannot write " + flag.flag() + " " + name + ": it exists and is not a directory");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot check output " + name + ": " + e.getMessage(), e);
    }
  }

  private static FileStatus status(FileSystem fs, Path p) throws IOException {
    try {
      return fs.getFileStatus(p);
    } catch (java.io.FileNotFoundException e) {
      return null;
    }
  }

  /** A directory holding a convt run's marks, or an empty one. */
  private static boolean isConvtOutput(FileSystem fs, FileStatus st) throws IOException {
    if (!st.isDirectory()) {
      return false;
    }
    FileStatus[] children = fs.listStatus(st.getPath());
    if (children.length == 0) {
      return true;
    }
    for (FileStatus c : children) {
      String n = c.getPath().getName();
      if (n.equals("run-summary.json") || n.equals("_SUCCESS") || n.equals("checkpoints") || n.equals("loss.csv")) {
        return true;
      }
    }
    return false;
  }

  /** Restores the output an interrupted overwrite left only in {@code .NAME.convt-old-*}, or reports leftovers. */
  private void recoverLeftovers(FileSystem fs, Path target, String name) throws IOException {
    Path parent = target.getParent();
    if (parent == null || !fs.exists(parent)) {
      return;
    }
    String prefix = "." + target.getName() + OLD;
    FileStatus[] olds = fs.listStatus(parent, p -> p.getName().startsWith(prefix));
    if (olds.length == 0) {
      return;
    }
    boolean exists = fs.exists(target);
    if (!exists && olds.length == 1) {
      if (!fs.rename(olds[0].getPath(), target)) {
        throw new IllegalArgumentException("Cannot write output " + name + ": " + olds[0].getPath() + " holds its "
            + "previous content (an overwrite was interrupted) and could not be renamed back; rename it by hand");
      }
      notes.println("convt-job: restored " + name + " from " + olds[0].getPath().getName()
          + " (a --mode overwrite was interrupted between its two renames)");
      return;
    }
    for (FileStatus old : olds) {
      notes.println("convt-job: note: " + old.getPath() + " holds what " + name + " held before an interrupted "
          + "--mode overwrite; " + (exists ? name + " holds the newer run's output" : "several such copies exist")
          + "; it was left untouched: delete it when no longer needed");
    }
  }

  /** {@code path} as it really is: the file system it lives on and its absolute path there. */
  Location locate(String path, boolean mayBeGlob) {
    String p = mayBeGlob ? globFreePrefix(path) : path;
    try {
      if (isLocal(p)) {
        return new Location("file", realLocal(java.nio.file.Path.of(localPath(p))));
      }
      Path hp = new Path(p);
      FileSystem fs = hp.getFileSystem(hadoop);
      Path q = fs.makeQualified(hp);
      if (fs.exists(q)) {
        q = fs.resolvePath(q);
      }
      java.net.URI u = q.toUri();
      String key = u.getScheme().toLowerCase(Locale.ROOT) + "://" + (u.getAuthority() == null ? "" : u.getAuthority());
      return new Location(key, java.nio.file.Path.of(u.getPath()).normalize());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("Cannot resolve path " + path + ": " + e.getMessage(), e);
    }
  }

  /** A scheme-less path on a local default file system, or a {@code file:} URI. */
  private boolean isLocal(String p) {
    String scheme = scheme(p);
    if (scheme != null) {
      return scheme.equalsIgnoreCase("file");
    }
    String fs = FileSystem.getDefaultUri(hadoop).getScheme();
    return fs == null || fs.equals("file");
  }

  /** The URI scheme of {@code p} ({@code hdfs} of {@code hdfs://...}), or null for a plain path like {@code a:b.png}. */
  static String scheme(String p) {
    int colon = p.indexOf(':');
    if (colon < 2 || !p.startsWith(":/", colon)) {
      return null;
    }
    String s = p.substring(0, colon);
    return s.matches("[A-Za-z][A-Za-z0-9+.-]*") ? s : null;
  }

  private static String localPath(String p) {
    return scheme(p) != null ? java.net.URI.create(p).getPath() : p;
  }

  /** Absolute, normalised, symbolic links resolved in the part that exists. */
  static java.nio.file.Path realLocal(java.nio.file.Path p) throws IOException {
    java.nio.file.Path abs = p.toAbsolutePath().normalize();
    Deque<String> rest = new ArrayDeque<>();
    java.nio.file.Path existing = abs;
    while (existing != null && !Files.exists(existing)) {
      if (Files.isSymbolicLink(existing)) { // a dangling link: resolve no further
        break;
      }
      rest.push(existing.getFileName().toString());
      existing = existing.getParent();
    }
    java.nio.file.Path real = existing == null ? abs.getRoot()
        : Files.exists(existing) ? existing.toRealPath() : existing.toRealPath(LinkOption.NOFOLLOW_LINKS);
    while (!rest.isEmpty()) {
      real = real.resolve(rest.pop());
    }
    return real;
  }

  /** The part of a glob before its first component with a wildcard ({@code /data/imgs} of {@code /data/imgs/*.png}). */
  static String globFreePrefix(String p) {
    int wild = -1;
    for (int i = 0; i < p.length(); i++) {
      if ("*?[{".indexOf(p.charAt(i)) >= 0) {
        wild = i;
        break;
      }
    }
    if (wild < 0) {
      return p;
    }
    int slash = p.lastIndexOf('/', wild);
    return slash <= 0 ? (slash == 0 ? "/" : ".") : p.substring(0, slash);
  }
}

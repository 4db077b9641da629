package io.convt.engine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;

/**
 * Checks, before anything is read or written, that a command's outputs cannot destroy its inputs or each other:
 * no output is, contains or lies inside an input (paths resolved, symlinks followed, so {@code ./x.npy}, a link to
 * it and {@code dir/../x.npy} are one file); no two outputs are one path; an existing output is of the kind the
 * command writes (never replace a device, FIFO or socket with a regular file); no path is empty. Local file
 * systems only ({@code java.nio}); each failure is an {@link IllegalArgumentException} of one line naming the flag.
 */
public final class OutputPaths {
  /** What a command writes at an output path: a file, or a directory of files (a dataset). */
  public enum Kind {
    FILE,
    DIRECTORY
  }

  /**
   * A path as the user gave it, with the flag (or config key) that named it, for messages.
   *
   * @param flag e.g. {@code --output}
   * @param path the path, or null when the flag was not given (then it is skipped)
   */
  public record Named(String flag, Path path) {
    public Named {
      Objects.requireNonNull(flag, "flag");
    }
  }

  private OutputPaths() {}

  /**
   * Refuses outputs that would overwrite an input or another output, or replace something that is not of
   * {@code kind}; entries whose path is null are ignored.
   *
   * @throws IllegalArgumentException one line naming the flag(s) and the path(s)
   */
  public static void check(List<Named> inputs, List<Named> outputs, Kind kind) {
    for (Named in : inputs) {
      if (in.path() != null && in.path().toString().isEmpty()) { // "" would mean the working directory
        throw new IllegalArgumentException("Invalid value for " + in.flag() + ": the path is empty");
      }
    }
    for (int i = 0; i < outputs.size(); i++) {
      Named out = outputs.get(i);
      if (out.path() == null) {
        continue;
      }
      if (out.path().toString().isEmpty()) {
        throw new IllegalArgumentException("Invalid value for " + out.flag() + ": the path is empty");
      }
      requireReplaceable(out, kind);
      Path real = resolve(out.path());
      for (Named in : inputs) {
        if (in.path() == null) {
          continue;
        }
        Path inReal = resolve(in.path());
        if (sameFile(real, inReal) || inReal.startsWith(real) || real.startsWith(inReal)) {
          throw new IllegalArgumentException("Invalid value for " + out.flag() + ": '" + out.path() + "' "
              + relation(real, inReal) + " the " + in.flag() + " " + describe(in.path(), inReal)
              + " (it would be overwritten); choose another output path");
        }
      }
      for (int j = 0; j < i; j++) {
        Named other = outputs.get(j);
        if (other.path() == null) {
          continue;
        }
        Path otherReal = resolve(other.path());
        if (sameFile(real, otherReal) || otherReal.startsWith(real) || real.startsWith(otherReal)) {
          throw new IllegalArgumentException("Invalid value for " + out.flag() + ": '" + out.path() + "' "
              + relation(real, otherReal) + " the " + other.flag() + " output " + describe(other.path(), otherReal)
              + " (one would replace the other); give each output its own path");
        }
      }
    }
  }

  /**
   * The absolute path with every symlink of its existing part followed and {@code .}/{@code ..} removed; the
   * part that does not exist yet is appended as written (normalised), so that an output about to be created
   * compares equal to an input reached by another spelling.
   */
  public static Path resolve(Path path) {
    Path abs = path.toAbsolutePath().normalize();
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return abs;
    }
    try {
      return existing.toRealPath().resolve(existing.relativize(abs)).normalize();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot resolve " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * The kind of a non-regular, non-directory file from its mode bits (Linux/macOS), e.g. {@code FIFO}; "special
   * file" where the platform does not say.
   */
  public static String specialKind(Path path) {
    try {
      Object mode = Files.getAttribute(path, "unix:mode");
      if (mode instanceof Integer m) {
        switch (m & 0170000) {
          case 0010000:
            return "a FIFO";
          case 0020000:
            return "a character device";
          case 0060000:
            return "a block device";
          case 0140000:
            return "a socket";
          default:
            break;
        }
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      // no unix view on this platform: the generic name below
    }
    return "a special file (device, FIFO or socket)";
  }

  private static void requireReplaceable(Named out, Kind kind) {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(out.path(), BasicFileAttributes.class); // follows links: what a link points at
    } catch (NoSuchFileException e) {
      requireParentDirectory(out);
      return;
    } catch (IOException e) {
      requireParentDirectory(out); // e.g. ENOTDIR: a path under a regular file
      if (Files.isSymbolicLink(out.path())) {
        requireParentDirectory(out);
        return; // a dangling link: the atomic rename replaces the link itself
      }
      throw new IllegalArgumentException("Invalid value for " + out.flag() + ": cannot inspect '" + out.path() + "': "
          + e.getMessage());
    }
    if (a.isOther()) {
      throw new IllegalArgumentException("Invalid value for " + out.flag() + ": '" + out.path() + "' exists and is "
          + specialKind(out.path()) + ", not a " + (kind == Kind.FILE ? "regular file" : "directory")
          + "; refusing to replace it");
    }
    if (kind == Kind.FILE && a.isDirectory()) {
      throw new IllegalArgumentException("Invalid value for " + out.flag() + ": '" + out.path()
          + "' is a directory; give a file name");
    }
    if (kind == Kind.DIRECTORY && a.isRegularFile()) {
      throw new IllegalArgumentException("Invalid value for " + out.flag() + ": '" + out.path()
          + "' is a file; give a directory");
    }
  }

  /** The nearest existing ancestor must be a directory (else the output could never be created there). */
  private static void requireParentDirectory(Named out) {
    Path p = out.path().toAbsolutePath().normalize().getParent();
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    if (p != null && !Files.isDirectory(p)) {
      throw new IllegalArgumentException("Invalid value for " + out.flag() + ": '" + out.path() + "' lies under '"
          + p + "', which is not a directory");
    }
  }

  private static boolean sameFile(Path a, Path b) {
    if (a.equals(b)) {
      return true;
    }
    try {
      return Files.exists(a, LinkOption.NOFOLLOW_LINKS) && Files.exists(b) && Files.isSameFile(a, b); // hard links
    } catch (IOException e) {
      return false;
    }
  }

  private static String relation(Path out, Path other) {
    if (sameFile(out, other)) {
      return "is";
    }
    return other.startsWith(out) ? "contains" : "lies inside";
  }

  private static String describe(Path given, Path real) {
    return given.toAbsolutePath().normalize().equals(real) ? "'" + given + "'" : "'" + given + "' (" + real + ")";
  }
}

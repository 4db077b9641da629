package io.convt.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.convt.engine.io.OutputPaths.Kind;
import io.convt.engine.io.OutputPaths.Named;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output-path checks a job driver runs on local directories: equal, containing, inside, kind. */
class OutputPathsTest {
  @TempDir Path tmp;

  String refused(List<Named> in, List<Named> out, Kind kind) {
    return assertThrows(IllegalArgumentException.class, () -> OutputPaths.check(in, out, kind)).getMessage();
  }

  @Test
  void anOutputDirectoryMayNotBeContainOrLieInsideAnInput() throws IOException {
    Path images = Files.createDirectories(tmp.resolve("data/images"));
    Files.write(images.resolve("a.png"), new byte[] {1});
    List<Named> in = List.of(new Named("--input", images));
    assertEquals("Invalid value for --output: '" + images + "' is the --input '" + images
        + "' (it would be overwritten); choose another output path",
        refused(in, List.of(new Named("--output", images)), Kind.DIRECTORY));
    assertEquals("Invalid value for --output: '" + tmp.resolve("data") + "' contains the --input '" + images
        + "' (it would be overwritten); choose another output path",
        refused(in, List.of(new Named("--output", tmp.resolve("data"))), Kind.DIRECTORY));
    assertEquals("Invalid value for --output: '" + images.resolve("out") + "' lies inside the --input '" + images
        + "' (it would be overwritten); choose another output path",
        refused(in, List.of(new Named("--output", images.resolve("out"))), Kind.DIRECTORY));
    assertEquals("Invalid value for --output: '" + images.resolve("a.png") + "' is a file; give a directory",
        refused(List.of(), List.of(new Named("--output", images.resolve("a.png"))), Kind.DIRECTORY));
    // a sibling is fine, as are flags that were not given
    OutputPaths.check(List.of(new Named("--input", images), new Named("--bias", null)),
        List.of(new Named("--output", tmp.resolve("data/out")), new Named("--log", null)), Kind.DIRECTORY);
  }

  @Test
  void aLinkToAnInputDirectoryIsTheInput() throws IOException {
    Path images = Files.createDirectories(tmp.resolve("images"));
    Path link = Files.createSymbolicLink(tmp.resolve("alias"), images);
    assertEquals("Invalid value for --output: '" + link.resolve("out") + "' lies inside the --input '" + images + "'"
        + " (it would be overwritten); choose another output path",
        refused(List.of(new Named("--input", images)), List.of(new Named("--output", link.resolve("out"))),
            Kind.DIRECTORY));
  }

  @Test
  void resolveFollowsLinksOfTheExistingPartAndKeepsTheRest() throws IOException {
    Path real = Files.createDirectories(tmp.resolve("real"));
    Path link = Files.createSymbolicLink(tmp.resolve("ln"), real);
    assertEquals(real.toRealPath().resolve("new/y.npy"), OutputPaths.resolve(link.resolve("new/../new/y.npy")));
  }
}

package io.convt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {

  /** Polls {@code bytes} until it contains {@code text} (the reporter is a background thread). */
  private static String awaitText(ByteArrayOutputStream bytes, String text) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      String s = bytes.toString(StandardCharsets.UTF_8);
      if (s.contains(text)) {
        return s;
      }
      Thread.sleep(20);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void plainLinesFollowTheCountAndTheLastLineIsTheTotal() throws Exception {
    AtomicLong done = new AtomicLong(3);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    try (ConsoleProgress p = ConsoleProgress.start("convt forward", done::get, 10, 50, ConsoleProgress.Style.LINES,
        out, null)) {
      String seen = awaitText(bytes, "convt forward: 3/10 records (30%)");
      assertTrue(seen.contains("convt forward: 3/10 records (30%)"), seen);
      done.set(10);
    }
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertTrue(lines[lines.length - 1].startsWith("convt forward: 10/10 records (100%)"), lines[lines.length - 1]);
    for (int i = 1; i < lines.length; i++) {
      assertTrue(!lines[i].equals(lines[i - 1]), "a plain line only when the count moved: " + lines[i]);
    }
  }

  @Test
  void offPrintsNothingAndClosesTheSource() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicLong closed = new AtomicLong();
    try (ConsoleProgress p = ConsoleProgress.start("convt forward", () -> 5, 10, 10, ConsoleProgress.Style.OFF,
        new PrintStream(bytes, true, StandardCharsets.UTF_8), closed::incrementAndGet)) {
      Thread.sleep(100);
    }
    assertEquals("", bytes.toString(StandardCharsets.UTF_8));
    assertEquals(1, closed.get());
  }

  @Test
  void barRedrawsOneLineInPlace() throws Exception {
    AtomicLong done = new AtomicLong(1);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ConsoleProgress p = ConsoleProgress.start("convt forward", done::get, 4, 50, ConsoleProgress.Style.BAR,
        new PrintStream(bytes, true, StandardCharsets.UTF_8), null)) {
      awaitText(bytes, "1/4 records");
      done.set(4);
    }
    String s = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(s.startsWith("convt forward [======>"), s);
    assertTrue(s.contains("\u001b[1A\r\u001b[2K"), "redraws erase the previous line");
    assertTrue(s.endsWith("4/4 records (100%), " + s.substring(s.lastIndexOf("(100%), ") + 8)), s);
  }
}

package io.convt.job.storage;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * S3Proxy (an S3 API server over jclouds' filesystem blob store) in a child JVM on 127.0.0.1, from the
 * {@code jar-with-dependencies} Maven copied to {@code target/s3proxy}. A child JVM because its bundled Jetty,
 * Jackson and Guava are not Spark's.
 */
final class S3ProxyServer implements AutoCloseable {
  static final String ACCESS_KEY = "convt-access";
  static final String SECRET_KEY = "convt-secret-key";
  private final Process process;
  private final int port;

  private S3ProxyServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static S3ProxyServer start(Path dir) throws IOException, InterruptedException {
    Path jar = Path.of("target/s3proxy/s3proxy.jar").toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " missing (copied by the build's process-test-classes phase)");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    Path blobs = Files.createDirectories(dir.resolve("blobs"));
    Path props = dir.resolve("s3proxy.conf");
    Files.write(props, List.of(
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET_KEY,
        "s3proxy.ignore-unknown-headers=true",
        "jclouds.provider=filesystem",
        "jclouds.filesystem.basedir=" + blobs));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-Xmx256m", "-cp", jar.toString(), "org.gaul.s3proxy.Main",
        "--properties", props.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return new S3ProxyServer(p, port);
      } catch (IOException e) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new IllegalStateException("S3Proxy did not start on 127.0.0.1:" + port + ": "
              + Files.readString(dir.resolve("s3proxy.log")));
        }
        Thread.sleep(200);
      }
    }
  }

  String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** The {@code spark.hadoop.fs.s3a.*} settings a user gives for this server. */
  List<String> s3aSettings() {
    return List.of(
        "spark.hadoop.fs.s3a.endpoint=" + endpoint(),
        "spark.hadoop.fs.s3a.path.style.access=true",
        "spark.hadoop.fs.s3a.access.key=" + ACCESS_KEY,
        "spark.hadoop.fs.s3a.secret.key=" + SECRET_KEY,
        "spark.hadoop.fs.s3a.connection.ssl.enabled=false");
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}

package io.convt.job.gradients;

import io.convt.engine.io.ImageCodec;
import io.convt.engine.io.Npy;
import io.convt.engine.io.PixelScaling;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Test datasets made at test time: small RGB image directories for a 2x super-resolution layer (ConvTranspose2d
 * 3→3, kernel 2, stride 2), and the same pixels as {@code .npy} stacks in id order.
 */
public final class ImageDatasets {
  private ImageDatasets() {}

  /** Low-resolution size; the layer's output is twice it. */
  public static final int H = 4;
  public static final int W = 5;

  /** A 3→3, kernel 2, stride 2 layer with seeded weights and bias under {@code dir}. */
  public static LayerSpec upsampler(Path dir) {
    Random r = new Random(7);
    float[] w = new float[3 * 3 * 2 * 2];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian() * 0.3f;
    }
    Npy.writeFloat32(dir.resolve("w.npy"), new int[] {3, 3, 2, 2}, w);
    Npy.writeFloat32(dir.resolve("b.npy"), new int[] {3}, new float[] {0.1f, -0.05f, 0.02f});
    return LayerSpec.of(dir.resolve("w.npy"), dir.resolve("b.npy"), WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {0, 0}, new int[] {0, 0}, new int[] {1, 1}, 1));
  }

  /** Writes one RGB image of seeded noise. */
  public static void image(Path file, int h, int w, long seed) throws IOException {
    Files.createDirectories(file.getParent());
    Random r = new Random(seed);
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, r.nextInt(1 << 24));
      }
    }
    String name = file.getFileName().toString();
    String format = name.substring(name.lastIndexOf('.') + 1).replace("jpg", "jpeg");
    if (!ImageIO.write(img, format, file.toFile())) {
      throw new IOException("no ImageIO writer for " + format);
    }
  }

  /**
   * An LR/HR pair of directories: {@code lr/<id>.png} (H×W) and {@code hr/<id>.jpg} (2H×2W), written in the
   * order given (not sorted), so the dataset's order must come from the ids.
   */
  public static void pairs(Path lr, Path hr, List<String> ids) throws IOException {
    for (String id : ids) {
      long seed = id.hashCode();
      image(lr.resolve(id + ".png"), H, W, seed);
      image(hr.resolve(id + ".jpg"), 2 * H, 2 * W, seed + 1);
    }
  }

  /** The files' decoded pixels (the decoder {@code infer} uses) stacked in the given order as an .npy. */
  public static void stack(List<Path> files, Path npy) throws IOException {
    int[] shape = null;
    float[] all = null;
    for (int i = 0; i < files.size(); i++) {
      ImageCodec.Image img = ImageCodec.decode(Files.readAllBytes(files.get(i)), files.get(i).toString(),
          PixelScaling.UNIT, false);
      float[] chw = img.chw();
      if (shape == null) {
        shape = new int[] {files.size(), img.channels(), img.height(), img.width()};
        all = new float[files.size() * chw.length];
      }
      System.arraycopy(chw, 0, all, i * chw.length, chw.length);
    }
    Npy.writeFloat32(npy, shape, all);
  }
}

package io.convt.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.convt.engine.arrow.ImageBatch;
import io.convt.engine.io.AtomicFiles;
import io.convt.engine.io.NchwArrays;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import io.convt.engine.layer.Layer;
import io.convt.engine.layer.LayerSpec;
import io.convt.engine.layout.TorchConvTranspose2d;
import io.convt.engine.layout.WeightLayout;
import io.convt.engine.train.Loss;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.arrow.memory.RootAllocator;

/**
 * The evaluation half of {@code scripts/demo-superres}: runs the 2× layer ({@code ConvTranspose2d(k=4, s=2, p=1)},
 * PyTorch layout) with the bilinear baseline, the starting weights and the trained weights over the low-resolution
 * images, reports MSE and PSNR against the originals ({@code PSNR = 10·log10(1/MSE)}, images in [0, 1]), and renders
 * {@code superres.png}: one row per image, columns low-res (pixel-doubled), bilinear, before, after, original.
 *
 * <p>Usage: {@code SuperResolutionDemo LOW.npy HIGH.npy BILINEAR.npy INIT.npy INIT_BIAS.npy TRAINED.npy
 * TRAINED_BIAS.npy OUT_DIR}.
 */
public final class SuperResolutionDemo {
  private static final int SCALE = 3;

  private SuperResolutionDemo() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 8) {
      System.err.println("usage: SuperResolutionDemo LOW HIGH BILINEAR INIT INIT_BIAS TRAINED TRAINED_BIAS OUT_DIR");
      System.exit(2);
    }
    try {
      Map<String, Object> s = evaluate(Paths.get(args[0]), Paths.get(args[1]), Paths.get(args[2]), Paths.get(args[3]),
          Paths.get(args[4]), Paths.get(args[5]), Paths.get(args[6]), Paths.get(args[7]));
      System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(s));
    } catch (IllegalArgumentException e) {
      System.err.println("demo-superres: " + e.getMessage());
      System.exit(2);
    }
  }

  /** Computes the numbers, writes {@code demo-summary.json} and {@code superres.png}, returns the summary. */
  public static Map<String, Object> evaluate(Path low, Path high, Path bilinear, Path init, Path initBias,
      Path trained, Path trainedBias, Path out) throws IOException {
    NpyArray lo = Npy.readFloat(low).requireRank(low.toString(), 4);
    NpyArray hi = Npy.readFloat(high).requireRank(high.toString(), 4);
    float[] bil = upscale(bilinear, null, lo);
    float[] before = upscale(init, initBias, lo);
    float[] after = upscale(trained, trainedBias, lo);
    Loss mse = Loss.parse("mse", "mean");
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("images", hi.shape()[0]);
    String[] names = {"bilinear", "before", "after"};
    float[][] outs = {bil, before, after};
    for (int i = 0; i < names.length; i++) {
      double m = mse.reduce(mse.sumValue(outs[i], hi.floats(), names[i]), hi.size());
      s.put(names[i] + "_mse", m);
      s.put(names[i] + "_psnr_db", 10 * Math.log10(1 / m));
    }
    AtomicFiles.write(out.resolve("demo-summary.json"),
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(s));
    render(lo, new float[][] {bil, before, after, hi.floats()}, hi.shape(), out.resolve("superres.png"));
    return s;
  }

  private static float[] upscale(Path weights, Path bias, NpyArray lo) {
    LayerSpec spec = LayerSpec.of(weights, bias, WeightLayout.PYTORCH,
        TorchConvTranspose2d.pytorch(new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1));
    Layer layer = Layer.open(spec);
    try (RootAllocator alloc = new RootAllocator();
        ImageBatch src = NchwArrays.toBatch(alloc, lo);
        ImageBatch y = layer.apply(alloc, src)) {
      return NchwArrays.fromBatch(y);
    }
  }

  private static void render(NpyArray lo, float[][] columns, int[] hs, Path png) throws IOException {
    int n = hs[0];
    int c = hs[1];
    int h = hs[2];
    int w = hs[3];
    int cell = w * SCALE + 6;
    int cols = columns.length + 1;
    BufferedImage img = new BufferedImage(cols * cell, n * (h * SCALE + 6) + 20, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    String[] titles = {"low-res", "bilinear", "before", "after", "original"};
    for (int col = 0; col < cols; col++) {
      g.drawString(titles[col], col * cell + 3, 14);
    }
    g.dispose();
    int[] ls = lo.shape();
    for (int i = 0; i < n; i++) {
      int y0 = 20 + i * (h * SCALE + 6);
      for (int col = 0; col < cols; col++) {
        for (int yy = 0; yy < h * SCALE; yy++) {
          for (int xx = 0; xx < w * SCALE; xx++) {
            int rgb = 0;
            for (int ch = 0; ch < 3; ch++) {
              int cc = Math.min(ch, c - 1);
              float v;
              if (col == 0) { // nearest-neighbour view of the low-resolution input
                int ly = yy / SCALE * ls[2] / h;
                int lx = xx / SCALE * ls[3] / w;
                v = lo.floats()[((i * ls[1] + cc) * ls[2] + ly) * ls[3] + lx];
              } else {
                v = columns[col - 1][((i * c + cc) * h + yy / SCALE) * w + xx / SCALE];
              }
              rgb = (rgb << 8) | Math.max(0, Math.min(255, Math.round(v * 255f)));
            }
            img.setRGB(col * cell + 3 + xx, y0 + yy, rgb);
          }
        }
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(img, "png", bytes);
    AtomicFiles.write(png, bytes.toByteArray());
  }
}

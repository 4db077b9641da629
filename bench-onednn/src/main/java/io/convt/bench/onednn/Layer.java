package io.convt.bench.onednn;

import com.fasterxml.jackson.databind.JsonNode;
import io.convt.engine.internal.ConvProblem;

/**
 * One layer of the suite ({@code tools/bench/shapes.json}) in PyTorch's terms, as oneDNN's deconvolution takes it,
 * and the same layer as the engine's MPS problem (the mapping of {@code bench/EngineBench}).
 */
record Layer(String name, int cin, int cout, int h, int w, int kh, int kw, int sy, int sx, int py, int px, int opy,
    int opx, int dy, int dx, int groups) {

  static Layer of(JsonNode s) {
    return new Layer(s.get("name").asText(), s.get("Cin").asInt(), s.get("Cout").asInt(), s.get("H").asInt(),
        s.get("W").asInt(), s.get("kH").asInt(), s.get("kW").asInt(), s.get("stride").get(0).asInt(),
        s.get("stride").get(1).asInt(), s.get("padding").get(0).asInt(), s.get("padding").get(1).asInt(),
        s.get("output_padding").get(0).asInt(), s.get("output_padding").get(1).asInt(),
        s.get("dilation").get(0).asInt(), s.get("dilation").get(1).asInt(), s.get("groups").asInt());
  }

  int ho() {
    return (h - 1) * sy - 2 * py + dy * (kh - 1) + opy + 1;
  }

  int wo() {
    return (w - 1) * sx - 2 * px + dx * (kw - 1) + opx + 1;
  }

  int cig() {
    return cin / groups;
  }

  int cog() {
    return cout / groups;
  }

  /** The suite's FLOPs of one pass, {@code 2·N·Cin·(Cout/groups)·kH·kW·H·W} (the same for all three passes). */
  double flops(int n) {
    return 2.0 * n * cin * cog() * kh * kw * h * w;
  }

  /**
   * The engine's problem for this layer: MPS correlates the zero-inserted source with an unrotated kernel, so its
   * tap {@code ky} is PyTorch's {@code kH-1-ky} and the offset {@code T - c = p - dil·(k-1)} lines the outputs up.
   */
  ConvProblem problem(int n) {
    int cy = (dy * (kh - 1) + 1) >> 1;
    int cx = (dx * (kw - 1) + 1) >> 1;
    int ty = py - dy * (kh - 1) + cy;
    int tx = px - dx * (kw - 1) + cx;
    return new ConvProblem(n, h, w, cin, 0, cin, ho(), wo(), cout, 0, cin, cout, groups, kh, kw, sy, sx, dy, dx,
        ty, tx, 0, 0, ho(), wo(), 0, 0, false);
  }

  // ---- layouts: the engine's NHWC / OHWI and oneDNN's plain nchw / (g)oihw -----------------------------------

  static float[] nhwcToNchw(float[] a, int n, int c, int h, int w) {
    float[] out = new float[a.length];
    for (int i = 0; i < n; i++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          for (int k = 0; k < c; k++) {
            out[((i * c + k) * h + y) * w + x] = a[((i * h + y) * w + x) * c + k];
          }
        }
      }
    }
    return out;
  }

  static float[] nchwToNhwc(float[] a, int n, int c, int h, int w) {
    float[] out = new float[a.length];
    for (int i = 0; i < n; i++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          for (int k = 0; k < c; k++) {
            out[((i * h + y) * w + x) * c + k] = a[((i * c + k) * h + y) * w + x];
          }
        }
      }
    }
    return out;
  }

  /**
   * Engine weights {@code [cout][kH][kW][cig]} to oneDNN's deconvolution weights, dims {@code {G, Cout/G, Cin/G,
   * kH, kW}} in {@code goihw} (= {@code oihw} with global output channels): the kernel rotated by 180°, because
   * oneDNN's deconvolution scatters with PyTorch's taps.
   */
  float[] engineToOneDnnWeights(float[] ohwi) {
    float[] out = new float[ohwi.length];
    for (int o = 0; o < cout; o++) {
      for (int i = 0; i < cig(); i++) {
        for (int y = 0; y < kh; y++) {
          for (int x = 0; x < kw; x++) {
            out[((o * cig() + i) * kh + y) * kw + x] = ohwi[((o * kh + (kh - 1 - y)) * kw + (kw - 1 - x)) * cig() + i];
          }
        }
      }
    }
    return out;
  }

  /** The inverse of {@link #engineToOneDnnWeights}. */
  float[] oneDnnToEngineWeights(float[] goihw) {
    float[] out = new float[goihw.length];
    for (int o = 0; o < cout; o++) {
      for (int i = 0; i < cig(); i++) {
        for (int y = 0; y < kh; y++) {
          for (int x = 0; x < kw; x++) {
            out[((o * kh + (kh - 1 - y)) * kw + (kw - 1 - x)) * cig() + i] = goihw[((o * cig() + i) * kh + y) * kw + x];
          }
        }
      }
    }
    return out;
  }
}

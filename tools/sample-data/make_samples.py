#!/usr/bin/env python3
"""Makes convt's sample data procedurally (no downloads exist here): small RGB PNGs, their NCHW stack, and the
weights of a 2x bilinear-upsampling transposed convolution. Run from the repository root:
    /usr/bin/python3 tools/sample-data/make_samples.py
Everything it writes is CC0 (made by the convt authors)."""
import os

import numpy as np
from PIL import Image

OUT = "sample-data"
H = W = 48
rng = np.random.default_rng(42)
yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)


def save(name, rgb):
    Image.fromarray(np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8), "RGB").save(os.path.join(OUT, "images", name))
    return rgb


def main():
    os.makedirs(os.path.join(OUT, "images"), exist_ok=True)
    imgs = []
    imgs.append(save("gradient.png", np.stack([xx / (W - 1), yy / (H - 1), 1 - xx / (W - 1)], -1)))
    check = ((xx // 8 + yy // 8) % 2).astype(np.float32)
    imgs.append(save("checker.png", np.stack([check, 0.5 * check + 0.25, 1 - check], -1)))
    r = np.hypot(xx - 23.5, yy - 23.5)
    rings = 0.5 + 0.5 * np.cos(r / 2.5)
    imgs.append(save("rings.png", np.stack([rings, rings ** 2, 1 - rings], -1)))
    noise = rng.random((H, W, 3)).astype(np.float32)
    imgs.append(save("noise.png", noise))
    stripes = 0.5 + 0.5 * np.sin((xx + 2 * yy) / 3.0)
    imgs.append(save("stripes.png", np.stack([stripes, 1 - stripes, 0.5 * np.ones_like(stripes)], -1)))
    disc = (r < 14).astype(np.float32)
    imgs.append(save("disc.png", np.stack([disc, 0.2 + 0.6 * disc * (xx / W), 0.8 - 0.6 * disc], -1)))
    # Re-read the 8-bit files so x.npy is exactly what an image reader with unit scaling gets.
    names = ["gradient", "checker", "rings", "noise", "stripes", "disc"]
    stack = np.stack([np.asarray(Image.open(os.path.join(OUT, "images", n + ".png")), np.float32) / 255 for n in names])
    np.save(os.path.join(OUT, "x.npy"), np.ascontiguousarray(stack.transpose(0, 3, 1, 2)))
    # 2x bilinear upsampling as ConvTranspose2d(3, 3, k=4, s=2, p=1), per channel (PyTorch layout [Cin,Cout,kH,kW]).
    f = np.array([0.25, 0.75, 0.75, 0.25], np.float32)
    w = np.zeros((3, 3, 4, 4), np.float32)
    for c in range(3):
        w[c, c] = np.outer(f, f)
    np.save(os.path.join(OUT, "upsample2x_pytorch.npy"), w)
    np.save(os.path.join(OUT, "upsample2x_bias.npy"), np.zeros(3, np.float32))
    # A 3x3 sharpening layer (stride 1, padding 1) to chain after it.
    k = np.array([[0, -0.25, 0], [-0.25, 2, -0.25], [0, -0.25, 0]], np.float32)
    s = np.zeros((3, 3, 3, 3), np.float32)
    for c in range(3):
        s[c, c] = k
    np.save(os.path.join(OUT, "sharpen_pytorch.npy"), s)
    print("wrote", OUT)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Inputs of the 2x super-resolution training demo (scripts/demo-superres, docs/training.md).

From sample-data/x.npy ([6,3,32,32] in [0,1]) writes to job/src/test/resources/superres/:
  low.npy       [6,3,16,16]  2x2 average-pooled images (the network's input); the target is sample-data/x.npy
  bilinear.npy  [3,3,4,4]    PyTorch-layout ConvTranspose2d(k=4, s=2, p=1) weights of bilinear 2x upsampling
                             (per channel, no mixing): the baseline
  init.npy      [3,3,4,4]    the layer's starting weights: seeded N(0, 0.05) noise
  init_bias.npy [3]          zeros
Run from the repository root: /usr/bin/python3 tools/golden/gen_superres_demo.py (deterministic).
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join("job", "src", "test", "resources", "superres")


def main():
    os.makedirs(OUT, exist_ok=True)
    x = np.load(os.path.join("sample-data", "x.npy")).astype(np.float32)
    n, c, h, w = x.shape
    low = x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5)).astype(np.float32)
    k1 = np.array([0.25, 0.75, 0.75, 0.25], dtype=np.float32)
    bil = np.zeros((c, c, 4, 4), dtype=np.float32)
    for i in range(c):
        bil[i, i] = np.outer(k1, k1)
    init = (0.05 * np.random.default_rng(2).standard_normal((c, c, 4, 4))).astype(np.float32)
    ref = F.conv_transpose2d(torch.tensor(low, dtype=torch.float64), torch.tensor(bil, dtype=torch.float64),
                             stride=2, padding=1).numpy().astype(np.float32)
    for name, a in [("low", low), ("bilinear", bil), ("init", init), ("init_bias", np.zeros(c, np.float32))]:
        np.save(os.path.join(OUT, name + ".npy"), a)
    mse = float(((ref.astype(np.float64) - x) ** 2).mean())
    print("bilinear baseline PSNR %.3f dB" % (10 * np.log10(1.0 / mse)))


if __name__ == "__main__":
    main()

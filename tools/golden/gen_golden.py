#!/usr/bin/env python3
"""Writes the PyTorch golden fixtures for convt's engine tests.

Run with Debian's torch (apt-get install -y python3-torch):
    /usr/bin/python3 tools/golden/gen_golden.py engine/src/test/resources/golden

For each case it writes <case>/{x,w,y,gy,gx,gw}.npy (+ b.npy, gb.npy with bias) and meta.json.
Inputs are float32; references are computed in float64 from those float32 values (so the fixture's
error is the engine's alone) and stored as float32:
  y  = conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)   NCHW
  gx, gw, gb = autograd of y.backward(gy), i.e. summed over the batch
Weights are PyTorch's [Cin, Cout/groups, kH, kW]. The tests never run Python.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

# name: (N, Cin, Cout, H, W, (kH,kW), (sH,sW), (pH,pW), (opH,opW), (dH,dW), groups, bias)
CASES = {
    "s1_k3_basic":        (1, 3, 5, 6, 7, (3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1, True),
    "s1_k1":              (2, 4, 3, 5, 5, (1, 1), (1, 1), (0, 0), (0, 0), (1, 1), 1, True),
    "s1_k3_pad1":         (1, 5, 3, 7, 6, (3, 3), (1, 1), (1, 1), (0, 0), (1, 1), 1, False),
    "s1_k3_pad_beyond":   (1, 2, 3, 8, 8, (3, 3), (1, 1), (3, 3), (0, 0), (1, 1), 1, True),
    "s2_k4_p1_dcgan":     (2, 6, 3, 4, 5, (4, 4), (2, 2), (1, 1), (0, 0), (1, 1), 1, True),
    "s2_k3_p1_op1":       (1, 3, 5, 5, 4, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1, True),
    "s2_k2":              (3, 7, 5, 3, 3, (2, 2), (2, 2), (0, 0), (0, 0), (1, 1), 1, False),
    "s2_k5_p2_op1":       (1, 4, 4, 6, 5, (5, 5), (2, 2), (2, 2), (1, 1), (1, 1), 1, True),
    "s3_k3":              (1, 3, 2, 4, 4, (3, 3), (3, 3), (0, 0), (0, 0), (1, 1), 1, True),
    "s3_k5_p2_op2":       (2, 2, 3, 3, 5, (5, 5), (3, 3), (2, 2), (2, 2), (1, 1), 1, True),
    "s3_k4_p4_beyond":    (1, 3, 3, 5, 4, (4, 4), (3, 3), (4, 4), (1, 0), (1, 1), 1, False),
    "nonsquare_k3x5":     (1, 3, 4, 5, 7, (3, 5), (1, 1), (1, 2), (0, 0), (1, 1), 1, True),
    "nonsquare_k2x4_s1x2":(2, 5, 3, 4, 6, (2, 4), (1, 2), (0, 1), (0, 1), (1, 1), 1, True),
    "nonsquare_s3x2":     (1, 4, 5, 3, 4, (3, 3), (3, 2), (1, 0), (2, 1), (1, 1), 1, True),
    "dil2_k3":            (1, 3, 3, 5, 5, (3, 3), (1, 1), (0, 0), (0, 0), (2, 2), 1, True),
    "dil2_k3_s2_p2":      (2, 4, 5, 4, 5, (3, 3), (2, 2), (2, 2), (1, 1), (2, 2), 1, True),
    "dil2_k4_s2":         (1, 3, 2, 4, 4, (4, 4), (2, 2), (1, 1), (0, 0), (2, 2), 1, False),
    "dil_1x2_k2x3":       (1, 2, 3, 5, 4, (2, 3), (1, 2), (0, 2), (0, 1), (1, 2), 1, True),
    "groups2":            (1, 4, 6, 5, 5, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 2, True),
    "groups4":            (2, 8, 8, 4, 3, (3, 3), (1, 1), (1, 1), (0, 0), (1, 1), 4, True),
    "groups2_cig3":       (1, 6, 4, 4, 4, (4, 4), (2, 2), (1, 1), (0, 0), (1, 1), 2, False),
    "depthwise_c5":       (1, 5, 5, 6, 5, (4, 4), (2, 2), (1, 1), (0, 0), (1, 1), 5, True),
    "depthwise_mult2":    (1, 3, 6, 4, 4, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 3, True),
    "small_out_c3":       (1, 16, 3, 4, 4, (4, 4), (2, 2), (1, 1), (0, 0), (1, 1), 1, True),
    "one_by_one":         (1, 1, 1, 1, 1, (1, 1), (1, 1), (0, 0), (0, 0), (1, 1), 1, True),
    "batch4_c9":          (4, 9, 7, 3, 4, (3, 3), (2, 1), (0, 1), (1, 0), (1, 1), 1, True),
    "wide_image":         (1, 3, 3, 2, 19, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1, True),
}


def main(out_dir):
    rng = np.random.default_rng(20261125)
    for name, (n, cin, cout, h, w, k, s, p, op, d, g, has_bias) in CASES.items():
        x = rng.standard_normal((n, cin, h, w)).astype(np.float32)
        wt = rng.standard_normal((cin, cout // g, k[0], k[1])).astype(np.float32)
        b = rng.standard_normal((cout,)).astype(np.float32) if has_bias else None
        xd = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        wd = torch.tensor(wt, dtype=torch.float64, requires_grad=True)
        bd = torch.tensor(b, dtype=torch.float64, requires_grad=True) if has_bias else None
        y = F.conv_transpose2d(xd, wd, bd, stride=s, padding=p, output_padding=op, groups=g, dilation=d)
        gy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(torch.tensor(gy, dtype=torch.float64))
        case = os.path.join(out_dir, name)
        os.makedirs(case, exist_ok=True)
        arrays = {"x": x, "w": wt, "y": y.detach().numpy(), "gy": gy,
                  "gx": xd.grad.numpy(), "gw": wd.grad.numpy()}
        if has_bias:
            arrays["b"] = b
            arrays["gb"] = bd.grad.numpy()
        for key, value in arrays.items():
            np.save(os.path.join(case, key + ".npy"), np.ascontiguousarray(value, dtype=np.float32))
        meta = {"stride": list(s), "padding": list(p), "output_padding": list(op), "dilation": list(d),
                "groups": g, "bias": has_bias, "kernel": list(k), "in_channels": cin, "out_channels": cout,
                "torch": torch.__version__, "reference_dtype": "float64"}
        with open(os.path.join(case, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"{name}: x{list(x.shape)} w{list(wt.shape)} -> y{list(y.shape)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "engine/src/test/resources/golden")

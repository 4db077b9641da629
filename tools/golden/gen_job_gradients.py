#!/usr/bin/python3
"""PyTorch reference for the distributed gradients job (convt-job gradients).

Writes small float32 .npy fixtures to job/src/test/resources/gradients/: a dataset x [N,Cin,H,W], PyTorch-layout
weights w [Cin,Cout,kH,kW] and bias b, upstream gradients gy and targets t (both [N,Cout,H',W']), and autograd's
w.grad / b.grad over the WHOLE stack as one batch for:
  gy        : y.backward(gy)                  -> gw_gy.npy, gb_gy.npy
  mse/mean  : mse_loss(y, t, 'mean')          -> gw_mse_mean.npy, gb_mse_mean.npy, loss_mse_mean.npy
  l1/sum    : l1_loss(y, t, 'sum')            -> gw_l1_sum.npy, gb_l1_sum.npy, loss_l1_sum.npy
Computed in float64 from the float32 inputs, then stored as float32 (loss as float64).
Run from the repository root: /usr/bin/python3 tools/golden/gen_job_gradients.py  (deterministic, seed 6).
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join("job", "src", "test", "resources", "gradients")
N, CIN, COUT, H, W, K = 7, 2, 3, 5, 5, 3
STRIDE, PAD, OUTPAD = 2, 1, 1


def main():
    os.makedirs(OUT, exist_ok=True)
    g = np.random.default_rng(6)
    x = g.standard_normal((N, CIN, H, W)).astype(np.float32)
    w = (0.3 * g.standard_normal((CIN, COUT, K, K))).astype(np.float32)
    b = (0.1 * g.standard_normal(COUT)).astype(np.float32)
    ho = (H - 1) * STRIDE - 2 * PAD + K + OUTPAD
    wo = (W - 1) * STRIDE - 2 * PAD + K + OUTPAD
    gy = g.standard_normal((N, COUT, ho, wo)).astype(np.float32)
    t = g.standard_normal((N, COUT, ho, wo)).astype(np.float32)
    for name, a in [("x", x), ("w", w), ("b", b), ("gy", gy), ("t", t)]:
        np.save(os.path.join(OUT, name + ".npy"), a)

    def grads(loss_fn):
        wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        y = F.conv_transpose2d(torch.tensor(x, dtype=torch.float64), wt, bt, stride=STRIDE, padding=PAD,
                               output_padding=OUTPAD)
        loss = loss_fn(y)
        loss.backward()
        return wt.grad.numpy().astype(np.float32), bt.grad.numpy().astype(np.float32), loss.item()

    gyt = torch.tensor(gy, dtype=torch.float64)
    tt = torch.tensor(t, dtype=torch.float64)
    cases = {
        "gy": lambda y: (y * gyt).sum(),
        "mse_mean": lambda y: F.mse_loss(y, tt, reduction="mean"),
        "l1_sum": lambda y: F.l1_loss(y, tt, reduction="sum"),
    }
    for name, fn in cases.items():
        gw, gb, loss = grads(fn)
        np.save(os.path.join(OUT, "gw_" + name + ".npy"), gw)
        np.save(os.path.join(OUT, "gb_" + name + ".npy"), gb)
        if name != "gy":
            np.save(os.path.join(OUT, "loss_" + name + ".npy"), np.array([loss], dtype=np.float64))
    print("wrote", OUT, "y shape", (N, COUT, ho, wo))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Runs scripts/convt forward on random geometries nobody tuned for and compares with PyTorch (float64).
Usage (after mvn -B -q package -DskipTests): /usr/bin/python3 tools/golden/check_cli_random.py [COUNT] [SEED]
Prints one line per case and exits 1 if any case exceeds 1e-4·max|ref|.
"""
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        done = 0
        while done < count:
            g = rng.choice([1, 1, 2, 3])
            cin, cout = g * rng.randint(1, 4), g * rng.randint(1, 4)
            kh, kw, sh, sw = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3)
            dh, dw = rng.randint(1, 2), rng.randint(1, 2)
            ph, pw = rng.randint(0, dh * (kh - 1) + 1), rng.randint(0, dw * (kw - 1) + 1)
            oh, ow = rng.randint(0, max(sh, dh) - 1), rng.randint(0, max(sw, dw) - 1)
            n, h, w = rng.randint(1, 3), rng.randint(1, 7), rng.randint(1, 7)
            if (h - 1) * sh - 2 * ph + dh * (kh - 1) + 1 + oh <= 0 or (w - 1) * sw - 2 * pw + dw * (kw - 1) + 1 + ow <= 0:
                continue
            x = np.random.default_rng(done).standard_normal((n, cin, h, w)).astype(np.float32)
            wt = np.random.default_rng(done + 1000).standard_normal((cin, cout // g, kh, kw)).astype(np.float32)
            b = np.random.default_rng(done + 2000).standard_normal(cout).astype(np.float32)
            for name, a in (("x", x), ("w", wt), ("b", b)):
                np.save(os.path.join(tmp, name + ".npy"), a)
            args = [os.path.join(ROOT, "scripts", "convt"), "forward", "--input", os.path.join(tmp, "x.npy"),
                    "--weights", os.path.join(tmp, "w.npy"), "--bias", os.path.join(tmp, "b.npy"),
                    "--weights-layout", "pytorch", "--stride", "%d,%d" % (sh, sw), "--padding", "%d,%d" % (ph, pw),
                    "--output-padding", "%d,%d" % (oh, ow), "--dilation", "%d,%d" % (dh, dw), "--groups", str(g),
                    "--output", os.path.join(tmp, "y.npy")]
            r = subprocess.run(args, capture_output=True, text=True)
            ref = F.conv_transpose2d(torch.from_numpy(x).double(), torch.from_numpy(wt).double(),
                                     torch.from_numpy(b).double(), stride=(sh, sw), padding=(ph, pw),
                                     output_padding=(oh, ow), groups=g, dilation=(dh, dw)).numpy()
            geo = "N%d Cin%d Cout%d g%d %dx%d k%dx%d s%d,%d p%d,%d op%d,%d d%d,%d" % (
                n, cin, cout, g, h, w, kh, kw, sh, sw, ph, pw, oh, ow, dh, dw)
            if r.returncode != 0:
                print("FAIL", geo, r.stderr.strip())
                bad += 1
            else:
                y = np.load(os.path.join(tmp, "y.npy"))
                err = np.abs(y - ref).max() if y.shape == ref.shape else float("inf")
                tol = 1e-4 * max(np.abs(ref).max(), 1e-6)
                ok = err <= tol
                bad += 0 if ok else 1
                print("ok  " if ok else "FAIL", geo, "max err %.3g tol %.3g" % (err, tol))
            done += 1
    print("%d/%d cases match PyTorch" % (count - bad, count))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

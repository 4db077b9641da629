#!/usr/bin/python3
"""Side-by-side table: convt engine (scripts/bench-engine TSV) vs PyTorch/oneDNN (bench_torch.py JSON, path onednn)
and, optionally, oneDNN 3.x's deconvolution primitive (scripts/bench-onednn TSV, same format as the engine's).

Usage: compare.py ENGINE.tsv TORCH.json [--onednn3 ONEDNN.tsv] [--peak GFLOPS] [--peak-what TEXT]
Without --peak the large-layer line uses the 1-thread FMA peak bench_torch.py measured in the same run (256-bit FMAs;
on an AVX-512 core the real peak is twice that: scripts/bench-compare then passes the 512-bit figure).
Prints a Markdown table (one row per shape, N, threads; columns per pass: ours, then each anchor and ours/anchor) and
the median ratio per pass, thread count and anchor. Not a test: a reporting aid for BENCHMARKS.md.
"""
import argparse
import json
import re
import statistics

ap = argparse.ArgumentParser()
ap.add_argument("engine")
ap.add_argument("torch")
ap.add_argument("--onednn3", default=None, help="scripts/bench-onednn TSV (oneDNN 3.x deconvolution primitive)")
ap.add_argument("--path", default="onednn")
ap.add_argument("--peak", type=float, default=None)
ap.add_argument("--peak-what", default=None)
a = ap.parse_args()


def read_tsv(path):
    rows = {}
    backends = []
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(header, line.rstrip("\n").split("\t")))
            rows[(r["shape"], int(r["N"]), r["pass"], int(r["threads"]))] = float(r["gflops_median"])
            backends.append(r.get("backend", ""))
    return rows, backends


ours, _ = read_tsv(a.engine)
torch_json = json.load(open(a.torch))
theirs = {}
for r in torch_json["records"]:
    if r["path"] == a.path:
        theirs[(r["shape"], int(r["N"]), r["pass"], int(r["threads"]))] = float(r["gflops_median"])
meta = torch_json.get("meta", {})
dnnl2 = next((m.group(1) for l in meta.get("config", []) for m in [re.search(r"MKL-DNN v([0-9.]+)", l)] if m), "?")
# (column label, values by (shape, N, pass, threads))
anchors = [(f"PyTorch {meta.get('torch', '?').split('a0')[0]}/oneDNN {dnnl2}", theirs)]
if a.onednn3:
    rows3, backends3 = read_tsv(a.onednn3)
    v = next((m.group(1) for b in backends3 for m in [re.match(r"onednn-([0-9]+\.[0-9]+)", b)] if m), "3")
    anchors.append((f"oneDNN {v}", rows3))

passes = ["fwd", "bwd_d", "bwd_w"]
rows = sorted({k[:2] + (k[3],) for k in ours}, key=lambda k: (k[2], list(dict.fromkeys(s for s, *_ in ours)).index(k[0]), k[1]))
print("Anchors: " + "; ".join(f"A{i + 1} = {label}" for i, (label, _) in enumerate(anchors)) + ". GFLOP/s, ratio = ours/anchor.")
print()
print("| shape | N | thr | " + " | ".join(f"{p} ours | " + " | ".join(f"{p} A{i + 1} | {p} ratio A{i + 1}"
      for i in range(len(anchors))) for p in passes) + " |")
print("|---|---|---|" + ("---|" * (1 + 2 * len(anchors))) * len(passes))
ratios = {}
for shape, n, t in rows:
    cells = []
    for p in passes:
        o = ours.get((shape, n, p, t))
        cells.append("" if o is None else f"{o:.1f}")
        for i, (_, values) in enumerate(anchors):
            d = values.get((shape, n, p, t))
            if o is None or d is None or d == 0:
                cells += ["" if d is None else f"{d:.1f}", ""]
                continue
            ratios.setdefault((p, t, i), []).append(o / d)
            cells += [f"{d:.1f}", f"{o / d:.2f}"]
    print(f"| {shape} | {n} | {t} | " + " | ".join(cells) + " |")
print()
print("| pass | threads | anchor | median ratio ours/anchor | min ratio | rows < 0.8x | rows < 0.5x |")
print("|---|---|---|---|---|---|---|")
for (p, t, i), rs in sorted(ratios.items(), key=lambda kv: (kv[0][1], kv[0][2], passes.index(kv[0][0]))):
    print(f"| {p} | {t} | {anchors[i][0]} | {statistics.median(rs):.2f} | {min(rs):.2f} | "
          f"{sum(1 for r in rs if r < 0.8)} of {len(rs)} | {sum(1 for r in rs if r < 0.5)} of {len(rs)} |")
peak, peak_what = a.peak, a.peak_what or "given"
if peak is None:
    peak = float(torch_json["peak_gflops_median"]["1"])
    peak_what = "256-bit FMAs, bench_torch.py, same run"
large = ["dcgan_l2", "dcgan_l3", "unet_up_deep", "s1_k3", "groups4"]
vals = [v for (s, n, p, t), v in ours.items() if s in large and t == 1]
if vals:
    print()
    print(f"Large layers (1 thread, {', '.join(large)}): median {statistics.median(vals):.1f} GFLOP/s = "
          f"{100 * statistics.median(vals) / peak:.0f}% of the {peak:.0f} GFLOP/s FMA peak ({peak_what})")
for s in large:
    one = [v for (s2, n, p, t), v in ours.items() if s2 == s and t == 1]
    two = [ours.get((s2, n, p, 2)) for (s2, n, p, t) in ours if s2 == s and t == 1]
    pairs = [(x, y) for x, y in zip(one, two) if y]
    if pairs:
        print(f"- {s}: 2-thread speed-up median {statistics.median(y / x for x, y in pairs):.2f}x")

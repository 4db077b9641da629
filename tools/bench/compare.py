#!/usr/bin/python3
"""Side-by-side table: convt engine (scripts/bench-engine TSV) vs PyTorch/oneDNN (bench_torch.py JSON, path onednn).

Usage: compare.py ENGINE.tsv TORCH.json [--peak GFLOPS] [--peak-what TEXT]
Without --peak the large-layer line uses the 1-thread FMA peak bench_torch.py measured in the same run (256-bit FMAs;
on an AVX-512 core the real peak is twice that: scripts/bench-compare then passes the 512-bit figure).
Prints a Markdown table (one row per shape, N, threads; columns per pass: ours, oneDNN, ratio) and the median ratio
per pass and thread count. Not a test: a reporting aid for BENCHMARKS.md.
"""
import argparse
import json
import statistics

ap = argparse.ArgumentParser()
ap.add_argument("engine")
ap.add_argument("torch")
ap.add_argument("--path", default="onednn")
ap.add_argument("--peak", type=float, default=None)
ap.add_argument("--peak-what", default=None)
a = ap.parse_args()

ours = {}
with open(a.engine) as f:
    header = f.readline().rstrip("\n").split("\t")
    for line in f:
        r = dict(zip(header, line.rstrip("\n").split("\t")))
        ours[(r["shape"], int(r["N"]), r["pass"], int(r["threads"]))] = float(r["gflops_median"])
theirs = {}
for r in json.load(open(a.torch))["records"]:
    if r["path"] == a.path:
        theirs[(r["shape"], int(r["N"]), r["pass"], int(r["threads"]))] = float(r["gflops_median"])

passes = ["fwd", "bwd_d", "bwd_w"]
rows = sorted({k[:2] + (k[3],) for k in ours}, key=lambda k: (k[2], list(dict.fromkeys(s for s, *_ in ours)).index(k[0]), k[1]))
print("| shape | N | thr | " + " | ".join(f"{p} ours | {p} oneDNN | {p} ratio" for p in passes) + " |")
print("|---|---|---|" + "---|---|---|" * len(passes))
ratios = {}
for shape, n, t in rows:
    cells = []
    for p in passes:
        o = ours.get((shape, n, p, t))
        d = theirs.get((shape, n, p, t))
        if o is None:
            cells += ["", "", ""]
            continue
        if d is None or d == 0:
            cells += [f"{o:.1f}", "", ""]
            continue
        ratios.setdefault((p, t), []).append(o / d)
        cells += [f"{o:.1f}", f"{d:.1f}", f"{o / d:.2f}"]
    print(f"| {shape} | {n} | {t} | " + " | ".join(cells) + " |")
print()
print("| pass | threads | median ratio ours/oneDNN | min ratio | shapes < 0.5x |")
print("|---|---|---|---|---|")
for (p, t), rs in sorted(ratios.items(), key=lambda kv: (kv[0][1], passes.index(kv[0][0]))):
    print(f"| {p} | {t} | {statistics.median(rs):.2f} | {min(rs):.2f} | {sum(1 for r in rs if r < 0.5)} of {len(rs)} |")
peak, peak_what = a.peak, a.peak_what or "given"
if peak is None:
    with open(a.torch) as f:
        peak = float(json.load(f)["peak_gflops_median"]["1"])
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

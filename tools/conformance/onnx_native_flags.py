#!/usr/bin/python3
"""Writes a variant of an ONNX ConvTranspose conformance folder whose cases use convt's ONNX flags
(--auto-pad, --output-shape) mapped 1:1 from each case's ONNX attributes, instead of pads translated by hand.

Usage:  tools/conformance/onnx_native_flags.py CASES_DIR OUT_DIR
then    python3 CHECKER OUT_DIR   (the checker that reads CASES_DIR/cases.json)

OUT_DIR gets a new cases.json and a symlink 'cases' to CASES_DIR/cases: the test data are not copied.
1-D attributes become 2-D with H = 1 (the cases' arrays are already 4-D for those).
"""
import json, os, sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
src, out = (os.path.abspath(a) for a in sys.argv[1:])
doc = json.load(open(os.path.join(src, "cases.json")))


def two_d(v, fill):
    return v if len(v) == 2 else [fill] + list(v)


def flags(attrs):
    f = []
    rank = 2
    for k in ("strides", "dilations", "output_padding", "output_shape", "pads"):
        if k in attrs:
            rank = len(attrs[k]) if k != "pads" else len(attrs[k]) // 2
    if rank not in (1, 2):
        return None
    if "strides" in attrs:
        f.append("--stride=" + ",".join(map(str, two_d(attrs["strides"], 1))))
    if "dilations" in attrs:
        f.append("--dilation=" + ",".join(map(str, two_d(attrs["dilations"], 1))))
    if "output_padding" in attrs:
        f.append("--output-padding=" + ",".join(map(str, two_d(attrs["output_padding"], 0))))
    if "group" in attrs:
        f.append(f"--groups={attrs['group']}")
    if "pads" in attrs:
        p = attrs["pads"]
        p = p if len(p) == 4 else [0, p[0], 0, p[1]]
        f.append("--padding=" + ",".join(map(str, p)))
    if "auto_pad" in attrs:
        f.append("--auto-pad=" + attrs["auto_pad"].lower())
    if "output_shape" in attrs:
        f.append("--output-shape=" + ",".join(map(str, two_d(attrs["output_shape"], 1))))
    return f


for c in doc["cases"]:
    f = flags(c.get("onnx_attributes", {}))
    if f is not None and c["expect"] == "supported":
        c["flags"] = f
        c["note"] = "convt's ONNX flags, mapped 1:1 from the ONNX attributes"
os.makedirs(out, exist_ok=True)
link = os.path.join(out, "cases")
if not os.path.islink(link):
    os.symlink(os.path.join(src, "cases"), link)
json.dump(doc, open(os.path.join(out, "cases.json"), "w"), indent=1)
print("\n".join(f"{c['id']}: {' '.join(c['flags'])}" for c in doc["cases"]))

"""Prints the README job's summary: output error of the quantized model
against the float32 reference, cycles, and speedup/energy against the
baselines from model.sim's report.

Usage: python3 examples/summarize.py --ref ref.npy --out out.npy
           --report report.json [--ort ort.npy] [--label bitmod3]
"""

import argparse
import json

import numpy as np


def rel_err(y, ref):
    """max |y - ref| / max |ref| (the e2e tests' metric)."""
    return float(np.max(np.abs(y - ref)) / max(np.max(np.abs(ref)), 1e-30))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--ref", required=True, help="float32 reference output")
    p.add_argument("--out", required=True, help="quantized model output")
    p.add_argument("--report", required=True, help="model.sim --report JSON")
    p.add_argument("--ort", help="ONNX Runtime output of the float model")
    p.add_argument("--label", default="bitmod")
    a = p.parse_args()
    ref = np.load(a.ref).astype(np.float64)
    out = np.load(a.out).astype(np.float64)
    with open(a.report) as f:
        r = json.load(f)
    print("== %s decoder block: %s" % (a.label, "x".join(map(str, out.shape))))
    if a.ort:
        ort = np.load(a.ort).astype(np.float64)
        print("float32 model.sim vs ONNX Runtime: max rel err %.2e"
              % rel_err(ref, ort))
    cos = float(np.dot(out.ravel(), ref.ravel()) /
                (np.linalg.norm(out) * np.linalg.norm(ref)))
    print("output error vs float32: max rel err %.3e, rms rel err %.3e, "
          "cosine %.6f" % (rel_err(out, ref),
                           float(np.sqrt(np.mean((out - ref) ** 2)) /
                                 np.sqrt(np.mean(ref ** 2))), cos))
    energy = r["energy_pj"]["total"]
    print("accelerator: %d launches, %d cycles (%.2f us), PE utilization "
          "%.3f, energy %.1f nJ (DRAM %.1f, buffers %.1f, core %.1f)"
          % (r.get("launches", len(r["layers"])), r["total_cycles"],
             r["time_us"], r["pe_utilization"], energy / 1e3,
             r["energy_pj"]["dram"] / 1e3,
             (r["energy_pj"]["act_buffer"] + r["energy_pj"]["wgt_buffer"]) /
             1e3, r["energy_pj"]["core"] / 1e3))
    compare = r.get("compare", {})
    if "bitmod_analytic" in compare:
        print("  analytic BitMoD estimate %d cycles (per-layer cost model, "
              "no DMA latency/contention)" % compare["bitmod_analytic"]["cycles"])
    for name, c in sorted(compare.items()):
        if not isinstance(c, dict) or name == "bitmod_analytic":
            continue
        print("  vs %-16s %9d cycles: BitMoD %.2fx faster, %.2fx less energy"
              % (name, c["cycles"], c["speedup_of_bitmod"],
                 c["energy_ratio_to_bitmod"]))


if __name__ == "__main__":
    main()

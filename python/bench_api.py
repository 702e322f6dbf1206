"""Python overhead of bitmod.quantize against the C++ quantizer.

  BITMOD_TOOLS_DIR=build/bin PYTHONPATH=python /usr/bin/python3 \\
      python/bench_api.py [--n 4096] [--k 4096] [--dtype bitmod3] [--repeat 5]

Times (best of --repeat) of: quant::quantize timed inside C++
(bitmod._core._time_quantize), bitmod.quantize from Python (argument
conversion, GIL release, result wrapping), and bitmod.fake_quantize; and,
if bitmod-quant is found, its end-to-end .npy run (time_s of its report:
read, quantize, dequantize). Overhead = python / C++ - 1.
"""

import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np

import bitmod


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--k", type=int, default=4096)
    ap.add_argument("--dtype", default="bitmod3")
    ap.add_argument("--group-size", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--num-threads", type=int, default=0)
    args = ap.parse_args()
    w = np.random.default_rng(0).standard_normal((args.n, args.k)).astype(
        np.float32)
    kw = dict(group_size=args.group_size, num_threads=args.num_threads)
    # Interleaved, best of each: the machine may be shared.
    cpp, py_q = float("inf"), float("inf")
    for _ in range(args.repeat):
        cpp = min(cpp, bitmod._core._time_quantize(
            w, args.dtype, args.group_size, 8, args.num_threads))
        py_q = min(py_q, best(lambda: bitmod.quantize(w, args.dtype, **kw), 1))
    py_fq = best(lambda: bitmod.fake_quantize(w, args.dtype, **kw),
                 args.repeat)
    result = {"shape": [args.n, args.k], "dtype": args.dtype,
              "cpp_quantize_s": cpp, "python_quantize_s": py_q,
              "python_overhead_pct": 100 * (py_q / cpp - 1),
              "python_fake_quantize_s": py_fq}
    try:
        quant_tool = bitmod.find_tool("bitmod-quant")
    except bitmod.Error:
        quant_tool = None
    if quant_tool:
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "w.npy")
            np.save(src, w)
            times = []
            for _ in range(args.repeat):
                rep = os.path.join(tmp, "r.json")
                subprocess.run([quant_tool, f"--dtype={args.dtype}",
                                f"--group-size={args.group_size}", src, "-o",
                                os.path.join(tmp, "q.npy"), f"--report={rep}"],
                               check=True, capture_output=True)
                with open(rep) as f:
                    times.append(json.load(f)["time_s"])
            result["bitmod_quant_tool_s"] = min(times)
            result["python_fake_quantize_vs_tool_pct"] = \
                100 * (py_fq / min(times) - 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

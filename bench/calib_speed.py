#!/usr/bin/env python3
"""Time of AWQ and GPTQ (bitmod-quant --method) on one large linear layer.

W [N, K] ~ N(0, 0.02) and activations x [T, K] with per-channel scales
exp(N(0, 1)) (seeded). The statistics are computed here with numpy in
chunks (float64) and written as a bitmod-calib-stats directory, so the
timed runs measure the quantizers on their statistics (their cost does not
depend on T); the C++ accumulation (bitmod-quant --calib-acts) is timed
separately on --acc-tokens rows.

    PYTHONPATH=python nice /usr/bin/python3 bench/calib_speed.py
        [--n 4096] [--k 4096] [--tokens 65536] [--dtype bitmod3]
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
TOOLS = os.environ.get("BITMOD_TOOLS_DIR", os.path.join(ROOT, "build", "bin"))
QUANT = os.path.join(TOOLS, "bitmod-quant")


def main(argv=None):
    from bitmod.calib_ref import write_stats
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--work", default=os.path.join(ROOT, "build",
                                                        "calib-speed"))
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--k", type=int, default=4096)
    p.add_argument("--tokens", type=int, default=128 * 512)
    p.add_argument("--acc-tokens", type=int, default=2048)
    p.add_argument("--dtype", default="bitmod3")
    p.add_argument("--methods", default="rtn,awq,gptq")
    a = p.parse_args(argv)
    os.makedirs(a.work, exist_ok=True)
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((a.n, a.k)) * 0.02).astype(np.float32)
    scale = np.exp(rng.standard_normal(a.k)).astype(np.float32)
    wp = os.path.join(a.work, "w.npy")
    np.save(wp, w)
    sd = os.path.join(a.work, "stats-%d" % a.tokens)
    if not os.path.exists(os.path.join(sd, "stats.json")):
        t0 = time.time()
        s, g = np.zeros(a.k), np.zeros((a.k, a.k))
        for b in range(0, a.tokens, 4096):
            x = (rng.standard_normal((min(4096, a.tokens - b), a.k)) *
                 scale).astype(np.float32).astype(np.float64)
            s += np.abs(x).sum(0)
            g += x.T @ x
        write_stats(sd, {"layer": (a.tokens, s, g)})
        print("numpy statistics of %d tokens: %.1f s" % (a.tokens,
                                                        time.time() - t0))
    xa = os.path.join(a.work, "acts.npy")
    np.save(xa, (rng.standard_normal((a.acc_tokens, a.k)) *
                 scale).astype(np.float32))
    t0 = time.time()
    subprocess.run([QUANT, wp, "-o", os.path.join(a.work, "q.npy"),
                    "--dtype=" + a.dtype, "--method=rtn", "--calib-acts", xa],
                   check=True)
    acc = time.time() - t0
    print("C++ accumulation of %d tokens (K = %d) + rtn: %.1f s "
          "(%.2f s per 1000 tokens)" % (a.acc_tokens, a.k, acc,
                                        acc / a.acc_tokens * 1000))
    print("| method | wall s | output error | rtn output error |")
    print("|---|---|---|---|")
    for m in a.methods.split(","):
        rep = os.path.join(a.work, "r-%s.json" % m)
        t0 = time.time()
        subprocess.run([QUANT, wp, "-o", os.path.join(a.work, "q.npy"),
                        "--dtype=" + a.dtype, "--method=" + m,
                        "--calib-stats", sd, "--report", rep], check=True)
        r = json.load(open(rep))
        print("| %s | %.1f | %.5g | %.5g |" % (m, time.time() - t0,
                                              r["output_error"],
                                              r["rtn_output_error"]),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Schedule sweep: compiles single linear layers with bitmod-opt
(--bitmod-quantize, --bitmod-tile, --bitmod-bit-serial-schedule), lowers them
with bitmod-translate --emit-isa, simulates them with bitmod-sim
--timing-only and prints, per case, simulated cycles / bound and DRAM bytes
/ lower bound, then the worst cases.

bound       = max(compute, DRAM) with compute = M*N*K*terms / (PEs * dp)
              and DRAM = (weight blob + 2*M*K + 4*M*N) / bytes per cycle
              (one read of the packed weights with their scales, one read of
              the FP16 input, one write of the f32 output);
one pass    = those compulsory DRAM bytes;
lower bound = the DRAM lower bound for the buffer capacities
              (sim::getDramLowerBound: the least traffic of any single-level
              blocking, docs/simulator.md), printed by
              --bitmod-tile=print-plan.

usage: schedule_sweep.py [--preset issue|ci|full] [--models a,b]
                         [--dtypes a,b] [--ms 1,16] [--tools DIR] [--json F]
                         [--check] [--regret N] [--accelerators fp16,ant,olive]
                         [--jobs N] [--log F.jsonl]
--jobs runs N cases at once (default 1). --log appends every finished case
to F.jsonl as it completes and skips the cases already in it, so a long
sweep (the full preset is 1,056 cases) resumes where it stopped.
--accelerators plans the distinct (M, N, K) of the cases on the baselines
instead (bitmod-sim --estimate: sim::estimate, the same planner and timing
model under the baseline's lanes, 1 MAC/PE/cycle, widths and per-channel
scales; discriminative widths, f32 outputs) and prints cycles / bound with
compute = the fewer lane-padded passes of the two arrangements x K and DRAM
= one pass (weights with their FP16 channel scales, X, Y), and DRAM / lower
bound; --check then requires 1.25x and, for bounds of 300k cycles or more,
3%.
--check fails unless every case compiles, the launch estimate (the timing
model run on the chosen plan by --bitmod-tile) is within 2% of the cycles
bitmod-sim simulates for the emitted program, and the simulated DRAM traffic
is within 1.25x of the lower bound.
--regret N also compiles the candidates of rank 1..N of every case
(--bitmod-tile=candidate=i), simulates them with bitmod-sim and fails if the
chosen plan is more than 2% slower than any of them.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TERMS = {"int8": 4, "int6": 3, "int5": 3, "int4_asym": 3, "bitmod4": 2,
         "bitmod3": 2, "fp4": 2, "mxfp4": 2}
DTYPES = list(TERMS)
MS = [1, 8, 16, 64, 256, 1024]
PES, DP, BW = 1024, 4, 32

# (model, layer, N, K): q/k/v/o with GQA widths, MLP, LM head.
MODELS = {
    "opt-1.3b": dict(d=2048, kv=2048, ff=8192, vocab=50272, mlp="fc"),
    "phi-2": dict(d=2560, kv=2560, ff=10240, vocab=51200, mlp="fc"),
    "yi-6b": dict(d=4096, kv=512, ff=11008, vocab=64000, mlp="glu"),
    "llama-2-7b": dict(d=4096, kv=4096, ff=11008, vocab=32000, mlp="glu"),
    "llama-2-13b": dict(d=5120, kv=5120, ff=13824, vocab=32000, mlp="glu"),
    "llama-3-8b": dict(d=4096, kv=1024, ff=14336, vocab=128256, mlp="glu"),
}


def layer_shapes(models):
    shapes = set()
    for name, m in MODELS.items():
        if models and name not in models:
            continue
        d, kv, ff = m["d"], m["kv"], m["ff"]
        shapes |= {("q/o", d, d), ("k/v", kv, d), ("up", ff, d),
                   ("down", d, ff), ("lm_head", m["vocab"], d)}
    unique = {(n, k): (name, n, k) for name, n, k in sorted(shapes)}
    return sorted(unique.values(), key=lambda s: (s[1] * s[2], s))


def cases(preset, models=None, dtypes=None, ms=None):
    if preset == "issue":
        return [(256, 4096, 11008, "int8"), (256, 4096, 11008, "bitmod4"),
                (256, 4096, 4096, "int8"), (256, 4096, 4096, "bitmod4"),
                (1, 4096, 4096, "int8"), (4, 64, 65536, "int8")]
    if preset == "ci":
        return [(1, 1024, 4096, "bitmod3"), (16, 1024, 4096, "int8"),
                (64, 512, 2048, "int4_asym"), (256, 1024, 4096, "bitmod4"),
                (4, 64, 65536, "int8")]
    return [(M, n, k, dt) for (_, n, k) in layer_shapes(models)
            for dt in (dtypes or DTYPES) for M in (ms or MS)]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


def run_err(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stderr


def simulate(tools, base, dtype, candidate=0):
    """Compiles the layer of base.in.mlir with the candidate plan of this
    rank; returns (print-plan remark, emitted MLIR, bitmod-sim report)."""
    tag = "" if candidate == 0 else ".c%d" % candidate
    remark = run_err([os.path.join(tools, "bitmod-opt"), base + ".in.mlir",
                      "--bitmod-quantize=dtype=" + dtype,
                      "--bitmod-tile=print-plan candidate=%d" % candidate,
                      "--bitmod-bit-serial-schedule",
                      "-o", base + tag + ".mlir"])
    run([os.path.join(tools, "bitmod-translate"), "--emit-isa",
         base + tag + ".mlir", "-o", base + tag + ".bmod"])
    run([os.path.join(tools, "bitmod-sim"), base + tag + ".bmod",
         "--timing-only", "--report", base + tag + ".json",
         "--output-dir", base + tag + ".out"])
    with open(base + tag + ".mlir") as f:
        text = f.read()
    with open(base + tag + ".json") as f:
        rep = json.load(f)
    return remark, text, rep


def one(tools, tmp, M, N, K, dtype, regret=0):
    base = os.path.join(tmp, "l_%d_%d_%d_%s" % (M, N, K, dtype))
    with open(base + ".in.mlir", "w") as f:
        f.write("func.func @f(%%x: tensor<%dx%dxf32>) -> tensor<%dx%dxf32> {\n"
                "  %%w = arith.constant dense<0.01> : tensor<%dx%dxf32>\n"
                "  %%y = bitmod.linear %%x, %%w {name = \"l\"} : "
                "tensor<%dx%dxf32>, tensor<%dx%dxf32> -> tensor<%dx%dxf32>\n"
                "  return %%y : tensor<%dx%dxf32>\n}\n"
                % (M, K, M, N, N, K, M, K, N, K, M, N, M, N))
    remark, text, rep = simulate(tools, base, dtype)
    lower = int(re.search(r"DRAM lower bound (\d+) bytes", remark).group(1))
    ncand = int(re.search(r"\((\d+) candidates simulated", remark).group(1))
    attr = lambda k: int(re.search(k + r" = (\d+)", text).group(1))
    tiling = re.search(r"tiling<([^>]*)>", text).group(1)
    wbytes = attr("weight_bytes")
    dram_lb = wbytes + 2 * M * K + 4 * M * N
    compute = M * N * K * TERMS[dtype] / (PES * DP)
    bound = max(compute, dram_lb / BW)
    sim = rep["total_cycles"]
    layer = rep["layers"][0]
    dram = layer.get("dram_read_bytes", 0) + layer.get("dram_write_bytes", 0)
    # Planner regret: the chosen plan against rejected candidates, each
    # compiled and simulated end to end.
    rivals = []
    for c in range(1, min(regret, ncand - 1) + 1):
        _, _, r = simulate(tools, base, dtype, c)
        rivals.append(r["total_cycles"])
    return dict(M=M, N=N, K=K, dtype=dtype, cycles=sim, bound=bound,
                compute=compute, ratio=sim / bound, estimate=attr("estimate"),
                dram=dram, one_pass=dram_lb, pass_ratio=dram / dram_lb,
                dram_lb=lower, dram_ratio=dram / lower,
                regret=sim / min(rivals) if rivals else None,
                tiling=tiling)


# Baselines (docs/simulator.md "Baselines"): lanes (tokens, channels) of the
# disc and gen arrangements, discriminative bits per weight, channel scales.
BASELINES = {"fp16": dict(shapes=[(24, 32), (12, 64)], bits=16, scales=0),
             "ant": dict(shapes=[(32, 32), (16, 64)], bits=5.5, scales=2),
             "olive": dict(shapes=[(32, 36), (16, 72)], bits=4.5, scales=2)}


def baseline_case(tools, tmp, M, N, K, kinds):
    path = os.path.join(tmp, "g_%d_%d_%d.json" % (M, N, K))
    with open(path, "w") as f:
        json.dump([{"name": "l", "m": M, "n": N, "k": K, "out_bytes": 4}], f)
    out = json.loads(run([os.path.join(tools, "bitmod-sim"), "--estimate",
                          path, "--compare", ",".join(kinds),
                          "--phase", "disc"]))
    rows = []
    for kind in kinds:
        b, e = BASELINES[kind], out["gemms"][0][kind]
        compute = min(-(-M // t) * -(-N // c) * K for t, c in b["shapes"])
        one_pass = -(-N * K * b["bits"] // 8) + b["scales"] * N + \
            2 * M * K + 4 * M * N
        bound = max(compute, one_pass / BW)
        rows.append(dict(M=M, N=N, K=K, dtype=kind, cycles=e["cycles"],
                         bound=bound, compute=compute,
                         ratio=e["cycles"] / bound, estimate=e["cycles"],
                         dram=e["dram_bytes"], one_pass=one_pass,
                         pass_ratio=e["dram_bytes"] / one_pass,
                         dram_lb=e["dram_lower_bound_bytes"],
                         dram_ratio=e["dram_bytes"] /
                         e["dram_lower_bound_bytes"], regret=None,
                         tiling=e["arrangement"]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="issue",
                    choices=["issue", "ci", "full"])
    ap.add_argument("--tools", help="directory of the bitmod tools "
                    "(default: $BITMOD_TOOLS_DIR, else bitmod-opt on PATH, "
                    "else build/bin)")
    ap.add_argument("--json")
    ap.add_argument("--models")
    ap.add_argument("--dtypes")
    ap.add_argument("--ms")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--regret", type=int, default=0)
    ap.add_argument("--accelerators")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--log", help="JSON-lines file of finished cases "
                    "(appended; its cases are not run again)")
    a = ap.parse_args()
    if a.jobs < 1:
        ap.error("--jobs must be >= 1")
    split = lambda v: v.split(",") if v else None
    if not a.tools:
        on_path = shutil.which("bitmod-opt")
        a.tools = os.environ.get("BITMOD_TOOLS_DIR") or (
            os.path.dirname(on_path) if on_path else os.path.join(
                os.path.dirname(__file__), "..", "build", "bin"))
    rows = []
    kinds = split(a.accelerators)
    for k in kinds or ():
        if k not in BASELINES:
            ap.error("--accelerators: unknown baseline '%s' (expected %s)"
                     % (k, ", ".join(BASELINES)))
    todo = cases(a.preset, split(a.models), split(a.dtypes),
                 [int(m) for m in split(a.ms)] if a.ms else None)
    if kinds:
        todo = sorted({c[:3] for c in todo}, key=lambda c: (c[1] * c[2], c))
    label = lambda c: ",".join(kinds) if kinds else c[3]
    key = lambda r: (r["M"], r["N"], r["K"], r["dtype"])
    done = {}
    if a.log and os.path.isfile(a.log):
        with open(a.log) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    done.setdefault(key(r)[:3] + (
                        r.get("case_dtype", r["dtype"]),), []).append(r)
    log = open(a.log, "a") if a.log else None

    def run_case(c):
        # Each case in its own directory, removed afterwards: the programs of
        # big layers are large.
        with tempfile.TemporaryDirectory() as tmp:
            try:
                rs = baseline_case(a.tools, tmp, *c, kinds) if kinds else \
                    [one(a.tools, tmp, *c, regret=a.regret)]
            except RuntimeError as e:
                return [dict(M=c[0], N=c[1], K=c[2], dtype=label(c),
                             error=str(e))]
        return rs

    def report(c, rs):
        for r in rs:
            rows.append(r)
            if "error" in r:
                print("FAIL M=%d N=%d K=%d %s: %s" % (
                    r["M"], r["N"], r["K"], r["dtype"], r["error"]),
                    flush=True)
                continue
            print("M=%-5d N=%-6d K=%-6d %-9s cycles %10d bound %10d "
                  "ratio %.3f est/sim %.3f dram %11d lb %11d ratio %.3f "
                  "(%.2fx one pass)%s  %s"
                  % (r["M"], r["N"], r["K"], r["dtype"], r["cycles"],
                     r["bound"], r["ratio"], r["estimate"] / r["cycles"],
                     r["dram"], r["dram_lb"], r["dram_ratio"],
                     r["pass_ratio"],
                     "" if r["regret"] is None else
                     " regret %.3f" % r["regret"],
                     re.sub(r"m = .*?block_tokens", "block_tokens",
                            r["tiling"])), flush=True)

    pending = []
    for c in todo:
        k = tuple(c[:3]) + (label(c),)
        if k in done:
            report(c, done[k])
        else:
            pending.append(c)
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        futures = {pool.submit(run_case, c): c for c in pending}
        for f in concurrent.futures.as_completed(futures):
            c, rs = futures[f], f.result()
            report(c, rs)
            if log and not any("error" in r for r in rs):
                for r in rs:
                    log.write(json.dumps(dict(r, case_dtype=label(c))) + "\n")
                log.flush()
    ok = [r for r in rows if "error" not in r]
    for key in ("ratio", "dram_ratio"):
        worst = sorted(ok, key=lambda r: -r[key])[:5]
        print("worst %s: %s" % (key, ", ".join(
            "%s M=%d N=%d K=%d %.3f" % (r["dtype"], r["M"], r["N"], r["K"],
                                        r[key]) for r in worst)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    if a.check or a.regret:
        off = []
        for r in ok:
            what = []
            # Below ~300k cycles the first load and last store of a launch
            # (not overlappable with its compute) exceed 3% by themselves.
            if a.check and kinds and r["ratio"] > 1.03 and \
                    r["bound"] >= 300000:
                what.append("cycles %.3fx the bound" % r["ratio"])
            if a.check and abs(r["estimate"] / r["cycles"] - 1) > 0.02:
                what.append("estimate %d vs simulated %d" % (r["estimate"],
                                                             r["cycles"]))
            if a.check and r["dram_ratio"] > 1.25:
                what.append("DRAM %d > 1.25 x lower bound %d" % (
                    r["dram"], r["dram_lb"]))
            if r["regret"] is not None and r["regret"] > 1.02:
                what.append("chosen plan %.3fx the best rejected one" %
                            r["regret"])
            if what:
                off.append(r)
                print("%s: M=%d N=%d K=%d %s" % (
                    "; ".join(what), r["M"], r["N"], r["K"], r["dtype"]))
        print("check %s" % ("ok" if not off and len(ok) == len(rows)
                            else "failed"))
        return 1 if off or len(ok) != len(rows) else 0
    return 1 if len(ok) != len(rows) else 0


if __name__ == "__main__":
    sys.exit(main())

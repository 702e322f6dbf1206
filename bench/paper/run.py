#!/usr/bin/python3
"""Reproduces the BitMoD paper's evaluation (Fig. 7, 8, 9) through the compiler.

    /usr/bin/python3 bench/paper/run.py            # six paper models (~10 min)
    /usr/bin/python3 bench/paper/run.py --quick    # one tiny model (seconds)
    /usr/bin/python3 bench/paper/run.py --model m.onnx [--accel a.json]

Flow per model (docs/results.md, "Method"):
  1. bench_models.linear_workload_mlir: the linear layers of one decoder
     layer and the LM head as bitmod.linear ops (splat weights), at the
     token counts of prefill (256) and decode (1); or, for --model, the
     bitmod-translate --import-onnx output.
  2. bitmod-opt --bitmod-quantize{dtype} --bitmod-tile[{accel}]
     --bitmod-bit-serial-schedule, bitmod-translate --emit-isa, then
     bitmod-sim --timing-only --compare fp16,ant,olive: BitMoD
     cycles/energy per launch from the timing simulator.
  3. bitmod-sim --estimate: the baselines per GEMM (the same cost model
     --compare uses; the script checks that the totals agree), and the
     attention QK^T / PV matmuls of every accelerator.
  4. Scenarios (discriminative, generative 256:256, generative_paper),
     geometric means, ablations, plots, docs/results.md.
"""

import argparse
import concurrent.futures
import datetime
import functools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

from bitmod import bench_models as bm  # noqa: E402

HOST_PIPELINE = ("builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,"
                 "tosa-to-arith,tosa-to-tensor,canonicalize))")
TOOLS = ("bitmod-opt", "bitmod-translate", "bitmod-sim", "bitmod-quant")
BASELINES = ("fp16", "ant", "olive")
ACCELERATORS = ("fp16", "ant", "olive", "bitmod_lossless", "bitmod_lossy")
LOSSLESS = "int6"
LOSSY = {"discriminative": "bitmod4", "generative": "bitmod3",
         "generative_paper": "bitmod3"}
PHASE = {"discriminative": "disc", "generative": "gen",
         "generative_paper": "gen"}
SCENARIOS = ("discriminative", "generative", "generative_paper")
PAPER = {"lossy_vs_ant": 1.69, "lossy_vs_olive": 1.48}
# Fig. 9: data types of 3..8 bits compared on error vs energy-delay.
PARETO_DTYPES = ("int3", "int3_asym", "fp3", "bitmod3", "mxfp3", "int4",
                 "int4_asym", "fp4", "flint4", "bitmod4", "mxfp4", "int5",
                 "fp5_e2m2", "int6", "fp6_e2m3", "int8")


class BenchError(Exception):
    pass


def find_tools(explicit):
    """Directory holding all four tools: --tools, $BITMOD_TOOLS, then the
    build trees of the repo (build-bench, build)."""
    cands = [explicit] if explicit else []
    if os.environ.get("BITMOD_TOOLS"):
        cands.append(os.environ["BITMOD_TOOLS"])
    if not cands:
        cands = [os.path.join(ROOT, d, "bin") for d in ("build-bench", "build")]
    for d in cands:
        if all(os.access(os.path.join(d, t), os.X_OK) for t in TOOLS):
            return d
    raise BenchError("no directory with %s among %s (build them, or pass "
                     "--tools DIR)" % (", ".join(TOOLS), ", ".join(cands)))


class Runner:
    """Runs the tools, logs every command, turns failures into BenchError."""

    def __init__(self, tools, workdir, verbose=False, reuse=False):
        self.tools, self.workdir, self.verbose = tools, workdir, verbose
        # Reuse simulator reports of identical generated programs.
        self.reuse = reuse
        self.log = open(os.path.join(workdir, "commands.log"), "a")
        self.seconds = {}  # wall time per tool (summed over workers)

    def __call__(self, tool, *args, capture=False):
        cmd = [os.path.join(self.tools, tool)] + [str(a) for a in args]
        self.log.write(" ".join(cmd) + "\n")
        self.log.flush()
        if self.verbose:
            print("  $", " ".join(cmd[:1] + [os.path.basename(cmd[0])][1:]
                                  + cmd[1:]), file=sys.stderr)
        t0 = time.time()
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        except OSError as e:
            raise BenchError("cannot run %s: %s" % (cmd[0], e))
        self.seconds[tool] = self.seconds.get(tool, 0.0) + time.time() - t0
        if p.returncode:
            raise BenchError("%s failed (exit %d):\n  %s\n%s" % (
                tool, p.returncode, " ".join(cmd), p.stderr.strip()[-2000:]))
        return p.stdout if capture else None

    def path(self, name):
        return os.path.join(self.workdir, name)


def energy_of(e):
    return {k: float(e[k]) for k in ("dram", "act_buffer", "wgt_buffer",
                                     "core", "total")}


def compile_and_simulate(run, source, dtype, tag, accel, model_key, phase,
                         keep=False, compare=BASELINES):
    """MLIR (text) -> quantize/tile/schedule -> .bmod -> timing simulation.

    Returns ({launch: cost}, compare) with cost = {cycles, energy_pj}.
    ``source`` is MLIR text or the path of an imported module."""
    bc, bmod, rep = (run.path(tag + s) for s in (".mlirbc", ".bmod", ".json"))
    if os.path.exists(source):
        src = source
    else:
        src = run.path(tag + ".mlir")
        cached = None
        if run.reuse and os.path.exists(src) and os.path.exists(rep):
            with open(src) as f:
                same = f.read() == source
            try:
                with open(rep) as f:
                    cached = json.load(f) if same else None
            except ValueError:
                cached = None
        if cached is None:
            with open(src, "w") as f:
                f.write(source)
        else:
            return _read_report(cached)
    tile = "--bitmod-tile" + ("=accel=%s" % accel if accel else "")
    run("bitmod-opt", src, "--bitmod-quantize=dtype=%s" % dtype, tile,
        "--bitmod-bit-serial-schedule", "--emit-bytecode", "-o", bc)
    if src == source:
        # Imported model: host ops are TOSA, which bitmod-translate does not
        # load; lower them with upstream passes (the ISA holds launches only).
        run("bitmod-opt", bc, "--pass-pipeline=" + HOST_PIPELINE,
            "--emit-bytecode", "-o", bc + ".host")
        os.replace(bc + ".host", bc)
    run("bitmod-translate", "--emit-isa", bc, "-o", bmod)
    run("bitmod-sim", bmod, "--timing-only", "--compare",
        ",".join(compare or ("bitmod",)), "--report", rep)
    if not keep:
        for f in (bc, bmod):
            os.remove(f)
    with open(rep) as f:
        return _read_report(json.load(f))


def _read_report(report):
    layers = {}
    for l in report["layers"]:
        layers[l["name"]] = {"cycles": float(l["cycles"]),
                             "gemm": l["gemm"],
                             "pe_busy": float(l.get("pe_busy_cycles", 0)),
                             "energy_pj": energy_of(l["energy_pj"])}
    return layers, report["compare"]


def estimate(run, gemms, tag, accel, model_key, phase, analytic=False):
    """bitmod-sim --estimate on GEMM records; returns the per-GEMM list.
    Planned (the plan search + timing model of sim::estimate) unless
    ``analytic`` (the closed-form formula, an ablation)."""
    path = run.path(tag + ".gemms.json")
    with open(path, "w") as f:
        json.dump(gemms, f)
    args = ["--estimate", path, "--compare", ",".join(BASELINES),
            "--phase", phase]
    if analytic:
        args.append("--analytic")
    if model_key:
        args += ["--model", model_key]
    if accel:
        args += ["--accel", accel]
    out = json.loads(run("bitmod-sim", *args, capture=True))
    return out["gemms"]


# Baseline sizings of the iso-area ablations: the suffix of the baselines'
# cost keys and the accelerator-description keys set on top of --accel.
RTL_AREA_JSON = os.path.join(ROOT, "hw", "synth", "accel-rtl-area.json")


def iso_area_sizings():
    with open(RTL_AREA_JSON) as f:
        rtl = json.load(f)
    return {"iso": {"baseline_sizing": "iso_area"},
            "isortl": {"baseline_sizing": "iso_area",
                       "pe_area_um2": rtl["pe_area_um2"]}}


def sized_accel(run, accel, suffix):
    """An accelerator JSON: --accel (or the defaults) with the baseline
    sizing of ``suffix`` (iso_area_sizings)."""
    path = run.path("accel.%s.json" % suffix)
    if not os.path.isfile(path):
        cfg = {}
        if accel:
            with open(accel) as f:
                cfg = json.load(f)
        cfg.update(iso_area_sizings()[suffix])
        tmp = path + ".%d.tmp" % os.getpid()
        with open(tmp, "w") as f:
            json.dump(cfg, f, sort_keys=True)
        os.replace(tmp, path)
    return path


def cost_record(c):
    """Cycles, the authors' ideal-overlap cycles and energy of one estimate
    entry (ideal = max(compute without fill/drain, DRAM))."""
    ideal = max(c["compute_cycles"] - c["fill_drain_cycles"], c["dram_cycles"])
    return {"cycles": float(c["cycles"]), "ideal": float(ideal),
            "energy_pj": energy_of(c["energy_pj"])}


def add(costs):
    out = {"cycles": 0.0, "ideal": 0.0, "energy_pj": {}}
    for c in costs:
        out["cycles"] += c["cycles"]
        out["ideal"] += c.get("ideal", c["cycles"])
        for k, v in c["energy_pj"].items():
            out["energy_pj"][k] = out["energy_pj"].get(k, 0.0) + v
    return out


class Workload:
    """The GEMMs of one model: parts keyed ("lin"|"lm", tokens) made of
    linear layers, and attention keyed ("attn", q_tokens, context).

    ``parts[key][acc]``: acc is "bitmod:<dtype>" (timing simulator),
    "analytic:<dtype>" (cost model) or "<baseline>:<phase>"."""

    def __init__(self, name, key, layers):
        self.name, self.key, self.layers = name, key, layers
        self.parts = {}
        self.checks = []
        self.launches = []  # BitMoD launches: simulator vs cost model

    def put(self, key, acc, cost):
        self.parts.setdefault(key, {})[acc] = cost


# Bytes per output element of the compiled linear layers (f32 results): the
# baselines are planned storing the same format.
LINEAR_OUT_BYTES = 4


def run_linear_part(run, wl, part, layers, dtypes, accel, source=None,
                    keep=False):
    """Compiles and simulates ``layers`` at ``tokens`` for each dtype, and
    plans the same GEMMs on the baselines (both phases; sim::estimate: the
    planner and timing model under each baseline's PE count, arrangements,
    widths and per-channel scales), plus the closed-form formula of every
    accelerator (ablations ``analytic`` / ``analytic_baselines``)."""
    tag_base = re.sub(r"[^A-Za-z0-9_.-]", "_", "%s.%s" % (wl.name, part))
    names_of = lambda m: ([bm.launch_name(n, m) for n, _, _ in layers]
                          if source is None else [n for n, _, _ in layers])
    # Baselines in both phases (weights per phase; shapes only).
    toks = sorted({m for _, ts in dtypes for m in ts}, reverse=True)
    base = {}
    for phase in ("disc", "gen"):
        gemms = [{"name": bm.launch_name(n, m), "m": m, "n": nn, "k": k,
                  "out_bytes": LINEAR_OUT_BYTES}
                 for m in toks for n, nn, k in layers]
        # planned, the formula, planned on the iso-area arrays.
        for suffix in ("", "formula") + tuple(iso_area_sizings()):
            analytic = suffix == "formula"
            est = estimate(run, gemms, "%s.base.%s%s" % (
                tag_base, phase, "." + suffix if suffix else ""),
                accel if suffix in ("", "formula") else
                sized_accel(run, accel, suffix), wl.key, phase, analytic)
            if suffix in ("", "formula"):
                base[phase, analytic] = {(g["m"], g["name"]): g for g in est}
            for m in toks:
                sel = [g for g in est if g["m"] == m]
                for b in BASELINES:
                    wl.put((part, m), "%s%s:%s" % (
                        b, "_" + suffix if suffix else "", phase),
                        add(cost_record(g[b]) for g in sel))
    for i, (dtype, toks) in enumerate(dtypes):
        phase = "gen" if dtype == "bitmod3" else "disc"
        text = source or bm.linear_workload_mlir(layers, toks)
        tag = "%s.%s" % (tag_base, dtype)
        # --compare plans the baselines again per layer: the first program
        # of the part cross-checks them, the others only BitMoD's formula.
        checked = BASELINES if i == 0 else ()
        sim, compare = compile_and_simulate(run, text, dtype, tag, accel,
                                            wl.key, phase, keep, checked)
        for m in toks:
            names = names_of(m)
            missing = [n for n in names if n not in sim]
            if missing:
                raise BenchError("%s: launches %s missing in the simulator "
                                 "report" % (tag, ", ".join(missing)))
            wl.put((part, m), "bitmod:" + dtype, add(sim[n] for n in names))
        gemms = [{"name": bm.launch_name(n, m), "m": m, "n": nn, "k": k,
                  "dtype": dtype} for m in toks for n, nn, k in layers]
        est = estimate(run, gemms, tag + ".est", accel, wl.key, phase,
                       analytic=True)
        # Cross-check: --compare on the program (BitMoD: the formula;
        # baselines: planned, widths by M without the per-model table, i.e.
        # the discriminative widths) == the sum of the per-GEMM --estimate
        # results under the same widths.
        sums = {"bitmod": sum(g["bitmod"]["cycles"] for g in est)}
        for b in BASELINES:
            sums[b] = sum(base["disc", False][g["m"], g["name"]][b]["cycles"]
                          for g in gemms)
        for acc in ("bitmod",) + tuple(checked):
            ours = sums[acc]
            theirs = compare["bitmod_analytic" if acc == "bitmod" else acc][
                "cycles"]
            wl.checks.append({"program": tag, "accelerator": acc,
                              "estimate_sum": ours, "compare": theirs})
            if ours != theirs:
                raise BenchError("%s: --estimate (%d) and --compare (%d) "
                                 "disagree for %s" % (tag, ours, theirs, acc))
        for m in toks:
            sel = [g for g in est if g["m"] == m]
            wl.put((part, m), "analytic:" + dtype,
                   add(cost_record(g["bitmod"]) for g in sel))
        shapes = [(m, l) for m in toks for l in layers]
        for g, (m, (n, nn, k)) in zip(est, shapes):
            sname = bm.launch_name(n, m) if source is None else n
            b = g["bitmod"]
            wl.launches.append({
                "part": part, "launch": sname, "dtype": dtype,
                "gemm": [m, nn, k], "sim_cycles": sim[sname]["cycles"],
                "sim_pe_busy_cycles": sim[sname]["pe_busy"],
                "analytic_cycles": b["cycles"],
                "analytic_compute_cycles": b["compute_cycles"],
                "analytic_dram_cycles": b["dram_cycles"]})


def run_attention(run, wl, attn_gemms, accel):
    """Estimates attention GEMMs: ``attn_gemms`` maps a key to records."""
    flat = []
    for key, recs in attn_gemms.items():
        for r in recs:
            flat.append(dict(r, name="%s|%s" % (json.dumps(key), r["name"])))
    if not flat:
        return
    tag = re.sub(r"[^A-Za-z0-9_.-]", "_", wl.name) + ".attn"
    for suffix in ("",) + tuple(iso_area_sizings()):
        est = estimate(run, flat, tag + ("." + suffix if suffix else ""),
                       sized_accel(run, accel, suffix) if suffix else accel,
                       wl.key, "disc")
        by_key = {}
        for g in est:
            key = tuple(json.loads(g["name"].split("|")[0]))
            by_key.setdefault(key, []).append(g)
        for key, gs in by_key.items():
            for acc in ("bitmod",) + BASELINES:
                c = add(cost_record(g[acc]) for g in gs)
                if acc == "bitmod":
                    if suffix:
                        continue  # BitMoD's array does not change
                    for d in (LOSSLESS, "bitmod4", "bitmod3"):
                        wl.put(key, "bitmod:" + d, c)
                        wl.put(key, "analytic:" + d, c)
                else:
                    for phase in ("disc", "gen"):
                        wl.put(key, "%s%s:%s" % (
                            acc, "_" + suffix if suffix else "", phase), c)


def paper_model_workload(run, model, accel, prompt, output, keep):
    """Compiles, simulates and estimates every GEMM of a table model."""
    wl = Workload(model.name, model.key, model.layers)
    dtypes = [(LOSSLESS, [prompt, 1]), ("bitmod4", [prompt]),
              ("bitmod3", [prompt, 1])]
    run_linear_part(run, wl, "lin", model.linear_layers(), dtypes, accel,
                    keep=keep)
    run_linear_part(run, wl, "lm", model.lm_head(), dtypes, accel, keep=keep)
    attn = {("attn", prompt, prompt): bm.attention_gemms(model, prompt,
                                                         prompt)}
    for ctx in sorted(set(bm.decode_contexts(prompt, output)) | {prompt}):
        attn[("attn", 1, ctx)] = bm.attention_gemms(model, 1, ctx)
    run_attention(run, wl, attn, accel)
    wl.prompt, wl.contexts = prompt, bm.decode_contexts(prompt, output)
    return wl


_TENSOR = r"tensor<([0-9x]+)xf32>"


def _dims(s):
    return [int(d) for d in s.split("x")]


def onnx_workload(run, path, accel, prompt, output, keep):
    """--model: import an ONNX model, compile its linear layers (real
    weights) at the imported token count, the same layers at 1 token
    (decode, splat weights) and its attention matmuls (tosa.matmul) on
    the cost model. The whole graph counts as one layer; no separate LM
    head (an LM head in the graph is one of its linear layers)."""
    if not os.path.isfile(path):
        raise BenchError("--model: no such file '%s'" % path)
    imported = run.path("user.mlir")
    run("bitmod-translate", "--import-onnx", path, "-o", imported)
    with open(imported) as f:
        text = f.read()
    layers, seq = [], None
    lin = re.compile(r'bitmod\.linear [^{]*\{[^}]*name = "([^"]+)"[^}]*\} : '
                     + _TENSOR + ", " + _TENSOR)
    for m in lin.finditer(text):
        x, w = _dims(m.group(2)), _dims(m.group(3))
        tokens = 1
        for d in x[:-1]:
            tokens *= d
        if seq is None:
            seq = tokens
        elif tokens != seq:
            raise BenchError("--model: linear layers see different token "
                             "counts (%d and %d); one sequence length is "
                             "supported" % (seq, tokens))
        layers.append((m.group(1), w[0], w[1]))
    if not layers:
        raise BenchError("--model: '%s' has no MatMul/Gemm with a constant "
                         "weight, nothing runs on the accelerator" % path)
    names = [n for n, _, _ in layers]
    if len(set(names)) != len(names):
        raise BenchError("--model: duplicate linear layer names")
    wl = Workload(os.path.splitext(os.path.basename(path))[0], None, 1)
    run_linear_part(run, wl, "lin", layers,
                    [(d, [seq]) for d in (LOSSLESS, "bitmod4", "bitmod3")],
                    accel, source=imported, keep=keep)
    run_linear_part(run, wl, "lin", layers, [(LOSSLESS, [1]), ("bitmod3", [1])],
                    accel, keep=keep)
    # Attention: [B, M, K] x [B, K, N]; QK^T has N == seq, PV has K == seq.
    mm = re.compile(r"tosa\.matmul [^:]*: \(tensor<(\d+)x(\d+)x(\d+)xf32>, "
                    r"tensor<(\d+)x(\d+)x(\d+)xf32>")
    pre, dec = [], {}
    contexts = bm.decode_contexts(seq, output)
    for i, m in enumerate(mm.finditer(text)):
        b, mrows, k, _, _, n = (int(v) for v in m.groups())
        pre.append({"name": "mm%d" % i, "m": mrows, "n": n, "k": k,
                    "count": b, "attention": True})
        rows = max(1, mrows // seq)
        for ctx in set(contexts) | {seq}:
            if n == seq:
                rec = {"m": rows, "n": ctx, "k": k}
            elif k == seq:
                rec = {"m": rows, "n": n, "k": ctx}
            else:
                rec = {"m": rows, "n": n, "k": k}
            dec.setdefault(ctx, []).append(
                dict(rec, name="mm%d" % i, count=b, attention=True))
    attn = {("attn", seq, seq): pre}
    for ctx, recs in dec.items():
        attn[("attn", 1, ctx)] = recs
    if pre:
        run_attention(run, wl, attn, accel)
    wl.prompt, wl.contexts = seq, contexts
    wl.optional = {"lm", "attn"}
    return wl


#--- Scenarios ---------------------------------------------------------------

VARIANTS = {
    "measured": "every accelerator planned by the same planner and timed by "
                "the timing model (BitMoD: the compiled programs; baselines: "
                "sim::estimate under their own lanes, widths and "
                "per-channel scales) (default)",
    "analytic_baselines": "BitMoD measured, baselines from the closed-form "
                          "formula (the comparison before the fair "
                          "baselines)",
    "analytic": "linear layers of every accelerator from the closed-form "
                "formula (estimateAnalytic)",
    "ideal": "authors' style: every GEMM max(compute w/o fill/drain, DRAM), "
             "no DMA latency",
    "no_attention": "attention QK^T/PV left out",
    "no_lm_head": "LM head left out",
    "disc_widths": "baselines keep their discriminative widths in "
                   "generative runs",
    "iso_area": "baselines planned on arrays re-sized to BitMoD's compute "
                "area at the paper's PE areas (baseline_sizing iso_area: "
                "FP16 768, ANT 1152 instead of 1024, OliVe 1152 PEs)",
    "iso_area_rtl": "the same with the Yosys-derived BitMoD PE area "
                    "(hw/synth/accel-rtl-area.json: FP16 1376, ANT 2048, "
                    "OliVe 2052 PEs)",
}


def scenario_terms(wl, scenario):
    P, L = wl.prompt, wl.layers
    terms = [(L, ("lin", P)), (1, ("lm", P)), (L, ("attn", P, P))]
    if scenario == "generative_paper":
        w = bm.PAPER_DECODE_STEPS
        terms += [(w * L, ("lin", 1)), (w, ("lm", 1)), (w * L, ("attn", 1, P))]
    elif scenario == "generative":
        n = len(wl.contexts)
        terms += [(n * L, ("lin", 1)), (n, ("lm", 1))]
        terms += [(L, ("attn", 1, c)) for c in wl.contexts]
    elif scenario != "discriminative":
        raise BenchError("unknown scenario %r" % scenario)
    return terms


def acc_key(acc, scenario, variant):
    phase = PHASE[scenario]
    if acc in BASELINES:
        if variant == "disc_widths":
            phase = "disc"
        formula = variant in ("analytic", "ideal", "analytic_baselines")
        suffix = {"iso_area": "_iso", "iso_area_rtl": "_isortl"}.get(
            variant, "_formula" if formula else "")
        return "%s%s:%s" % (acc, suffix, phase)
    dtype = LOSSLESS if acc == "bitmod_lossless" else LOSSY[scenario]
    src = "analytic" if variant in ("analytic", "ideal") else "bitmod"
    return "%s:%s" % (src, dtype)


def scenario_cost(wl, scenario, acc, variant="measured"):
    """{"cycles", "energy_pj": {dram, buffer, core, total}} of a scenario."""
    cycles, energy = 0.0, {"dram": 0.0, "buffer": 0.0, "core": 0.0}
    for weight, key in scenario_terms(wl, scenario):
        if variant == "no_attention" and key[0] == "attn":
            continue
        if variant == "no_lm_head" and key[0] == "lm":
            continue
        if key not in wl.parts:
            if key[0] in getattr(wl, "optional", ()):
                continue
            raise BenchError("%s: no cost for %s" % (wl.name, key))
        # The formula ablations change the linear layers and LM head;
        # attention is the planned estimate in every variant.
        c = wl.parts[key][acc_key(
            acc, scenario, "measured" if key[0] == "attn" and variant in (
                "analytic", "analytic_baselines", "ideal") else variant)]
        cycles += weight * (c["ideal"] if variant == "ideal" else c["cycles"])
        e = c["energy_pj"]
        energy["dram"] += weight * e["dram"]
        energy["buffer"] += weight * (e["act_buffer"] + e["wgt_buffer"])
        energy["core"] += weight * e["core"]
    energy["total"] = energy["dram"] + energy["buffer"] + energy["core"]
    return {"cycles": cycles, "energy_pj": energy}


RATIOS = {"lossy_vs_ant": ("ant", "bitmod_lossy"),
          "lossy_vs_olive": ("olive", "bitmod_lossy"),
          "lossless_vs_fp16": ("fp16", "bitmod_lossless"),
          "lossy_vs_fp16": ("fp16", "bitmod_lossy")}


def summarize(workloads, scenario, variant="measured"):
    res = {"models": [w.name for w in workloads], "cycles": {},
           "energy_pj": {}, "energy_breakdown_pj": {}}
    for w in workloads:
        costs = {a: scenario_cost(w, scenario, a, variant)
                 for a in ACCELERATORS}
        res["cycles"][w.name] = {a: c["cycles"] for a, c in costs.items()}
        res["energy_pj"][w.name] = {a: c["energy_pj"]["total"]
                                    for a, c in costs.items()}
        res["energy_breakdown_pj"][w.name] = {a: c["energy_pj"]
                                              for a, c in costs.items()}
    for field, src in (("speedup", "cycles"),
                       ("energy_efficiency", "energy_pj")):
        out, per = {}, {}
        for name, (base, ours) in RATIOS.items():
            vals = {m: res[src][m][base] / res[src][m][ours]
                    for m in res["models"]}
            per[name] = vals
            out[name] = bm.geomean(vals.values())
        out["per_model"] = per
        res[field] = out
    return res


def phase_speedups(wls):
    """Geometric-mean lossy speedups of one prefill (disc widths, bitmod4)
    and of one decode step at context = prompt (gen widths, bitmod3)."""
    out = {}
    for label, scenario, terms in (
            ("prefill_discriminative", "discriminative",
             lambda w: [(w.layers, ("lin", w.prompt)), (1, ("lm", w.prompt)),
                        (w.layers, ("attn", w.prompt, w.prompt))]),
            ("decode_step_generative", "generative_paper",
             lambda w: [(w.layers, ("lin", 1)), (1, ("lm", 1)),
                        (w.layers, ("attn", 1, w.prompt))])):
        ratios = {k: [] for k in ("lossy_vs_ant", "lossy_vs_olive")}
        for w in wls:
            cyc = {}
            for acc in ("ant", "olive", "bitmod_lossy"):
                key = acc_key(acc, scenario, "measured")
                cyc[acc] = sum(n * w.parts[k][key]["cycles"]
                               for n, k in terms(w) if k in w.parts)
            ratios["lossy_vs_ant"].append(cyc["ant"] / cyc["bitmod_lossy"])
            ratios["lossy_vs_olive"].append(cyc["olive"] /
                                            cyc["bitmod_lossy"])
        out[label] = {k: bm.geomean(v) for k, v in ratios.items()}
    return out


def sim_vs_analytic(wl):
    """Timing simulator / cost model cycles of BitMoD's linear layers."""
    out = {"launches": wl.launches}
    for label, dtype, m in (("prefill_bitmod4", "bitmod4", wl.prompt),
                            ("decode_bitmod3", "bitmod3", 1)):
        sel = [l for l in wl.launches
               if l["dtype"] == dtype and l["gemm"][0] == m]
        if sel:
            out[label] = sum(l["sim_cycles"] for l in sel) / sum(
                l["analytic_cycles"] for l in sel)
    return out


def headline(results):
    """Paper: average of the discriminative and generative means."""
    out = {}
    for gen in ("generative_paper", "generative"):
        for k in PAPER:
            out["%s_%s" % (k, gen)] = 0.5 * (
                results["discriminative"]["speedup"][k]
                + results[gen]["speedup"][k])
    return out


#--- Fig. 9: quantization error vs energy-delay -------------------------------

def pareto(run, model, accel, prompt):
    """SQNR of each data type on Gaussian and heavy-tailed (Student-t, 3
    dof) 512x1024 matrices (bitmod-quant), and the energy-delay product of
    one decoder layer's linear layers (prefill + 20 decode steps) on
    BitMoD with that type (bitmod-sim --estimate)."""
    import numpy as np
    rng = np.random.default_rng(2025)
    mats = {"gaussian": rng.standard_normal((512, 1024)) * 0.02,
            "heavy_tailed": rng.standard_t(3, (512, 1024)) * 0.02}
    for name, m in mats.items():
        np.save(run.path("pareto_%s.npy" % name), m.astype(np.float32))
    points = []
    for d in PARETO_DTYPES:
        pt = {"dtype": d}
        for name in mats:
            rep = run.path("pareto_%s_%s.json" % (name, d))
            run("bitmod-quant", "--dtype=%s" % d, "--num-threads=1",
                run.path("pareto_%s.npy" % name), "-o",
                run.path("pareto_q.npy"), "--report", rep)
            with open(rep) as f:
                r = json.load(f)
            pt["sqnr_db_" + name] = r["sqnr_db"]
            pt["bits_per_weight"] = r["bits_per_weight"]
        gemms = [{"name": n, "m": m, "n": nn, "k": k, "dtype": d,
                  "count": 1 if m == prompt else bm.PAPER_DECODE_STEPS}
                 for m in (prompt, 1) for n, nn, k in model.linear_layers()]
        est = estimate(run, gemms, "pareto." + d, accel, model.key, "gen")
        cyc = sum(g["bitmod"]["cycles"] for g in est)
        en = sum(g["bitmod"]["energy_pj"]["total"] for g in est)
        pt.update(cycles=cyc, energy_pj=en, edp=cyc * en)
        points.append(pt)
    best = min(p["edp"] for p in points)
    for p in points:
        p["edp_normalized"] = p["edp"] / best
    return points


#--- Plots --------------------------------------------------------------------

LABELS = {"fp16": "FP16", "ant": "ANT", "olive": "OliVe",
          "bitmod_lossless": "BitMoD lossless (INT6)",
          "bitmod_lossy": "BitMoD lossy (4b disc / 3b gen)"}
COLORS = {"fp16": "#999999", "ant": "#4c72b0", "olive": "#55a868",
          "bitmod_lossless": "#dd8452", "bitmod_lossy": "#c44e52"}


def plot_speedup(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    fig, axes = plt.subplots(len(SCENARIOS), 1, figsize=(11, 9))
    for ax, sc in zip(axes, SCENARIOS):
        r = results[sc]
        models = r["models"] + ["Geomean"]
        width = 0.16
        for i, a in enumerate(ACCELERATORS):
            vals = [r["cycles"][m]["fp16"] / r["cycles"][m][a]
                    for m in r["models"]]
            vals.append(bm.geomean(vals))
            x = np.arange(len(models)) + (i - 2) * width
            ax.bar(x, vals, width, label=LABELS[a], color=COLORS[a])
        ax.set_xticks(np.arange(len(models)))
        ax.set_xticklabels(models, fontsize=8)
        ax.set_ylabel("speedup vs FP16")
        ax.set_title(sc.replace("_", " "), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7, ncol=5, loc="upper left")
    fig.suptitle("Normalized speedup (paper Fig. 7), measured through "
                 "bitmod-opt / bitmod-sim")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_energy(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    scs = ("discriminative", "generative_paper")
    fig, axes = plt.subplots(len(scs), 1, figsize=(11, 7))
    comp_colors = {"dram": "#4c72b0", "buffer": "#dd8452", "core": "#55a868"}
    for ax, sc in zip(axes, scs):
        r = results[sc]
        ticks, labels, x = [], [], 0
        for m in r["models"]:
            ref = r["energy_pj"][m]["fp16"]
            for a in ACCELERATORS:
                e = r["energy_breakdown_pj"][m][a]
                bottom = 0.0
                for comp in ("dram", "buffer", "core"):
                    ax.bar(x, e[comp] / ref, 0.8, bottom=bottom,
                           color=comp_colors[comp],
                           label=comp if x == 0 else None)
                    bottom += e[comp] / ref
                ticks.append(x)
                labels.append({"fp16": "F", "ant": "A", "olive": "O",
                               "bitmod_lossless": "B6",
                               "bitmod_lossy": "Bq"}[a])
                x += 1
            ax.text(x - 3, -0.22, m, ha="center", fontsize=8,
                    transform=ax.get_xaxis_transform())
            x += 1
        ax.set_xticks(ticks)
        ax.set_xticklabels(labels, fontsize=6)
        ax.set_ylabel("energy / FP16")
        ax.set_title(sc.replace("_", " ") + "  (F=FP16 A=ANT O=OliVe "
                     "B6=BitMoD INT6 Bq=BitMoD lossy)", fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Energy breakdown (paper Fig. 8)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_pareto(points, model_name, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, dist in zip(axes, ("gaussian", "heavy_tailed")):
        key = "sqnr_db_" + dist
        for p in points:
            bm_type = p["dtype"].startswith("bitmod")
            ax.scatter(p["edp_normalized"], p[key],
                       color="#c44e52" if bm_type else "#4c72b0",
                       marker="*" if bm_type else "o",
                       s=120 if bm_type else 30)
            ax.annotate(p["dtype"], (p["edp_normalized"], p[key]),
                        fontsize=7, xytext=(3, 3), textcoords="offset points")
        front, best = [], -1e9
        for p in sorted(points, key=lambda p: p["edp_normalized"]):
            if p[key] > best:
                best = p[key]
                front.append(p)
        ax.plot([p["edp_normalized"] for p in front],
                [p[key] for p in front], "k--", lw=0.8, label="Pareto front")
        ax.set_xlabel("energy-delay product (normalized, %s layer)"
                      % model_name)
        ax.set_ylabel("SQNR (dB), higher is better")
        ax.set_title(dist.replace("_", " ") + " weights")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Quantization error vs energy-delay (paper Fig. 9)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


#--- Markdown -----------------------------------------------------------------

def _fmt_cycles(c):
    return "%.3g M" % (c / 1e6) if c < 1e9 else "%.3g G" % (c / 1e9)


def markdown(results, fig_rel):
    """docs/results.md: every number below is read from ``results``."""
    R = results
    hl = R["headline"]
    ab = R["ablations"]
    L = []
    w = L.append
    w("# Paper evaluation reproduced through the compiler\n")
    cpu = R["config"].get("tool_cpu_seconds")
    w("Generated by `%s` on %s (%s, %.0f s wall, %s on "
      "a shared 2-core VM). Every number here comes "
      "from that run (bench/results.json); the narrative around them is "
      "in bench/paper/run.py (`markdown`).\n"
      % (R["config"]["command"], R["config"]["date"],
         R["config"]["mode"], R["config"]["seconds"],
         "%.0f s CPU in the tools" % cpu if cpu is not None else
         "the tools' CPU time not recorded"))
    w("## Headline vs paper\n")
    w("Paper (abstract, V-C): lossy BitMoD is **1.69x** faster than ANT and "
      "**1.48x** than OliVe, the average of the discriminative and "
      "generative geometric means.\n")
    w("| | paper | measured (disc + generative_paper) / 2 | measured "
      "(disc + generative %d:%d) / 2 |" % (
          R["config"]["prompt_tokens"], R["config"]["output_tokens"]))
    w("|---|---|---|---|")
    for k in PAPER:
        w("| %s | %.2fx | %.2fx | %.2fx |" % (
            k, PAPER[k], hl["%s_generative_paper" % k],
            hl["%s_generative" % k]))
    w("")
    w("Geometric means over the models (speedup = baseline cycles / BitMoD "
      "cycles; energy efficiency = baseline energy / BitMoD energy):\n")
    w("| scenario | metric | " + " | ".join(RATIOS) + " |")
    w("|---|---|" + "---|" * len(RATIOS))
    for sc in SCENARIOS:
        for f in ("speedup", "energy_efficiency"):
            w("| %s | %s | %s |" % (sc, f, " | ".join(
                "%.2fx" % R[sc][f][k] for k in RATIOS)))
    w("")
    for sc in SCENARIOS:
        r = R[sc]
        w("### %s: cycles and energy per model\n" % sc)
        w("| model | " + " | ".join(LABELS[a] for a in ACCELERATORS)
          + " | lossy vs ANT | lossy vs OliVe |")
        w("|---|" + "---|" * (len(ACCELERATORS) + 2))
        for m in r["models"]:
            w("| %s | %s | %.2fx | %.2fx |" % (m, " | ".join(
                "%s cyc, %.3g mJ" % (_fmt_cycles(r["cycles"][m][a]),
                                     r["energy_pj"][m][a] / 1e9)
                for a in ACCELERATORS),
                r["speedup"]["per_model"]["lossy_vs_ant"][m],
                r["speedup"]["per_model"]["lossy_vs_olive"][m]))
        w("")
    w("## Figures\n")
    w("![speedup](%s/speedup.png)\n" % fig_rel)
    w("![energy](%s/energy_breakdown.png)\n" % fig_rel)
    if R.get("pareto"):
        w("![pareto](%s/pareto.png)\n" % fig_rel)
        w("Fig. 9 data (SQNR from bitmod-quant on 512x1024 matrices, seed "
          "2025; EDP of one %s decoder layer's linear layers, prefill + 20 "
          "decode steps, BitMoD cost model, normalized to the best type):\n"
          % R["pareto_model"])
        w("| dtype | bits/weight | SQNR Gaussian (dB) | SQNR heavy-tailed "
          "(dB) | EDP (norm.) |")
        w("|---|---|---|---|---|")
        for p in R["pareto"]:
            w("| %s | %.3f | %.2f | %.2f | %.3f |" % (
                p["dtype"], p["bits_per_weight"], p["sqnr_db_gaussian"],
                p["sqnr_db_heavy_tailed"], p["edp_normalized"]))
        w("")
    w("## Where the numbers differ from the paper, and by how much\n")
    w("Each row re-evaluates the same measured GEMMs with one modelling "
      "choice changed (`ablations` in results.json). Columns: headline "
      "lossy speedup vs ANT / OliVe, (disc + generative_paper) / 2.\n")
    w("| variant | what changes | vs ANT | vs OliVe | disc vs ANT | "
      "gen_paper vs ANT | disc vs OliVe | gen_paper vs OliVe |")
    w("|---|---|---|---|---|---|---|---|")
    for name, a in ab.items():
        w("| %s | %s | %.2fx | %.2fx | %.2fx | %.2fx | %.2fx | %.2fx |" % (
            name, VARIANTS[name], a["lossy_vs_ant"], a["lossy_vs_olive"],
            a["discriminative"]["lossy_vs_ant"],
            a["generative_paper"]["lossy_vs_ant"],
            a["discriminative"]["lossy_vs_olive"],
            a["generative_paper"]["lossy_vs_olive"]))
    w("")
    base = ab["measured"]
    def delta(v, k):
        return ab[v][k] - base[k]
    w("Reading the ablations (numbers from this run):\n")
    w("* **Fair baselines vs the formula** (`analytic_baselines`): in "
      "`measured` the baselines are scheduled by the same planner as "
      "BitMoD (plan search over loop orders, blocks and arrangements, each "
      "candidate run through the cycle-level timing model) under their own "
      "PE counts, arrangements, weight widths and per-channel scales; "
      "`analytic_baselines` puts them back on the closed-form formula "
      "(perfect overlap inside a GEMM, one pass over the operands) while "
      "BitMoD stays simulated -- the comparison before the fair baselines. "
      "It moves the headline by %+.2f (ANT) and %+.2f (OliVe)."
      % (delta("analytic_baselines", "lossy_vs_ant"),
         delta("analytic_baselines", "lossy_vs_olive")))
    w("* **Everything on the formula** (`analytic`): the linear layers of "
      "every accelerator, BitMoD included, from the closed-form formula "
      "(attention stays planned): %+.2f / %+.2f."
      % (delta("analytic", "lossy_vs_ant"), delta("analytic",
                                                   "lossy_vs_olive")))
    w("* **Fill/drain and DMA latency** (`ideal`): the authors' analytic "
      "model has no pipeline fill/drain and no first-load/last-store "
      "latency. Dropping them for every accelerator (on top of `analytic`) "
      "moves the headline by %+.2f / %+.2f: at these sizes a GEMM is long "
      "enough that they hardly matter."
      % (ab["ideal"]["lossy_vs_ant"] - ab["analytic"]["lossy_vs_ant"],
         ab["ideal"]["lossy_vs_olive"] - ab["analytic"]["lossy_vs_olive"]))
    w("* **Attention on the array** (`no_attention`): QK^T and PV are FP16 "
      "x FP16 activations; BitMoD runs K/V as INT8 (4 Booth terms, the "
      "same speed as a bit-parallel MAC per PE-dot-product lane), so "
      "attention dilutes the advantage. Leaving it out: %+.2f / %+.2f."
      % (delta("no_attention", "lossy_vs_ant"),
         delta("no_attention", "lossy_vs_olive")))
    w("* **LM head** (`no_lm_head`): a large, weight-dominated GEMM; "
      "without it: %+.2f / %+.2f."
      % (delta("no_lm_head", "lossy_vs_ant"),
         delta("no_lm_head", "lossy_vs_olive")))
    if "iso_area" in ab and "iso_area_rtl" in ab:
        w("* **Iso-area arrays** (`iso_area`, `iso_area_rtl`): the paper's "
          "FP16 and OliVe arrays fill BitMoD's compute area at the paper's "
          "PE areas, its ANT array (1024 PEs) does not (1152 fit): sized "
          "iso-area, %+.2f / %+.2f. With the PE area this project "
          "synthesized (Yosys, generic cells: the BitMoD PE is 1.34x the "
          "FP16 MAC PE, where the paper has 0.77x; docs/rtl.md) the "
          "baselines get 1.8-2.0x the PEs and the headline moves by "
          "%+.2f / %+.2f; the paper's area figures are kept as the default."
          % (delta("iso_area", "lossy_vs_ant"),
             delta("iso_area", "lossy_vs_olive"),
             delta("iso_area_rtl", "lossy_vs_ant"),
             delta("iso_area_rtl", "lossy_vs_olive")))
    w("* **Per-model generative widths** (`disc_widths`): with the "
      "discriminative 5.5 / 4.5 bits in generative runs the baselines move "
      "DRAM-bound decode by the width ratio: %+.2f / %+.2f."
      % (delta("disc_widths", "lossy_vs_ant"),
         delta("disc_widths", "lossy_vs_olive")))
    w("")
    sva = R.get("sim_vs_analytic", {})
    if sva:
        w("BitMoD timing simulator / cost model, cycles of the linear layers "
          "(sum over the decoder layer and LM head launches):\n")
        w("| model | prefill, bitmod4 | decode, bitmod3 |")
        w("|---|---|---|")
        for m, v in sva.items():
            w("| %s | %s | %s |" % (m, *("%.3f" % v[k] if k in v else "-"
                                         for k in ("prefill_bitmod4",
                                                   "decode_bitmod3"))))
        w("")
        ex = None
        for m, v in sva.items():
            for l in v["launches"]:
                if l["dtype"] == "bitmod4" and l["part"] == "lin" and \
                        l["gemm"][0] > 1 and (ex is None or
                                              l["gemm"][1] * l["gemm"][2] >
                                              ex[1]["gemm"][1] *
                                              ex[1]["gemm"][2]):
                    ex = (m, l)
        if ex:
            m, l = ex
            w("Example (%s `%s`, GEMM M,N,K = %s, bitmod4): the simulator "
              "takes %d cycles with the PEs busy for %d; the cost model says "
              "%d = max(compute %d, DRAM %d) + latencies. The %d cycles "
              "beyond PE-busy are stalls: the simulator's load, compute and "
              "store queues wait on each other at block boundaries "
              "(activation block reloads; weight blocks whose DMA outlasts "
              "the compute they feed, e.g. in a partial last token block), "
              "which the cost model's whole-GEMM max(compute, DRAM) treats "
              "as perfectly overlapped. The baselines' planned estimates "
              "count the same kind of stalls on their own schedules, so "
              "`measured` is like for like.\n" % (
                  m, l["launch"], l["gemm"], l["sim_cycles"],
                  l["sim_pe_busy_cycles"], l["analytic_cycles"],
                  l["analytic_compute_cycles"], l["analytic_dram_cycles"],
                  l["sim_cycles"] - l["sim_pe_busy_cycles"]))
    ps = R.get("phase_speedups")
    w("Structural reasons (no switch to ablate, they follow from "
      "REFERENCE.md): prefill is compute bound, where BitMoD's 1024 PEs x "
      "4-way dot product / 2 terms (fp3/fp4) give 2048 MAC/cycle against "
      "ANT's 1024 and OliVe's 1152 (upper bounds 2.0x and 1.78x, less "
      "where DRAM or attention, which BitMoD runs as INT8 at 1 MAC per PE, "
      "take a share); decode is DRAM bound, where the speedup is close to "
      "the bits-per-weight ratio (ANT 4.5..5.25, OliVe 3.5..4.25 vs BitMoD "
      "3 + 10/128).%s The generative bars mix the two, so their mean sits "
      "between the prefill and decode figures.\n" % (
          (" Measured (geometric means, lossy): one prefill %.2fx vs ANT, "
           "%.2fx vs OliVe; one decode step %.2fx vs ANT, %.2fx vs OliVe. "
           "The decode figure vs OliVe is bounded by its 3.5..4.25 bits "
           "against BitMoD's 3.08, which is why our generative mean vs "
           "OliVe stays below the paper's 1.48x."
           % (ps["prefill_discriminative"]["lossy_vs_ant"],
              ps["prefill_discriminative"]["lossy_vs_olive"],
              ps["decode_step_generative"]["lossy_vs_ant"],
              ps["decode_step_generative"]["lossy_vs_olive"]))
          if ps else ""))
    w("Consistency check: for every compiled program, the sum of the "
      "per-GEMM `bitmod-sim --estimate` results (BitMoD: `--analytic`; "
      "baselines: planned) equals the totals of `bitmod-sim --compare` on "
      "the same program (%d checks passed)."
      % R["config"]["consistency_checks"])
    w("")
    w("## Method\n")
    w(METHOD)
    return "\n".join(L) + "\n"


METHOD = """\
* **Workloads** (`python/bitmod/bench_models.py`): true shapes of OPT-1.3B,
  Phi-2, Yi-6B (GQA, 4 KV heads), Llama-2-7B, Llama-2-13B, Llama-3-8B (GQA,
  8 KV heads); OPT/Phi-2 use a 2-matrix GELU MLP, Llama/Yi 3-matrix SwiGLU.
  One decoder layer's linear layers and the LM head (vocabulary 50272, 51200,
  64000, 32000, 32000, 128256) are emitted as `bitmod.linear` ops with
  **splat weights** (`dense<0.01>`): timing-only simulation does not read
  weight values, the quantizer still runs, and the IR stays tiny. Errors of
  the data types are measured separately (Fig. 9) on seeded Gaussian and
  Student-t matrices.
* **Compiler**: `bitmod-opt --bitmod-quantize=dtype=D --bitmod-tile
  --bitmod-bit-serial-schedule --emit-bytecode`, `bitmod-translate
  --emit-isa`, `bitmod-sim --timing-only --compare fp16,ant,olive`. Prefill (256 tokens) and decode (1 token)
  launches of the same layer are in one program per data type (int6,
  bitmod4, bitmod3). One decoder layer is simulated and multiplied by the
  layer count; the LM head is a separate program.
* **Baselines and attention**: `bitmod-sim --estimate gemms.json` per GEMM
  (`sim::estimate`, which `--compare` uses too: the plan search of
  `--bitmod-tile` -- act-resident, weight-resident and out_block K-split
  orders, block sizes, both arrangements -- with every candidate run
  through the cycle-level timing model, on each baseline's own lanes,
  1 MAC/PE/cycle, weight width plus FP16 per-channel scales and port
  widths; linear layers store F32 outputs like the compiled BitMoD
  programs; docs/simulator.md, "Planned estimate"), with the REFERENCE.md
  widths (per-model generative widths via `--model <paper
  model> --phase disc|gen`; `--compare` itself picks widths by M and has no
  per-model table, so it serves as the cross-check below). Attention
  QK^T (M = tokens x query heads per KV head, N = context, K = head dim) and
  PV (N = head dim, K = context), one GEMM per KV head, FP16 activations on
  the row side; BitMoD holds K/V as INT8 per group of 128, ANT/OliVe as
  8-bit, FP16 as 16-bit. All context positions are computed (no causal
  skipping). The LM head runs on all 256 prompt tokens in prefill.
* **Scenarios**: discriminative = prefill(256); generative = prefill(256) +
  255 decode steps at contexts 257..511 (every step evaluated, no
  interpolation: attention cost comes from the cost model and linear layers
  do not depend on the context); generative_paper = prefill(256) + 20 x
  decode(context 256). Lossless BitMoD = INT6 (G=128, INT8 scales); lossy =
  bitmod4 (discriminative) / bitmod3 (generative).
* **Geometric means** over the models; the headline is the arithmetic
  mean of the discriminative and generative geometric means, as the paper
  states it.
* **Relation to `bitmod-compile`**: the one-shot driver runs the same
  passes with the same defaults; this benchmark calls bitmod-opt,
  bitmod-translate and bitmod-sim directly so each stage's artefact can be
  kept (`--keep`) and inspected.
* **Your own model**: `bench/paper/run.sh --model m.onnx [--accel a.json]`
  imports it with `bitmod-translate --import-onnx`, compiles the imported
  linear layers (real weights) at the model's token count as prefill, the
  same layers at 1 token as decode, estimates its `tosa.matmul`s as
  attention (a matmul whose N or K equals the token count grows with the
  context in decode), and writes the same tables (the whole graph is one
  layer; baselines use discriminative widths since there is no per-model
  table for it).
"""


#--- Main ---------------------------------------------------------------------

def render(results, fig_dir, md_path, fig_rel):
    """Plots and results.md from a results dict."""
    os.makedirs(fig_dir, exist_ok=True)
    plot_speedup(results, os.path.join(fig_dir, "speedup.png"))
    plot_energy(results, os.path.join(fig_dir, "energy_breakdown.png"))
    if results.get("pareto"):
        plot_pareto(results["pareto"], results["pareto_model"],
                    os.path.join(fig_dir, "pareto.png"))
    with open(md_path, "w") as f:
        f.write(markdown(results, fig_rel))


def model_workload_task(model, tools, workdir, accel, prompt, output, keep,
                        verbose=False, reuse=False):
    """paper_model_workload of one model with its own Runner: a top-level
    function, so a Dask worker can run it (bitmod.dse --preset paper-eval)."""
    run = Runner(tools, workdir, verbose, reuse)
    t1 = time.time()
    cpu = lambda: sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f)
                      for f in ("ru_utime", "ru_stime"))
    c1 = cpu()
    wl = paper_model_workload(run, model, accel, prompt, output, keep)
    wl.seconds = dict(run.seconds)
    # The tools' CPU time, for a caller whose workers are other processes
    # (exact with one task per worker process at a time).
    wl.cpu_seconds = cpu() - c1
    print("%-12s %6.1f s" % (model.name, time.time() - t1), file=sys.stderr)
    return wl


def main(argv=None, model_map=None, command=None):
    """The evaluation; `model_map(fn, models)` (default: a thread pool of
    --jobs) maps model_workload_task's partial application over the models
    (bitmod.dse passes a Dask client's map, and its own command line as
    `command` for results.json)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="one tiny model, prompt 32, 8 output tokens "
                         "(seconds); writes to --out-dir only")
    ap.add_argument("--model", help="ONNX model to benchmark instead of the "
                    "paper models")
    ap.add_argument("--models", help="comma-separated subset of the paper "
                    "models")
    ap.add_argument("--accel", help="accelerator JSON (AccelConfig)")
    ap.add_argument("--tools", help="directory with bitmod-opt, "
                    "bitmod-translate, bitmod-sim, bitmod-quant")
    ap.add_argument("--out-dir", help="where results.json, results.md and "
                    "figures go (default: the repo's bench/results.json, "
                    "docs/results.md, docs/figures for a full paper run; "
                    "a temporary directory otherwise)")
    ap.add_argument("--workdir", help="scratch directory (default: temp)")
    ap.add_argument("--reuse", action="store_true",
                    help="with --workdir: reuse the simulator reports of "
                    "identical generated programs from an earlier run")
    ap.add_argument("--jobs", type=int, default=2,
                    help="models compiled in parallel (default 2)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the .mlirbc/.bmod files")
    ap.add_argument("--no-pareto", action="store_true")
    ap.add_argument("--prompt", type=int, default=bm.PROMPT_TOKENS)
    ap.add_argument("--output-tokens", type=int, default=bm.OUTPUT_TOKENS)
    ap.add_argument("--render", metavar="RESULTS_JSON",
                    help="only redraw the plots and results.md from an "
                    "existing results.json")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.time()
    if args.render:
        with open(args.render) as f:
            results = json.load(f)
        out = args.out_dir or ROOT
        fig_dir = os.path.join(out, "docs" if not args.out_dir else "",
                               "figures")
        md = os.path.join(out, "docs", "results.md") if not args.out_dir \
            else os.path.join(out, "results.md")
        render(results, fig_dir, md, "figures")
        return results
    if args.accel and not os.path.isfile(args.accel):
        raise BenchError("--accel: no such file '%s'" % args.accel)
    accel = os.path.abspath(args.accel) if args.accel else None
    if args.quick:
        args.prompt = min(args.prompt, 32)
        args.output_tokens = min(args.output_tokens, 8)
    if args.prompt < 1 or args.output_tokens < 2:
        raise BenchError("--prompt must be >= 1 and --output-tokens >= 2")
    tools = find_tools(args.tools)
    workdir = args.workdir or tempfile.mkdtemp(prefix="bitmod-bench-")
    os.makedirs(workdir, exist_ok=True)
    run = Runner(tools, workdir, args.verbose, args.reuse)
    paper_run = not (args.quick or args.model or args.models)
    if args.out_dir:
        out_json = os.path.join(args.out_dir, "results.json")
        out_md = os.path.join(args.out_dir, "results.md")
        fig_dir, fig_rel = os.path.join(args.out_dir, "figures"), "figures"
    elif paper_run:
        out_json = os.path.join(ROOT, "bench", "results.json")
        out_md = os.path.join(ROOT, "docs", "results.md")
        fig_dir, fig_rel = os.path.join(ROOT, "docs", "figures"), "figures"
    else:
        d = os.path.join(workdir, "out")
        out_json, out_md = os.path.join(d, "results.json"), \
            os.path.join(d, "results.md")
        fig_dir, fig_rel = os.path.join(d, "figures"), "figures"
    os.makedirs(fig_dir, exist_ok=True)
    os.makedirs(os.path.dirname(out_json), exist_ok=True)
    os.makedirs(os.path.dirname(out_md), exist_ok=True)

    if args.model:
        models = []
        wls = [onnx_workload(run, args.model, accel, args.prompt,
                             args.output_tokens, args.keep)]
    else:
        if args.quick:
            models = [bm.TINY_MODEL]
        elif args.models:
            models = [bm.get_model(n.strip()) for n in args.models.split(",")]
        else:
            models = bm.PAPER_MODELS
        one = functools.partial(
            model_workload_task, tools=tools, workdir=workdir, accel=accel,
            prompt=args.prompt, output=args.output_tokens, keep=args.keep,
            verbose=args.verbose, reuse=args.reuse)
        if args.jobs < 1:
            raise BenchError("--jobs must be >= 1")
        # Largest first so the two workers finish together.
        order = sorted(models, key=lambda m: -m.weight_count())
        if model_map is None:
            with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
                wls_done = list(pool.map(one, order))
        else:
            wls_done = list(model_map(one, order))
        done = dict(zip([m.name for m in order], wls_done))
        wls = [done[m.name] for m in models]
        for w in wls:
            for tool, s in getattr(w, "seconds", {}).items():
                run.seconds[tool] = run.seconds.get(tool, 0.0) + s
    results = {}
    for sc in SCENARIOS:
        results[sc] = summarize(wls, sc)
    results["headline"] = headline(results)
    results["paper"] = PAPER
    ablations = {}
    for v in VARIANTS:
        per = {sc: summarize(wls, sc, v)["speedup"] for sc in SCENARIOS}
        ablations[v] = {
            k: 0.5 * (per["discriminative"][k] + per["generative_paper"][k])
            for k in PAPER}
        for sc in SCENARIOS:
            ablations[v][sc] = {k: per[sc][k] for k in RATIOS}
    results["ablations"] = ablations
    results["sim_vs_analytic"] = {w.name: sim_vs_analytic(w) for w in wls}
    results["phase_speedups"] = phase_speedups(wls)
    pmodel = bm.get_model("Llama-2-7B") if paper_run or args.model else \
        (models[0] if models else bm.TINY_MODEL)
    if not args.no_pareto:
        results["pareto"] = pareto(run, pmodel, accel, args.prompt)
        results["pareto_model"] = pmodel.name
    results["config"] = {
        "command": command or "bench/paper/run.sh " + " ".join(
            argv if argv is not None else sys.argv[1:]),
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "mode": "quick" if args.quick else "onnx" if args.model else "paper",
        "tools": tools, "accel": accel or "paper defaults (AccelConfig)",
        "prompt_tokens": args.prompt, "output_tokens": args.output_tokens,
        "paper_decode_steps": bm.PAPER_DECODE_STEPS,
        "lossless": LOSSLESS, "lossy": LOSSY,
        "consistency_checks": sum(len(w.checks) for w in wls),
        "tool_seconds": {k: round(v, 1) for k, v in run.seconds.items()},
        # This process's tools, plus those of other worker processes.
        "tool_cpu_seconds": round(sum(
            getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f)
            for f in ("ru_utime", "ru_stime")) + (sum(
                getattr(w, "cpu_seconds", 0.0) for w in wls)
                if model_map is not None else 0.0), 1),
        "seconds": time.time() - t0,
        "weights": "splat dense<0.01> (timing only)" if not args.model
                   else "the ONNX model's weights (prefill); splat (decode)",
    }
    results["config"]["seconds"] = round(time.time() - t0, 1)
    with open(out_json, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    render(results, fig_dir, out_md, fig_rel)
    if not args.workdir and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    hl = results["headline"]
    print("lossy vs ANT %.2fx (paper 1.69x), vs OliVe %.2fx (paper 1.48x); "
          "%s, %s" % (hl["lossy_vs_ant_generative_paper"],
                      hl["lossy_vs_olive_generative_paper"], out_json,
                      out_md))
    return results


if __name__ == "__main__":
    try:
        main()
    except (BenchError, KeyError, ValueError) as e:
        print("bench/paper/run.py: error: %s" % e, file=sys.stderr)
        sys.exit(1)

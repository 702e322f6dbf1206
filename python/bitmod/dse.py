"""Design-space exploration on Dask: models x data types x accelerators.

  python3 -m bitmod.dse --models Llama-2-7B,cfg/config.json \\
      --dtypes bitmod3,bitmod4,int4,int8 --accel-grid grid.json \\
      --out sweep/ [--scheduler tcp://HOST:PORT] [--workers 2]
  python3 -m bitmod.dse --preset paper --out sweep/

Every (model, dtype, accelerator) point is one Dask task (a LocalCluster of
--workers processes by default, or the cluster at --scheduler). A task
builds the model's GEMMs (one decoder layer x layers + LM head, prefill of
--prompt tokens and one decode step at context --prompt), times and
energies them with the closed-form cost model (bitmod.estimate with
analytic=True, fast), with --timing planned the shared planner's simulated
plans (bitmod.estimate; slower), or with --timing sim a compile and
timing-only simulation of the point's layers, and computes the accuracy proxy: the SQNR of
the data type on the model's weights (--weights DIR of <layer>.npy) or, by
default, on a seeded heavy-tailed sample of the layer shapes (no download).
Each finished point is appended to OUT/results.csv at once, so an
interrupted sweep resumes with the missing points only. OUT/pareto_*.png
plot SQNR against EDP and against the area proxy (PEs x pe_area_um2, the
accelerator description's PE area) per model.

Models are paper names (bench_models.PAPER_MODELS, Tiny-GQA) or Hugging
Face config.json files (hidden_size, num_hidden_layers, num_attention_heads,
num_key_value_heads, intermediate_size/ffn_dim, vocab_size, hidden_act).

The accel grid is JSON: a list of {"name": ..., "config": {AccelConfig
keys}} or an object of AccelConfig keys to lists of values (the cartesian
product; names are generated from the values).
"""

import argparse
import csv
import hashlib
import itertools
import json
import os
import sys
import time

import numpy as np

from . import bench_models as bm

FIELDS = ["model", "dtype", "accel", "prefill_cycles", "decode_cycles",
          "prefill_energy_pj", "decode_energy_pj", "cycles", "energy_pj",
          "edp", "bits_per_weight", "weight_bytes", "sqnr_db",
          "sqnr_db_gaussian", "sqnr_db_heavy_tailed", "num_pes",
          "compute_area_mm2", "buffer_kib", "accel_config", "timing"]

#: Fig. 9's data types (bench/paper/run.py PARETO_DTYPES).
PAPER_PRESET_DTYPES = [
    "int3", "int3_asym", "fp3", "bitmod3", "mxfp3", "int4", "int4_asym",
    "fp4", "flint4", "bitmod4", "mxfp4", "int5", "fp5_e2m2", "int6",
    "fp6_e2m3", "int8"]


#--- Models -----------------------------------------------------------------

def model_from_hf_config(path_or_dict, name=None):
    """A bench_models.ModelShape from a Hugging Face config.json."""
    if isinstance(path_or_dict, dict):
        cfg = path_or_dict
    else:
        with open(path_or_dict) as f:
            cfg = json.load(f)
        if name is None:
            name = cfg.get("_name_or_path") or os.path.basename(
                os.path.dirname(os.path.abspath(path_or_dict))) or "model"
    name = name or cfg.get("_name_or_path") or cfg.get("model_type", "model")

    def get(*keys, default=None):
        for k in keys:
            if k in cfg:
                return int(cfg[k])
        if default is None:
            raise ValueError(f"{name}: config.json has none of {keys}")
        return default

    hidden = get("hidden_size", "n_embd", "d_model")
    heads = get("num_attention_heads", "n_head")
    kv_heads = get("num_key_value_heads", default=heads)
    act = str(cfg.get("hidden_act", cfg.get("activation_function", "gelu")))
    gated = act in ("silu", "swiglu") or cfg.get("model_type") in (
        "llama", "mistral", "qwen2", "gemma", "yi")
    ffn = get("intermediate_size", "ffn_dim", "n_inner", default=4 * hidden)
    return bm.ModelShape(
        str(name).split("/")[-1], None, hidden, ffn, heads, kv_heads,
        get("num_hidden_layers", "n_layer", "num_layers"),
        get("vocab_size"), "swiglu" if gated else "gelu")


def resolve_model(spec):
    if spec.endswith(".json") or os.path.isfile(spec):
        return model_from_hf_config(spec)
    return bm.get_model(spec)


def model_gemms(model, prompt, decode_steps=1, scope="model"):
    """(phase, name, M, N, K, count) of a prefill of `prompt` tokens and
    `decode_steps` decode steps: of the whole model (scope "model": every
    layer and the LM head) or of one decoder layer's linear layers (scope
    "layer", bench/paper's Pareto workload)."""
    gemms = []
    per_layer = model.layers if scope == "model" else 1
    for phase, tokens, steps in (("prefill", prompt, 1),
                                 ("decode", 1, decode_steps)):
        for name, n, k in model.linear_layers():
            gemms.append((phase, name, tokens, n, k, per_layer * steps))
        if scope == "model":
            gemms.append((phase, "lm_head", tokens, model.vocab, model.hidden,
                          steps))
    return gemms


#--- Accelerator grid ------------------------------------------------------

def load_accel_grid(path):
    """[(name, config dict)] from a grid file (see the module doc)."""
    if path is None:
        return [("paper", {})]
    with open(path) as f:
        grid = json.load(f)
    if isinstance(grid, list):
        return [(g["name"], g.get("config", {})) for g in grid]
    keys = sorted(grid)
    points = []
    for values in itertools.product(*(grid[k] for k in keys)):
        cfg = dict(zip(keys, values))
        name = ",".join(f"{k}={'x'.join(map(str, v)) if isinstance(v, list) else v}"
                        for k, v in cfg.items())
        points.append((name, cfg))
    return points


#--- One point (a Dask task) -------------------------------------------------

def _proxy_weights(model, n_max=256, k_max=1024):
    """Seeded heavy-tailed (Student t, 5 dof) samples of each layer shape:
    LLM weights have outlier channels; seeds from the model and layer."""
    out = {}
    for name, n, k in model.linear_layers() + model.lm_head():
        seed = int(hashlib.sha256(f"{model.name}/{name}".encode()).hexdigest()
                   [:8], 16)
        rng = np.random.default_rng(seed)
        out[name] = (rng.standard_t(5, (min(n, n_max), min(k, k_max))) *
                     0.02).astype(np.float32)
    return out


def _paper_proxy_weights():
    """bench/paper/run.py's Pareto matrices: seeded (2025) Gaussian and
    Student-t (3 dof) 512 x 1024, drawn in that order."""
    rng = np.random.default_rng(2025)
    return {"gaussian": (rng.standard_normal((512, 1024)) * 0.02).astype(
                np.float32),
            "heavy_tailed": (rng.standard_t(3, (512, 1024)) * 0.02).astype(
                np.float32)}


def _sqnr(bitmod, weights, dtype, group_size):
    sig = err = 0.0
    for w in weights.values():
        st = bitmod.compute_stats(w, bitmod.fake_quantize(
            w, dtype, group_size=group_size, num_threads=1))
        sig += st["sum_squared_signal"]
        err += st["sum_squared_error"]
    return float("inf") if err == 0 else float(10 * np.log10(sig / err))


def simulate_gemms(gemms, dtype, accel, group_size, workdir):
    """Compiles the linear layers of `gemms` ((phase, name, M, N, K, count)
    records) as bench/paper does: `bitmod.linear` ops with splat weights ->
    bitmod-opt --bitmod-quantize --bitmod-tile --bitmod-bit-serial-schedule
    -> bitmod-translate --emit-isa -> bitmod-sim --timing-only. Returns
    {(name, M): (cycles, energy_pj)} per launch of the report."""
    import subprocess

    import bitmod
    layers = sorted({(name, n, k) for _, name, _, n, k, _ in gemms})
    tokens = sorted({m for _, _, m, _, _, _ in gemms})
    src, bc, bmod, rep = (os.path.join(workdir, f) for f in (
        "layers.mlir", "layers.mlirbc", "layers.bmod", "report.json"))
    with open(src, "w") as f:
        f.write(bm.linear_workload_mlir(layers, tokens))
    tile = "--bitmod-tile"
    if accel:
        path = os.path.join(workdir, "accel.json")
        with open(path, "w") as f:
            json.dump(accel, f)
        tile += "=accel=" + path

    def run(tool, *args):
        r = subprocess.run([bitmod.find_tool(tool), *args],
                           capture_output=True, text=True)
        if r.returncode:
            raise bitmod.Error(f"{tool} failed: {r.stderr.strip()[-2000:]}")

    run("bitmod-opt", src,
        f"--bitmod-quantize=dtype={dtype} group-size={group_size}", tile,
        "--bitmod-bit-serial-schedule", "--emit-bytecode", "-o", bc)
    run("bitmod-translate", "--emit-isa", bc, "-o", bmod)
    run("bitmod-sim", bmod, "--timing-only", "--report", rep)
    with open(rep) as f:
        report = json.load(f)
    return {l["name"]: (float(l["cycles"]), float(l["energy_pj"]["total"]))
            for l in report["layers"]}


def evaluate_point(point):
    """Evaluates one (model, dtype, accel) point; returns a result row."""
    import tempfile

    import bitmod
    model = point["model_shape"]
    dtype = point["dtype"]
    accel = point["accel_config"]
    timing = point.get("timing", "cost-model")
    row = {"model": model.name, "dtype": dtype, "accel": point["accel"],
           "timing": timing}
    totals = {"prefill": [0, 0.0], "decode": [0, 0.0]}
    gemms = model_gemms(model, point["prompt"], point.get("decode_steps", 1),
                        point.get("scope", "model"))
    simulated = None
    if timing == "sim":
        with tempfile.TemporaryDirectory(prefix="bitmod-dse-") as tmp:
            simulated = simulate_gemms(gemms, dtype, accel,
                                       point["group_size"], tmp)
    for phase, name, m, n, k, count in gemms:
        c = bitmod.estimate(m, n, k, dtype, accel=accel,
                            group_size=point["group_size"],
                            analytic=timing != "planned")
        cycles, energy = c["total_cycles"], c["energy_pj"]
        if simulated is not None:
            cycles, energy = simulated[bm.launch_name(name, m)]
        totals[phase][0] += cycles * count
        totals[phase][1] += energy * count
        bits = c["bits_per_weight"]
    row["prefill_cycles"], row["prefill_energy_pj"] = totals["prefill"]
    row["decode_cycles"], row["decode_energy_pj"] = totals["decode"]
    row["cycles"] = row["prefill_cycles"] + row["decode_cycles"]
    row["energy_pj"] = row["prefill_energy_pj"] + row["decode_energy_pj"]
    row["edp"] = row["cycles"] * row["energy_pj"]
    row["bits_per_weight"] = bits
    row["weight_bytes"] = int(model.weight_count() * bits / 8)
    g = point["group_size"]
    row["sqnr_db_gaussian"] = row["sqnr_db_heavy_tailed"] = ""
    if point.get("proxy") == "paper":
        for name, w in _paper_proxy_weights().items():
            row["sqnr_db_" + name] = _sqnr(bitmod, {name: w}, dtype, g)
        row["sqnr_db"] = row["sqnr_db_heavy_tailed"]
    else:
        row["sqnr_db"] = _sqnr(bitmod, _proxy_weights(model), dtype, g)
    cfg = bitmod.accel_config(accel)
    row["num_pes"] = cfg["num_tiles"] * cfg["tile_rows"] * cfg["tile_cols"]
    # The area proxy: PEs x the description's PE area (the paper's, or the
    # Yosys-derived hw/synth/accel-rtl-area.json), before place and route.
    row["compute_area_mm2"] = row["num_pes"] * cfg["pe_area_um2"] / 1e6
    row["buffer_kib"] = (cfg["act_buffer_bytes"] + cfg["wgt_buffer_bytes"]) // 1024
    row["accel_config"] = json.dumps(accel, sort_keys=True)
    return row


#--- The table -------------------------------------------------------------

def point_key(model, dtype, accel):
    return (model, dtype, accel)


def read_table(path):
    if not os.path.isfile(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def append_row(path, row):
    new = not os.path.isfile(path) or os.path.getsize(path) == 0
    if not new:
        with open(path, newline="") as f:
            header = next(csv.reader(f), [])
        if header != FIELDS:
            raise ValueError(
                f"{path}: the table has other columns than this version "
                f"writes ({', '.join(sorted(set(FIELDS) ^ set(header)))}); "
                "use another --out")
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            w.writeheader()
        w.writerow({k: row[k] for k in FIELDS})
        f.flush()
        os.fsync(f.fileno())


#--- Plots -------------------------------------------------------------------

def pareto_front(points):
    """Indices of the points not dominated in (low x, high y)."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0],
                                                      -points[i][1]))
    front, best = [], -float("inf")
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def plot_pareto(rows, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = []
    for model in sorted({r["model"] for r in rows}):
        mrows = [r for r in rows if r["model"] == model]
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        for ax, xkey, xlabel, logx in (
                (axes[0], "edp", "energy-delay product (pJ x cycles)", True),
                (axes[1], "compute_area_mm2",
                 "compute area (mm2: PEs x pe_area_um2)", False)):
            pts = [(float(r[xkey]), float(r["sqnr_db"])) for r in mrows]
            for dtype in sorted({r["dtype"] for r in mrows}):
                sel = [p for p, r in zip(pts, mrows) if r["dtype"] == dtype]
                ax.scatter(*zip(*sel), label=dtype, s=18)
            front = [pts[i] for i in pareto_front(pts)]
            ax.plot(*zip(*front), "k--", lw=1, label="Pareto front")
            if logx:
                ax.set_xscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("SQNR (dB)")
        axes[0].legend(fontsize=7)
        fig.suptitle(f"{model}: accuracy proxy vs cost")
        fig.tight_layout()
        path = os.path.join(out_dir, "pareto_%s.png" % "".join(
            c if c.isalnum() or c in "-_." else "_" for c in model))
        fig.savefig(path, dpi=110)
        plt.close(fig)
        files.append(path)
    return files


#--- Driver ----------------------------------------------------------------

def build_points(models, dtypes, grid, prompt, group_size, options=None):
    """One dict per (model, dtype, accel) point; `options` (decode_steps,
    scope, proxy, timing) are copied into each."""
    points = []
    for model in models:
        for dtype in dtypes:
            for accel_name, accel_cfg in grid:
                points.append({"model_shape": model, "dtype": dtype,
                               "accel": accel_name, "accel_config": accel_cfg,
                               "prompt": prompt, "group_size": group_size,
                               **(options or {})})
    return points


def run_sweep(models, dtypes, grid, out_dir, scheduler=None, workers=2,
              prompt=bm.PROMPT_TOKENS, group_size=128, limit=None,
              plots=True, log=sys.stderr, options=None):
    """Runs the missing points of the sweep; returns (all rows, computed)."""
    from dask.distributed import Client, LocalCluster, as_completed
    os.makedirs(out_dir, exist_ok=True)
    table = os.path.join(out_dir, "results.csv")
    done = {point_key(r["model"], r["dtype"], r["accel"])
            for r in read_table(table)}
    points = [p for p in build_points(models, dtypes, grid, prompt, group_size,
                                      options)
              if point_key(p["model_shape"].name, p["dtype"], p["accel"])
              not in done]
    total = len(points) + len(done)
    print(f"bitmod.dse: {len(done)} of {total} points in {table}, "
          f"{len(points)} to compute", file=log)
    if limit is not None:
        points = points[:limit]
    computed = 0
    if points:
        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        try:
            futures = client.map(evaluate_point, points, pure=False)
            start = time.time()
            for future in as_completed(futures):
                row = future.result()
                append_row(table, row)
                computed += 1
                print(f"[{len(done) + computed}/{total}] {row['model']} "
                      f"{row['dtype']} {row['accel']}: sqnr "
                      f"{row['sqnr_db']:.2f} dB, edp {row['edp']:.3e} "
                      f"({time.time() - start:.1f} s)", file=log)
        finally:
            client.close()
            if cluster:
                cluster.close()
    rows = read_table(table)
    if plots and rows:
        for f in plot_pareto(rows, out_dir):
            print(f"bitmod.dse: wrote {f}", file=log)
    return rows, computed


def run_paper_eval(out_dir, scheduler=None, workers=2, paper_args=(),
                   log=sys.stderr, command=None):
    """bench/paper/run.py's whole evaluation (the speed-up scenarios,
    energy, ablations and Fig. 9: results.json, results.md, figures) with
    its per-model compile + timing-only simulation on Dask: one task per
    model. Needs the source tree (bench/paper); returns the results dict."""
    from dask.distributed import Client, LocalCluster, as_completed
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    paper_dir = os.path.join(root, "bench", "paper")
    if not os.path.isfile(os.path.join(paper_dir, "run.py")):
        raise FileNotFoundError(
            f"--preset paper-eval needs the source tree ({paper_dir})")
    if paper_dir not in sys.path:
        sys.path.insert(0, paper_dir)
    import run as paper_run
    try:  # workers need not have bench/paper on their path
        import cloudpickle
        cloudpickle.register_pickle_by_value(paper_run)
    except (ImportError, AttributeError):
        pass
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)

    def model_map(fn, models):
        futures = client.map(fn, models, pure=False)
        names = {f.key: m.name for f, m in zip(futures, models)}
        start = time.time()
        for i, f in enumerate(as_completed(futures), 1):
            f.result()
            print(f"[{i}/{len(futures)}] {names[f.key]} compiled and "
                  f"simulated ({time.time() - start:.1f} s)", file=log)
        return [f.result() for f in futures]

    try:
        return paper_run.main(["--out-dir", out_dir, *paper_args],
                              model_map=model_map, command=command)
    finally:
        client.close()
        if cluster:
            cluster.close()


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m bitmod.dse",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--models", help="comma list: paper names or config.json")
    ap.add_argument("--dtypes", help="comma list of data types")
    ap.add_argument("--accel-grid", help="accelerator grid JSON")
    ap.add_argument("--preset", choices=["paper", "paper-pareto",
                                         "paper-eval"],
                    help="paper: the six paper models x the Fig. 9 data "
                    "types on the paper accelerator; paper-pareto: "
                    "bench/paper's Fig. 9 points (Llama-2-7B, one decoder "
                    "layer, prefill + 20 decode steps, SQNR on its seeded "
                    "matrices), = bench/results.json's 'pareto'; "
                    "paper-eval: bench/paper/run.py's whole evaluation "
                    "(compile + timing simulation per model, one Dask task "
                    "each) -> OUT/results.json like bench/results.json")
    ap.add_argument("--paper-args", default="",
                    help="paper-eval: extra bench/paper/run.py options, "
                    "e.g. '--quick' or '--models llama-2-7b --tools DIR'")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--scheduler", help="tcp://HOST:PORT of a Dask cluster")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--prompt", type=int, default=bm.PROMPT_TOKENS)
    ap.add_argument("--group-size", type=int, default=128)
    ap.add_argument("--limit", type=int,
                    help="stop after this many new points (resume later)")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--timing", choices=["cost-model", "planned", "sim"],
                    default="cost-model",
                    help="cost-model (default): the closed-form estimate "
                    "per GEMM; planned: the planner's best plan through the "
                    "timing model per GEMM (slower); "
                    "sim: compile the point's linear layers and run "
                    "bitmod-sim --timing-only on the program (seconds per "
                    "point; use a separate --out)")
    args = ap.parse_args(argv)
    if args.preset == "paper-eval":
        import shlex
        results = run_paper_eval(
            args.out, scheduler=args.scheduler, workers=args.workers,
            paper_args=shlex.split(args.paper_args),
            command="python3 -m bitmod.dse " + shlex.join(
                argv if argv is not None else sys.argv[1:]))
        print("bitmod.dse: wrote %s" % os.path.join(args.out, "results.json"),
              file=sys.stderr)
        return 0 if results else 1
    options = {}
    if args.preset == "paper":
        models = list(bm.PAPER_MODELS)
        dtypes = PAPER_PRESET_DTYPES
    elif args.preset == "paper-pareto":
        models = [bm.get_model("Llama-2-7B")]
        dtypes = PAPER_PRESET_DTYPES
        # bench/paper's Fig. 9 points use the planned estimate
        # (sim::estimate), so the preset does too.
        options = {"decode_steps": bm.PAPER_DECODE_STEPS, "scope": "layer",
                   "proxy": "paper", "timing": "planned"}
    else:
        if not args.models or not args.dtypes:
            ap.error("--models and --dtypes are required without --preset")
        models = [resolve_model(m) for m in args.models.split(",")]
        dtypes = args.dtypes.split(",")
    if args.models and args.preset:
        models = [resolve_model(m) for m in args.models.split(",")]
    if args.dtypes and args.preset:
        dtypes = args.dtypes.split(",")
    if args.timing != "cost-model":
        options["timing"] = args.timing
    import bitmod
    for d in dtypes:
        bitmod.dtype_info(d)  # unknown names fail before the cluster starts
    grid = load_accel_grid(args.accel_grid)
    for _, cfg in grid:
        bitmod.accel_config(cfg)
    rows, computed = run_sweep(models, dtypes, grid, args.out,
                               scheduler=args.scheduler, workers=args.workers,
                               prompt=args.prompt, group_size=args.group_size,
                               limit=args.limit, plots=not args.no_plots,
                               options=options)
    print(f"bitmod.dse: computed {computed} points; table has {len(rows)} "
          f"rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""bitmod.dse: HF config.json models, a 3 x 4 x 4 sweep on a 2-worker
LocalCluster, resume after an interruption, the same table from a
separately started dask-scheduler + dask-worker, and the Pareto plots."""

import csv
import json
import os
import socket
import subprocess
import sys
import time

import pytest

pytest.importorskip("dask.distributed")
bitmod = pytest.importorskip("bitmod")
if not hasattr(bitmod, "estimate"):
    pytest.skip("bitmod._core is not built", allow_module_level=True)

from bitmod import dse  # noqa: E402

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DTYPES = "bitmod3,bitmod4,int4,int8"
GRID = [
    {"name": "paper", "config": {}},
    {"name": "bw16", "config": {"dram_bytes_per_cycle": 16}},
    {"name": "tiles8", "config": {"num_tiles": 8, "disc_grid_rows": 2,
                                  "disc_grid_cols": 4, "gen_grid_rows": 1,
                                  "gen_grid_cols": 8}},
    {"name": "buf256k", "config": {"act_buffer_bytes": 262144,
                                   "wgt_buffer_bytes": 262144}},
]


def hf_config(tmp_path, name, **kw):
    cfg = {"_name_or_path": f"test/{name}", "hidden_size": 128,
           "num_hidden_layers": 2, "num_attention_heads": 4,
           "intermediate_size": 256, "vocab_size": 500, "hidden_act": "silu"}
    cfg.update(kw)
    d = tmp_path / name
    d.mkdir()
    (d / "config.json").write_text(json.dumps(cfg))
    return str(d / "config.json")


def test_hf_config_shapes(tmp_path):
    m = dse.model_from_hf_config(hf_config(
        tmp_path, "gqa", num_key_value_heads=2, hidden_size=256,
        intermediate_size=512))
    assert (m.name, m.hidden, m.ffn, m.heads, m.kv_heads, m.layers,
            m.vocab, m.mlp) == ("gqa", 256, 512, 4, 2, 2, 500, "swiglu")
    assert ("k_proj", 128, 256) in m.linear_layers()
    opt = dse.model_from_hf_config({"_name_or_path": "facebook/opt-1.3b",
                                    "hidden_size": 2048, "ffn_dim": 8192,
                                    "num_attention_heads": 32,
                                    "num_hidden_layers": 24,
                                    "vocab_size": 50272,
                                    "activation_function": "relu",
                                    "model_type": "opt"})
    paper = bitmod.bench_models.get_model("OPT-1.3B")
    assert opt.linear_layers() == paper.linear_layers()
    with pytest.raises(ValueError, match="vocab_size"):
        dse.model_from_hf_config({"hidden_size": 8, "num_attention_heads": 2,
                                  "num_hidden_layers": 1})


def run_cli(args, env_extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = PYTHON_DIR + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    r = subprocess.run([sys.executable, "-m", "bitmod.dse"] + args,
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stderr


def table(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {(r["model"], r["dtype"], r["accel"]): r for r in rows}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sweep_resume_and_external_cluster(tmp_path):
    models = ",".join(hf_config(tmp_path, n, num_hidden_layers=i + 1)
                      for i, n in enumerate(("m1", "m2", "m3")))
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps(GRID))
    common = ["--models", models, "--dtypes", DTYPES, "--accel-grid",
              str(grid), "--prompt", "16"]
    # Interrupted after 20 points, then resumed: only the 28 missing run.
    out = tmp_path / "local"
    log = run_cli(common + ["--out", str(out), "--limit", "20",
                            "--no-plots"])
    assert "computed 20 points" in log
    assert len(table(out / "results.csv")) == 20
    log = run_cli(common + ["--out", str(out)])
    assert "20 of 48 points" in log and "computed 28 points" in log
    local = table(out / "results.csv")
    assert len(local) == 48
    assert sorted(p.name for p in out.glob("pareto_*.png")) == [
        "pareto_m1.png", "pareto_m2.png", "pareto_m3.png"]
    log = run_cli(common + ["--out", str(out), "--no-plots"])
    assert "computed 0 points" in log

    # The same sweep on a separately started scheduler + worker.
    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = PYTHON_DIR + os.pathsep + env.get("PYTHONPATH", "")
    sched = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
         "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        time.sleep(2)
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker",
             f"tcp://127.0.0.1:{port}", "--nworkers", "1", "--nthreads", "1",
             "--no-dashboard"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        remote_out = tmp_path / "remote"
        run_cli(common + ["--out", str(remote_out), "--no-plots",
                          "--scheduler", f"tcp://127.0.0.1:{port}"])
        remote = table(remote_out / "results.csv")
    finally:
        for p in (worker, sched):
            if p:
                p.terminate()
                p.wait(timeout=30)
    assert remote == local


def test_unknown_dtype_fails_before_the_cluster(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = PYTHON_DIR + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-m", "bitmod.dse", "--models",
                        "Tiny-GQA", "--dtypes", "int7", "--out",
                        str(tmp_path)], capture_output=True, text=True,
                       env=env)
    assert r.returncode != 0 and "unknown data type 'int7'" in r.stderr


def test_table_of_another_version_is_refused(tmp_path):
    table = tmp_path / "results.csv"
    table.write_text("model,dtype,num_pes\nTiny-GQA,int8,1024\n")
    row = {k: "" for k in dse.FIELDS}
    with pytest.raises(ValueError, match="compute_area_mm2"):
        dse.append_row(str(table), row)


def test_area_proxy_is_the_pe_area_of_the_description():
    point = {"model_shape": dse.resolve_model("Tiny-GQA"), "dtype": "int8",
             "accel": "rtl", "accel_config": {"pe_area_um2": 2646.9},
             "prompt": 16, "group_size": 128}
    row = dse.evaluate_point(point)
    assert row["num_pes"] == 1024
    assert row["compute_area_mm2"] == pytest.approx(1024 * 2646.9 / 1e6)


def test_pareto_front():
    pts = [(1, 10), (2, 5), (3, 20), (4, 15), (0.5, 1)]
    assert sorted(dse.pareto_front(pts)) == [0, 2, 4]


def test_paper_pareto_preset_reproduces_results_json(tmp_path):
    """--preset paper-pareto gives bench/results.json's Fig. 9 points."""
    ref_path = os.path.join(PYTHON_DIR, "..", "bench", "results.json")
    with open(ref_path) as f:
        ref = json.load(f)["pareto"]
    run_cli(["--preset", "paper-pareto", "--out", str(tmp_path),
             "--no-plots"])
    rows = {k[1]: r for k, r in table(tmp_path / "results.csv").items()}
    assert sorted(rows) == sorted(p["dtype"] for p in ref)
    for p in ref:
        r = rows[p["dtype"]]
        assert float(r["cycles"]) == p["cycles"], p["dtype"]
        assert float(r["energy_pj"]) == pytest.approx(p["energy_pj"],
                                                      rel=1e-9)
        assert float(r["edp"]) == pytest.approx(p["edp"], rel=1e-9)
        assert float(r["bits_per_weight"]) == p["bits_per_weight"]
        for proxy in ("gaussian", "heavy_tailed"):
            assert float(r["sqnr_db_" + proxy]) == pytest.approx(
                p["sqnr_db_" + proxy], rel=1e-9), (p["dtype"], proxy)


def test_sim_timing_point(tmp_path):
    """--timing sim compiles the point's linear layers and runs
    bitmod-sim --timing-only: its cycles are the simulator's, close to the
    cost model's (which the simulator reproduces where nothing contends)."""
    cfg = hf_config(tmp_path, "small")
    out = tmp_path / "sim"
    log = run_cli(["--models", cfg, "--dtypes", "bitmod3", "--out", str(out),
                   "--workers", "1", "--timing", "sim", "--no-plots"])
    assert "[1/1] small bitmod3 paper" in log
    (row,) = table(out / "results.csv").values()
    assert row["timing"] == "sim"
    point = dse.build_points([dse.resolve_model(cfg)], ["bitmod3"],
                             [("paper", {})], dse.bm.PROMPT_TOKENS, 128)[0]
    model_row = dse.evaluate_point(point)
    assert model_row["timing"] == "cost-model"
    ratio = float(row["cycles"]) / model_row["cycles"]
    assert 0.9 <= ratio <= 1.5, ratio
    assert float(row["cycles"]) != model_row["cycles"]
    # The accuracy proxy and the cost columns other than timing agree.
    assert float(row["sqnr_db"]) == pytest.approx(model_row["sqnr_db"])
    assert float(row["bits_per_weight"]) == model_row["bits_per_weight"]


def test_sim_timing_names_a_failing_tool(tmp_path):
    point = dse.build_points([bitmod.bench_models.TINY_MODEL], ["bitmod3"],
                             [("bad", {"num_tiles": 3})], 8, 128,
                             {"timing": "sim"})[0]
    with pytest.raises(bitmod.Error, match="bitmod-opt failed"):
        dse.evaluate_point(point)


def test_paper_eval_preset_matches_run_py(tmp_path):
    """--preset paper-eval runs bench/paper/run.py's evaluation with one
    Dask task per model; the results equal run.py's own (its --quick
    configuration here: the full six-model run took 37 minutes on 2 shared
    cores, 2026-12-02)."""
    tools = bitmod.tools_dir()
    args = f"--quick --no-pareto --tools {tools} --jobs 1"
    run_cli(["--preset", "paper-eval", "--out", str(tmp_path / "dask"),
             "--workers", "1", "--paper-args", args])
    r = subprocess.run(
        [sys.executable, os.path.join(PYTHON_DIR, "..", "bench", "paper",
                                      "run.py"),
         *args.split(), "--out-dir", str(tmp_path / "direct")],
        capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    got, ref = (json.load(open(tmp_path / d / "results.json"))
                for d in ("dask", "direct"))
    # The preset records its own command line and its workers' tool CPU.
    assert got["config"]["command"].startswith(
        "python3 -m bitmod.dse --preset paper-eval")
    assert ref["config"]["command"].startswith("bench/paper/run.sh --quick")
    assert got["config"]["tool_cpu_seconds"] > 0
    for res in (got, ref):
        res.pop("config")
    assert got == ref
    assert (tmp_path / "dask" / "results.md").is_file()

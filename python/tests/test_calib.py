"""AWQ and GPTQ of lib/Quant (through `bitmod-quant --method`) against the
independent numpy implementation in bitmod.calib_ref, on seeded data, plus
the bad-input paths of the calibration statistics.

Both sides make the same float32 roundings, so the chosen alpha, clip ratios,
group parameters and codes are expected to agree; the comparison allows a
handful of elements to differ (a GPTQ value sitting on a rounding midpoint
after the error compensation, whose double-precision history differs: the
C++ code uses the reversed-Cholesky inverse factor and lazy block updates,
the reference inv() + cholesky() and immediate updates).
"""

import json
import os
import subprocess

import numpy as np
import pytest

from bitmod import calib_ref as cr

TOOLS = os.environ.get("BITMOD_TOOLS_DIR", "/work/main/build/bin")
TOOL = os.path.join(TOOLS, "bitmod-quant")


@pytest.fixture(autouse=True)
def _require_tool():
    if not os.path.exists(TOOL):
        pytest.skip(f"{TOOL} not built")


def _data(seed, n=48, k=200, t=300):
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((n, k)) * 0.05).astype(np.float32)
    w[1, 7] = 0.6  # an outlier
    scale = np.exp(1.2 * rng.standard_normal(k)).astype(np.float32)
    x = (rng.standard_normal((t, k)) * scale).astype(np.float32)
    x[:, 5] *= 20  # a salient channel
    return w, x


def _run(tmp_path, w, x, *args, stats_dir=None):
    wp, xp = tmp_path / "w.npy", tmp_path / "x.npy"
    out, rep = tmp_path / "q.npy", tmp_path / "r.json"
    np.save(wp, w)
    cmd = [TOOL, str(wp), "-o", str(out), "--report", str(rep), *args]
    if stats_dir is None:
        np.save(xp, x)
        cmd += ["--calib-acts", str(xp)]
    else:
        cmd += ["--calib-stats", str(stats_dir)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return np.load(out), json.loads(rep.read_text())


def _close(a, b, max_mismatch=0.002):
    frac = np.mean(a != b)
    assert frac <= max_mismatch, f"{frac:.4%} of elements differ"


CASES = [("bitmod3", 64, 8), ("bitmod4", 64, 8), ("int3_asym", 64, 8),
         ("int4_asym", 32, 8), ("int8", 64, 8), ("fp4", 64, 0),
         ("mxfp4", 32, 8)]


@pytest.mark.parametrize("dtype,group,bits", CASES)
def test_gptq_matches_numpy(tmp_path, dtype, group, bits):
    w, x = _data(1)
    st = cr.stats_from_acts(x)
    q, rep = _run(tmp_path, w, x, "--method=gptq", f"--dtype={dtype}",
                  f"--group-size={group}", f"--scale-bits={bits}")
    ref = cr.gptq_ref(w, st, dtype, group, bits)
    _close(q, ref)
    err = cr.output_error(w, q, st[2], st[0])
    assert err == pytest.approx(rep["output_error"], rel=1e-4)
    assert rep["output_error"] < rep["rtn_output_error"]


@pytest.mark.parametrize("dtype", ["bitmod3", "int3_asym"])
def test_gptq_act_order_matches_numpy(tmp_path, dtype):
    w, x = _data(2)
    st = cr.stats_from_acts(x)
    q, rep = _run(tmp_path, w, x, "--method=gptq", "--gptq-act-order",
                  f"--dtype={dtype}", "--group-size=64", "--gptq-block=32")
    _close(q, cr.gptq_ref(w, st, dtype, 64, 8, act_order=True))
    assert rep["output_error"] < rep["rtn_output_error"]


@pytest.mark.parametrize("dtype,group,bits", CASES)
def test_awq_matches_numpy(tmp_path, dtype, group, bits):
    w, x = _data(3)
    st = cr.stats_from_acts(x)
    q, rep = _run(tmp_path, w, x, "--method=awq", f"--dtype={dtype}",
                  f"--group-size={group}", f"--scale-bits={bits}",
                  "--awq-search-rows=16")
    ref, inv, alpha = cr.awq_ref(w, st, dtype, group, bits, search_rows=16)
    assert rep["alpha"] == pytest.approx(alpha)
    _close(q, ref, 0.0)
    assert rep["output_error"] <= rep["rtn_output_error"]


def test_stats_roundtrip_and_reuse(tmp_path):
    w, x = _data(4, k=96)
    sd = tmp_path / "saved"
    q1, _ = _run(tmp_path, w, x, "--method=gptq", "--dtype=bitmod3",
                 "--save-calib-stats", str(sd))
    st = cr.read_stats(str(sd))["layer"]
    cnt, sa, g = cr.stats_from_acts(x)
    assert st[0] == cnt
    np.testing.assert_allclose(st[1], sa, rtol=1e-12)
    np.testing.assert_allclose(st[2], g, rtol=1e-10, atol=1e-9)
    # Statistics written by numpy are read back and give the same result.
    nd = tmp_path / "numpy-stats"
    cr.write_stats(str(nd), {"layer": x})
    q2, _ = _run(tmp_path, w, x, "--method=gptq", "--dtype=bitmod3",
                 stats_dir=nd)
    _close(q1, q2)


def test_singular_hessian_and_dead_channels(tmp_path):
    # 6 samples for K = 64 (rank 6) and two channels that are always 0: the
    # dampening keeps H positive definite; dead channels' weights become 0.
    w, x = _data(5, n=16, k=64, t=6)
    x[:, [10, 11]] = 0
    q, rep = _run(tmp_path, w, x, "--method=gptq", "--dtype=int4_asym",
                  "--group-size=32")
    assert "dead input channel" in rep["note"]
    assert np.all(q[:, [10, 11]] == 0)
    st = cr.stats_from_acts(x)
    _close(q, cr.gptq_ref(w, st, "int4_asym", 32, 8))


def _fail(tmp_path, args, match):
    np.save(tmp_path / "w.npy", _data(6, n=4, k=32)[0])
    p = subprocess.run([TOOL, str(tmp_path / "w.npy"), "-o",
                        str(tmp_path / "q.npy"), *args],
                       capture_output=True, text=True)
    assert p.returncode != 0
    assert match in p.stderr, p.stderr


def test_bad_calibration_inputs(tmp_path):
    x = np.ones((8, 32), np.float32)
    x[3, 4] = np.nan
    np.save(tmp_path / "nan.npy", x)
    _fail(tmp_path, ["--method=gptq", "--calib-acts", str(tmp_path / "nan.npy")],
          "non-finite activation nan at row 3, channel 4")
    np.save(tmp_path / "shape.npy", np.ones((8, 31), np.float32))
    _fail(tmp_path, ["--method=awq", "--calib-acts",
                     str(tmp_path / "shape.npy")], "must be [T, K] with K = 32")
    np.save(tmp_path / "int.npy", np.ones((8, 32), np.int32))
    _fail(tmp_path, ["--method=awq", "--calib-acts", str(tmp_path / "int.npy")],
          "expected float32 or float16 activations, got int32")
    np.save(tmp_path / "empty.npy", np.ones((0, 32), np.float32))
    _fail(tmp_path, ["--method=gptq", "--calib-acts",
                     str(tmp_path / "empty.npy")], "empty calibration set")
    _fail(tmp_path, ["--method=gptq"], "needs calibration data")
    _fail(tmp_path, ["--method=foo", "--calib-acts",
                     str(tmp_path / "shape.npy")], "unknown method 'foo'")
    _fail(tmp_path, ["--method=gptq", "--dtype=fp16", "--calib-acts",
                     str(tmp_path / "int.npy").replace("int", "shape")],
          "must be [T, K]")


def test_bad_stats_directory(tmp_path):
    good = np.random.default_rng(0).standard_normal((16, 32)).astype(np.float32)
    d = tmp_path / "st"
    cr.write_stats(str(d), {"fc": good})
    meta = json.loads((d / "stats.json").read_text())
    # wrong version
    (d / "stats.json").write_text(json.dumps({**meta, "version": 7}))
    _fail(tmp_path, ["--method=awq", "--calib-stats", str(d)],
          "unsupported version 7")
    (d / "stats.json").write_text(json.dumps(meta))
    # wrong dtype, wrong shape, NaN, empty set, unknown layer
    np.save(d / "layer0.gram.npy", np.zeros((32, 32), np.float32))
    _fail(tmp_path, ["--method=awq", "--calib-stats", str(d)],
          "expected float64, got float32")
    np.save(d / "layer0.gram.npy", np.zeros((32, 31)))
    _fail(tmp_path, ["--method=awq", "--calib-stats", str(d)],
          "expected shape [32, 32], got [32, 31]")
    g = np.eye(32)
    g[2, 3] = np.nan
    np.save(d / "layer0.gram.npy", g)
    _fail(tmp_path, ["--method=gptq", "--calib-stats", str(d)],
          "non-finite Gram matrix entry [2, 3]")
    np.save(d / "layer0.gram.npy", np.eye(32))
    (d / "stats.json").write_text(json.dumps(
        {**meta, "layers": [{**meta["layers"][0], "count": 0}]}))
    _fail(tmp_path, ["--method=gptq", "--calib-stats", str(d)],
          "empty calibration set")
    (d / "stats.json").write_text(json.dumps(meta))
    _fail(tmp_path, ["--method=gptq", "--calib-stats", str(d),
                     "--calib-layer", "nope"], "has no layer 'nope'")

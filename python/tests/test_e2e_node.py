"""End-to-end: ONNX backend node tests through bitmod-compile --dtype=none.

Every /usr/share/libonnx-testdata/data/node/*/ model is compiled into a
model.sim (host-only, float32), run on its stored test_data_set_0 inputs
(.pb) and compared with the stored outputs at rtol 1e-3, atol 1e-5.

Graph inputs/outputs may be f32, f16, f64, bool, int8..int64 and
uint8..uint64 (the host-entry ABI, docs/host-lowering.md); outputs are
compared by value and their .npy dtype must match the ONNX type. A model
the importer refuses because a shape-like operand (Reshape's shape,
Resize's scales, ...) is a graph input is compiled again with that
operand bound to its test value (bitmod/node_binding.py).

Prints "N passed, M failed, S skipped (not importable)" (plus the models
whose interface is not supported: bf16, dynamic shapes), and writes it to
$BITMOD_E2E_SUMMARY when set (scripts/run-tests.sh prints it).

Every model runs by default (7.5 minutes on 2 cores);
BITMOD_E2E_SUBSET=1 takes every 12th model in sorted order for a quick run.
Run as a script for per-model failure reasons.
Environment: BITMOD_TOOLS_DIR, ONNX_NODE_DIR, BITMOD_E2E_JOBS,
BITMOD_E2E_FILTER (a glob on the model directory name, e.g. 'test_pow*').
"""

import fnmatch
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from bitmod.node_binding import bind_args  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS = os.environ.get("BITMOD_TOOLS_DIR", os.path.join(ROOT, "build", "bin"))
COMPILE = os.path.join(TOOLS, "bitmod-compile")
NODE_DIR = os.environ.get("ONNX_NODE_DIR",
                          "/usr/share/libonnx-testdata/data/node")
RTOL, ATOL = 1e-3, 1e-5
SUBSET_STRIDE = 12


def _sanitize(name):
    return "".join(c if c.isalnum() or c in "_-." else "_" for c in name)


def run_case(case_dir, work):
    """Returns (status, detail): status in passed, failed, not-importable,
    unsupported-interface."""
    name = os.path.basename(case_dir)
    out = os.path.join(work, name)
    model_path = os.path.join(case_dir, "model.onnx")
    command = [COMPILE, model_path, "-o", out, "--dtype=none", "--quiet",
               "--cxx-flags=-O0"]
    r = subprocess.run(command, capture_output=True, text=True, timeout=600)
    binds = []
    if r.returncode > 0 and "must be a constant" in r.stderr:
        # A shape-like operand passed as a graph input: bind it to its test
        # value, as a user would (bitmod/node_binding.py), and run the rest.
        binds = bind_args(model_path)
        r = subprocess.run(command + binds, capture_output=True, text=True,
                           timeout=600)
    if r.returncode != 0:
        if r.returncode < 0:
            return "failed", "bitmod-compile crashed (signal %d)" % -r.returncode
        err = r.stderr.strip()
        if "import of" in err:
            return "not-importable", err.splitlines()[-1] if err else ""
        if "graph inputs and outputs must be statically shaped" in err:
            return "unsupported-interface", err.splitlines()[0]
        return "failed", "compile: " + (err.splitlines()[0] if err else "?")
    model = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    data = os.path.join(case_dir, "test_data_set_0")
    args = [os.path.join(out, "model.sim"), "--output-dir",
            os.path.join(out, "res")]
    bound = {b.split("=")[1] for b in binds}
    for i, n in enumerate(inputs):
        if n not in bound:
            args += ["--input",
                     "%s=%s" % (n, os.path.join(data, "input_%d.pb" % i))]
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return "failed", "run: " + (r.stderr.strip().splitlines() or ["?"])[0]
    for i, o in enumerate(model.graph.output):
        t = onnx.TensorProto()
        with open(os.path.join(data, "output_%d.pb" % i), "rb") as f:
            t.ParseFromString(f.read())
        want = numpy_helper.to_array(t)
        got = np.load(os.path.join(out, "res", _sanitize(o.name) + ".npy"))
        if got.dtype != want.dtype:
            return "failed", "output %s: dtype %s, want %s" % (
                o.name, got.dtype, want.dtype)
        want = want.astype(np.float64)
        got = got.astype(np.float64)
        if got.shape != want.shape:
            return "failed", "output %s: shape %s, want %s" % (
                o.name, got.shape, want.shape)
        if not np.allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True):
            err = np.max(np.abs(got - want))
            return "failed", "output %s: max abs err %.3g" % (o.name, err)
    shutil.rmtree(out, ignore_errors=True)
    return "passed", ""


def run_case_guarded(case_dir, work):
    """run_case, with a harness error (timeout, unreadable data, a tool
    that cannot be executed) reported as that model's failure instead of
    ending the sweep."""
    try:
        return run_case(case_dir, work)
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        return "failed", "harness: %s: %s" % (type(e).__name__, e)


def sweep(full, verbose=False):
    cases = sorted(os.path.dirname(m) for m in
                   glob.glob(os.path.join(NODE_DIR, "*", "model.onnx")))
    pattern = os.environ.get("BITMOD_E2E_FILTER")
    if pattern:
        cases = [c for c in cases
                 if fnmatch.fnmatch(os.path.basename(c), pattern)]
    elif not full:
        cases = cases[::SUBSET_STRIDE]
    jobs = int(os.environ.get("BITMOD_E2E_JOBS", os.cpu_count() or 2))
    with tempfile.TemporaryDirectory(prefix="bitmod-e2e-node-") as work:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(zip(cases, pool.map(
                lambda c: run_case_guarded(c, work), cases)))
    by = {}
    for case, (status, detail) in results:
        by.setdefault(status, []).append((os.path.basename(case), detail))
    if verbose:
        for status in ("failed", "unsupported-interface"):
            for name, detail in by.get(status, []):
                print("%s %s: %s" % (status.upper(), name, detail))
    n = {k: len(v) for k, v in by.items()}
    summary = ("%d passed, %d failed, %d skipped (not importable)\n"
               "%d importable models have an unsupported interface "
               "(bf16 or dynamic); %d models in the %s\n"
               % (n.get("passed", 0), n.get("failed", 0),
                  n.get("not-importable", 0),
                  n.get("unsupported-interface", 0), len(cases),
                  "full sweep" if full and not pattern else
                  "selection (BITMOD_E2E_SUBSET/BITMOD_E2E_FILTER)"))
    sys.stdout.write(summary)
    if os.environ.get("BITMOD_E2E_SUMMARY"):
        with open(os.environ["BITMOD_E2E_SUMMARY"], "w") as f:
            f.write(summary)
            for name, detail in by.get("failed", []):
                f.write("FAILED %s: %s\n" % (name, detail))
    return by


def test_node_e2e():
    if not os.path.exists(COMPILE):
        pytest.skip("bitmod-compile not built")
    if not os.path.isdir(NODE_DIR):
        pytest.skip("no ONNX node test data")
    by = sweep(os.environ.get("BITMOD_E2E_SUBSET") != "1", verbose=True)
    assert by.get("passed"), "no node test passed"
    assert not by.get("failed"), by.get("failed")


if __name__ == "__main__":
    sweep("--subset" not in sys.argv, verbose=True)

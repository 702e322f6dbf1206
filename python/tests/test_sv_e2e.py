"""End-to-end: custom and searched special-value sets (docs/numerics.md,
"Special-value sets") through bitmod-compile and model.sim.

The README decoder block (examples/decoder_block.py, seven linear layers on
the accelerator) is compiled with a user-given set and with the per-layer
and per-model searches, at bitmod3 and bitmod4:

* model.mlir carries the sets on the !bitmod.qweights types, and the sets
  the compiler searched are the ones bitmod-quant searched on the same
  weights;
* every CONFIG of model.bmod programs its layer's set, and running
  model.bmod with the golden datapath gives the fast model's outputs bit
  for bit;
* model.sim is within DECODER_BOUND of ONNX Runtime on the model that
  bitmod-quant fake-quantized with the same set (or search).

Skips when bitmod-compile is not built or onnxruntime-node is missing.
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS = os.environ.get("BITMOD_TOOLS_DIR", os.path.join(ROOT, "build", "bin"))
COMPILE = os.path.join(TOOLS, "bitmod-compile")
QUANT = os.path.join(TOOLS, "bitmod-quant")
SIM = os.path.join(TOOLS, "bitmod-sim")
ORT_RUN = os.path.join(ROOT, "scripts", "ort_run.js")

# Same bound as test_e2e_models.py (about 2x the measured errors, ~1 FP16
# ulp of the output range): the set changes the weights, not the datapath.
DECODER_BOUND = 6e-4

CASES = [
    ("bitmod3", "--sv=3,-3,8,-8"),
    ("bitmod3", "--sv-search=layer"),
    ("bitmod4", "--sv=5,-5,24,-24"),
    ("bitmod4", "--sv-search=model"),
]


@pytest.fixture(autouse=True)
def _require_tools():
    for t in (COMPILE, QUANT, SIM):
        if not os.path.exists(t):
            pytest.skip(f"{t} not built")


def _run(args):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, "%s\n%s" % (" ".join(map(str, args)), r.stderr)
    return r


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    d = tmp_path_factory.mktemp("decoder")
    _run([sys.executable, os.path.join(ROOT, "examples", "decoder_block.py"),
          d])
    return d


def _ort(model, x, out_dir):
    try:
        r = subprocess.run(["node", ORT_RUN, model, "--output-dir", out_dir,
                            "--input", "x=%s" % x], capture_output=True,
                           text=True)
    except FileNotFoundError:
        pytest.skip("node is not installed")
    if r.returncode == 2:
        pytest.skip("onnxruntime-node is not installed")
    assert r.returncode == 0, r.stderr
    return np.load(os.path.join(out_dir, "y.npy"))


def _mlir_sets(text, dtype):
    """Special-value sets of the qweights types of the launches."""
    sets = []
    for m in re.finditer(r"bitmod_hw\.launch @(\S+)\(.*?!bitmod\.qweights<"
                         r"[^>]*?%s, group = \d+(?:, scale_bits = \d+)?"
                         r"(?:, sv = \[([-0-9, ]+)\])?>" % dtype, text):
        sets.append(tuple(int(v) for v in m.group(2).split(","))
                    if m.group(2) else None)
    return sets


PAPER = {"bitmod3": (3, -3, 6, -6), "bitmod4": (10, -10, 16, -16)}


@pytest.mark.parametrize("dtype,flag", CASES)
def test_sv_decoder(decoder, tmp_path, dtype, flag):
    model, x = decoder / "decoder.onnx", decoder / "x.npy"
    qmodel, rep = tmp_path / "q.onnx", tmp_path / "q.json"
    _run([QUANT, "--dtype=" + dtype, "--group-size=128", "--scale-bits=8",
          flag, model, "-o", qmodel, "--report", rep])
    with open(rep) as f:
        report = json.load(f)
    ref = _ort(qmodel, x, tmp_path / "ort")

    out = tmp_path / "out"
    _run([COMPILE, model, "-o", out, "--quiet", "--dtype=" + dtype, flag])
    _run([out / "model.sim", "--output-dir", out / "res", "--input",
          "x=%s" % x])
    y = np.load(out / "res" / "y.npy")
    err = float(np.max(np.abs(y.astype(np.float64) - ref)) /
                np.max(np.abs(ref)))

    # The sets on the types, against bitmod-quant's choice.
    mlir = open(out / "model.mlir").read()
    sets = [s or PAPER[dtype] for s in _mlir_sets(mlir, dtype)]
    assert len(sets) == 7, mlir[:2000]
    if flag.startswith("--sv="):
        want = [tuple(int(v) for v in flag[5:].split(","))] * 7
    elif flag.endswith("model"):
        want = [tuple(report["sv"])] * 7
    else:
        want = sorted(tuple(w["sv"]) for w in report["weights"])
        sets = sorted(sets)
    assert sets == want
    print("decoder %s %s: sets %s, max rel err vs ORT(fake-quant) %.3e" %
          (dtype, flag, sorted(set(sets)), err))
    assert err < DECODER_BOUND

    # Every CONFIG programs one of these sets; golden == fast bit for bit.
    listing = _run([SIM, "--disasm", "--no-weights", out / "model.bmod"]).stdout
    programmed = {tuple(int(v) for v in m.group(1).split(","))
                  for m in re.finditer(r"^\s*config .* sv=([-0-9,]+) ",
                                       listing, re.M)}
    assert programmed == set(sets)
    _run([SIM, out / "model.bmod", "--random-inputs", "3", "--output-dir",
          tmp_path / "fast"])
    _run([SIM, out / "model.bmod", "--random-inputs", "3", "--output-dir",
          tmp_path / "gold", "--golden"])
    names = sorted(os.listdir(tmp_path / "fast"))
    assert names and names == sorted(os.listdir(tmp_path / "gold"))
    for n in names:
        a = np.load(tmp_path / "fast" / n)
        b = np.load(tmp_path / "gold" / n)
        assert a.tobytes() == b.tobytes(), n

"""The Python API of bitmod-mlir (thin wrappers of the C++ core).

Every heavy function runs in C++ with the GIL released; C++ errors raise
`bitmod.Error` (a ValueError) with the C++ message. See docs/python.md.
"""

import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

from . import _core
from ._core import Error, PackedWeights, Program

__all__ = [
    "Error", "PackedWeights", "Program", "dtype_names", "dtype_info",
    "decode_code", "nominal_bits_per_weight", "quantize", "dequantize",
    "fake_quantize", "compute_stats", "sqnr", "mse", "accel_config",
    "estimate", "grouped_matmul", "read_bmod", "write_bmod", "tools_dir",
    "find_tool", "run_model_sim",
]

dtype_names = _core.dtype_names
dtype_info = _core.dtype_info
decode_code = _core.decode_code
nominal_bits_per_weight = _core.nominal_bits_per_weight


def quantize(weights, dtype="bitmod3", group_size=128, scale_bits=8,
             granularity="per-group", num_threads=0, name="weight"):
    """Quantizes a 2-D [N, K] float32/float16 array (groups along K).

    Returns a `PackedWeights`: `.codes`, `.group_scale_codes`,
    `.channel_scales`, `.selectors`, `.zero_points`, `.shared_exponents`
    are read-only numpy views of the packed storage (Quantizer.h layout).
    Non-contiguous or non-float32 input is converted first (a copy).
    """
    return _core.quantize(np.asarray(weights), dtype, group_size, scale_bits,
                          granularity, num_threads, name)


def dequantize(packed):
    """float32 [N, K] values of a `PackedWeights`."""
    return packed.dequantize()


def fake_quantize(weights, dtype="bitmod3", group_size=128, scale_bits=8,
                  granularity="per-group", num_threads=0, name="weight"):
    """quantize() then dequantize(): float32 [N, K] (like bitmod-quant's
    .npy mode, also for float16 input)."""
    return _core.fake_quantize(np.asarray(weights), dtype, group_size,
                               scale_bits, granularity, num_threads, name)


def compute_stats(original, dequantized):
    """dict(count, mse, sqnr_db, max_abs_error, ...) of two 2-D arrays."""
    o = np.asarray(original)
    d = np.asarray(dequantized)
    if o.ndim == 1:
        o, d = o.reshape(1, -1), d.reshape(1, -1)
    return _core.compute_stats(o, d)


def sqnr(original, dequantized):
    """Signal-to-quantization-noise ratio in dB (+inf if exact)."""
    return compute_stats(original, dequantized)["sqnr_db"]


def mse(original, dequantized):
    """Mean squared error."""
    return compute_stats(original, dequantized)["mse"]


def _accel_text(accel):
    if accel is None:
        return ""
    if isinstance(accel, dict):
        return json.dumps(accel)
    if isinstance(accel, (str, bytes)):
        text = accel.decode() if isinstance(accel, bytes) else accel
        if text.strip().endswith(".json") and os.path.isfile(text.strip()):
            with open(text.strip()) as f:
                return f.read()
        return text
    raise TypeError("accel: expected None, a dict, JSON text, a .json path "
                    "or 'key=value,...'")


def accel_config(accel=None):
    """The validated AccelConfig (paper defaults + `accel`) as a dict.

    `accel` is None, a dict of AccelConfig JSON keys, JSON text, a path to
    a .json file or 'key=value,...' (e.g. 'tiles=8,disc_grid=2x4')."""
    return json.loads(_core.accel_config_json(_accel_text(accel)))


def estimate(M, N, K, dtype="bitmod3", accel=None, kind="bitmod",
             group_size=128, attention=False, arrangement="auto",
             analytic=False):
    """Cost of Y[M, N] = X[M, K] W[N, K]^T (CostModel.h).

    The planned cost (the best plan of the shared planner, simulated by the
    timing model), or with `analytic=True` the closed-form formula (fast;
    what the DSE's cost-model timing uses). Returns a dict: total_cycles,
    compute/dram/fill/drain cycles, bytes, energy_pj (+ breakdown) and the
    chosen blocking/arrangement. `kind` is bitmod, fp16, ant or olive
    (baselines)."""
    return _core.estimate(int(M), int(N), int(K), dtype, _accel_text(accel),
                          kind, group_size, attention, arrangement,
                          bool(analytic))


def grouped_matmul(x, packed, output="fp32", return_stats=False):
    """y[M, N] = x[M, K] W^T through the bit-exact PE datapath.

    `x` is rounded to FP16 (float16 input is used as is). Errors for fp16
    weights and float group scales (scale_bits=0)."""
    x = np.asarray(x)
    if x.ndim == 1:
        x = x.reshape(1, -1)
    y, term_steps, dequants = _core.grouped_matmul(x, packed, output)
    if return_stats:
        return y, {"term_steps": term_steps, "group_dequants": dequants}
    return y


def read_bmod(path_or_bytes):
    """A `Program` from a .bmod path or its bytes (verified)."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        return Program.from_bytes(bytes(path_or_bytes))
    return Program.read(os.fspath(path_or_bytes))


def write_bmod(program, path):
    """Writes a `Program` to `path` (verified first)."""
    program.write(os.fspath(path))


def tools_dir():
    """Directory of the bitmod tools: $BITMOD_TOOLS_DIR, the build tree's
    bin/ next to the extension, or the installed prefix's bin/."""
    if os.environ.get("BITMOD_TOOLS_DIR"):
        return os.environ["BITMOD_TOOLS_DIR"]
    core_dir = os.path.dirname(os.path.abspath(_core.__file__))
    for rel in (("..", "..", "bin"), ("..", "..", "..", "..", "bin"),
                ("..", "..", "..", "bin")):
        d = os.path.abspath(os.path.join(core_dir, *rel))
        if os.path.isfile(os.path.join(d, "bitmod-quant")):
            return d
    found = shutil.which("bitmod-quant")
    return os.path.dirname(found) if found else None


def find_tool(name):
    """Path of a bitmod tool (bitmod-quant, bitmod-sim, ...)."""
    d = tools_dir()
    if d and os.path.isfile(os.path.join(d, name)):
        return os.path.join(d, name)
    found = shutil.which(name)
    if not found:
        raise Error(f"cannot find the tool '{name}' (set BITMOD_TOOLS_DIR)")
    return found


def run_model_sim(sim_path, inputs, report=False, extra_args=(), timeout=None):
    """Runs a compiled model.sim with numpy inputs; returns its outputs.

    `inputs` maps input names to arrays (written as .npy). Returns a dict
    of output name -> array, plus "__report__" (the JSON report) when
    `report` is true. A failing run raises `Error` with model.sim's stderr.
    """
    with tempfile.TemporaryDirectory(prefix="bitmod-sim-") as tmp:
        args = [os.fspath(sim_path)]
        for name, arr in inputs.items():
            path = os.path.join(tmp, f"in_{len(args)}.npy")
            np.save(path, np.ascontiguousarray(arr))
            args.append(f"--input={name}={path}")
        out_dir = os.path.join(tmp, "out")
        args.append(f"--output-dir={out_dir}")
        report_path = os.path.join(tmp, "report.json")
        if report:
            args.append(f"--report={report_path}")
        args.extend(extra_args)
        r = subprocess.run(args, capture_output=True, text=True,
                           timeout=timeout)
        if r.returncode != 0:
            raise Error(r.stderr.strip() or
                        f"{sim_path} exited with {r.returncode}")
        outputs = {}
        for f in sorted(os.listdir(out_dir)) if os.path.isdir(out_dir) else []:
            if f.endswith(".npy"):
                outputs[f[:-4]] = np.load(os.path.join(out_dir, f))
        if report:
            with open(report_path) as f:
                outputs["__report__"] = json.load(f)
        return outputs

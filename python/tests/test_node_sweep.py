"""Imports every ONNX conformance node model whose ops are all supported.

Run as a script (prints "N imported, M skipped (unsupported op), F failed")
or through pytest (fails if any supported model fails to import).
Environment: BITMOD_TRANSLATE (path of bitmod-translate), ONNX_NODE_DIR.
"""

import glob
import os
import subprocess
import sys

NODE_DIR = os.environ.get("ONNX_NODE_DIR",
                          "/usr/share/libonnx-testdata/data/node")


def _translate():
    t = os.environ.get("BITMOD_TRANSLATE")
    if t:
        return t
    tools = os.environ.get("BITMOD_TOOLS_DIR")
    if tools and os.path.exists(os.path.join(tools, "bitmod-translate")):
        return os.path.join(tools, "bitmod-translate")
    here = os.path.dirname(os.path.abspath(__file__))
    for build in ("build", "build-import"):
        p = os.path.join(here, "..", "..", build, "bin", "bitmod-translate")
        if os.path.exists(p):
            return p
    return "bitmod-translate"


def sweep(verbose=False):
    tool = _translate()
    imported, skipped, failed = 0, 0, []
    for model in sorted(glob.glob(os.path.join(NODE_DIR, "*", "model.onnx"))):
        r = subprocess.run([tool, "--import-onnx", model, "-o", os.devnull],
                           capture_output=True, text=True, timeout=120)
        name = os.path.basename(os.path.dirname(model))
        if r.returncode == 0:
            imported += 1
        elif "unsupported ONNX operators" in r.stderr:
            skipped += 1
        elif r.returncode < 0:
            failed.append((name, "crashed with signal %d" % -r.returncode))
        else:
            failed.append((name, r.stderr.strip().splitlines()[0]
                           if r.stderr.strip() else "no diagnostic"))
    if verbose:
        for name, why in failed:
            print("FAILED %s: %s" % (name, why))
    print("%d imported, %d skipped (unsupported op), %d failed"
          % (imported, skipped, len(failed)))
    return imported, skipped, failed


def test_node_sweep():
    imported, _, failed = sweep()
    assert imported > 0
    # Failures must be clean diagnostics, never crashes.
    crashes = [f for f in failed if f[1].startswith("crashed")]
    assert not crashes, crashes


if __name__ == "__main__":
    sweep(verbose="-v" in sys.argv)

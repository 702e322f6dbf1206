"""bitmod-mlir from Python.

`bitmod.api` (re-exported here) wraps the C++ core `bitmod._core`:
quantization, data-type tables, metrics, the cost model, the functional
datapath, .bmod programs and running compiled `model.sim` binaries. The
other modules are test helpers (numpy reference quantizer, ONNX models).

Where `_core` comes from: an installed package holds it beside this file.
From the source tree (PYTHONPATH=python), the build writes it to
<build>/python_packages/bitmod/, which is added to this package's path;
<build> is $BITMOD_BUILD_DIR, else the parent of $BITMOD_TOOLS_DIR, else
<repo>/build. See docs/python.md.
"""

import os as _os


def _build_package_dirs():
    here = _os.path.dirname(_os.path.abspath(__file__))
    candidates = []
    if _os.environ.get("BITMOD_BUILD_DIR"):
        candidates.append(_os.environ["BITMOD_BUILD_DIR"])
    if _os.environ.get("BITMOD_TOOLS_DIR"):
        candidates.append(_os.path.dirname(
            _os.path.abspath(_os.environ["BITMOD_TOOLS_DIR"])))
    candidates.append(_os.path.join(here, "..", "..", "build"))
    dirs = []
    for c in candidates:
        d = _os.path.abspath(_os.path.join(c, "python_packages", "bitmod"))
        if _os.path.isdir(d) and d != here and d not in dirs:
            dirs.append(d)
    return dirs


__path__.extend(_build_package_dirs()[:1])  # noqa: F821 (package __path__)

try:
    from .api import *  # noqa: F401,F403
    from .api import __all__ as _api_all
    __all__ = list(_api_all)
except ImportError as _e:  # the extension is not built: helpers still work
    _IMPORT_ERROR = _e
    __all__ = []

    def __getattr__(name):
        raise AttributeError(
            f"bitmod.{name}: the C++ core is not available ({_IMPORT_ERROR}); "
            "build the BitMoDPythonCore target or set BITMOD_BUILD_DIR")

# -*- Python -*-
# lit configuration of the bitmod-mlir tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "BITMOD"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtxt", ".s", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.bitmod_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%bitmod_src", config.bitmod_src_root))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.bitmod_tools_dir, append_path=True)
llvm_config.with_environment(
    "PYTHONPATH", os.path.join(config.bitmod_src_root, "python"), append_path=True)

tools = ["bitmod-opt", "bitmod-translate", "bitmod-quant", "bitmod-sim",
         "bitmod-compile"]
llvm_config.add_tool_substitutions(
    [ToolSubst(t, unresolved="fatal") for t in tools],
    [config.bitmod_tools_dir])

# scripts/run-tests.sh --sanitize: model.sim links the sanitizer-instrumented
# runtime, so bitmod-compile must build it with the sanitizers ($CXX).
if os.environ.get("BITMOD_SANITIZE_CXX"):
    config.environment["CXX"] = os.environ["BITMOD_SANITIZE_CXX"]

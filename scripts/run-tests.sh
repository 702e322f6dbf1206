#!/usr/bin/env bash
# Sets everything up (packages, build) and runs the whole test suite: the lit
# tests, the gtest unit tests (through ctest) and the Python tests. Ends with
# a line "N passed, N failed, N skipped" summing all three.
#
# --sanitize: instead, builds build-asan/ (or $BITMOD_ASAN_BUILD_DIR;
# scripts/configure-asan.sh: clang 22, -O1 -g, ASan + UBSan, the fuzz
# targets) with only the tools, unit tests and fuzzers, and runs the lit
# suite (without the tests that load the Python extension or install the
# package, and with a sample of the end-to-end tests), the unit tests and
# each fuzz target once over its committed corpus, all under the
# sanitizers. Any sanitizer report fails its test.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sanitize=0
if [[ "${1:-}" == "--sanitize" ]]; then
  sanitize=1
elif [[ $# -gt 0 ]]; then
  echo "usage: scripts/run-tests.sh [--sanitize]" >&2
  exit 2
fi
jobs="$(nproc)"
if (( sanitize )); then
  build="${BITMOD_ASAN_BUILD_DIR:-$root/build-asan}"
  if [[ ! -f "$build/build.ninja" ]] &&
     ! "$root/scripts/configure-asan.sh" "$build" >&2; then
    echo "sanitizer build: configure failed"
    echo "0 passed, 1 failed"
    exit 1
  fi
  if ! cmake --build "$build" -j "$jobs" --target bitmod-opt bitmod-translate \
       bitmod-sim bitmod-compile bitmod-quant bitmod-unittests bitmod-fuzzers >&2; then
    echo "sanitizer build failed"
    echo "0 passed, 1 failed"
    exit 1
  fi
  # model.sim links the instrumented runtime libraries: compile it with the
  # sanitizers too (lit.cfg.py passes this on as $CXX).
  cxx_wrapper="$build/bin/bitmod-sanitize-cxx"
  printf '#!/bin/sh\nexec /usr/lib/llvm-22/bin/clang++ -fsanitize=address,undefined "$@"\n' \
    > "$cxx_wrapper"
  chmod +x "$cxx_wrapper"
  export BITMOD_SANITIZE_CXX="$cxx_wrapper"
  # Leaks count; UB aborts (it is compiled -fno-sanitize-recover as well).
  # allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons its slabs when
  # its header is compiled with ASan, but the uninstrumented libMLIR.so
  # allocates from the same slabs (storage uniquer) without unpoisoning:
  # every such access would be a false use-after-poison.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:allow_user_poisoning=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  # Not under the sanitizers: tests that import the Python extension (not
  # built here) or install the package; end-to-end tests beyond a sample
  # (each compiles a model.sim).
  lit_filter_out='^BITMOD :: (install/|Import/(convnet|decoder-layer)\.test|Conversion/run-decoder-dtype-none\.test|e2e/(bind-input|conv-groups|convtranspose|driver-mlir-options|f16-model|int-pow|resize|typed-io|unsigned)\.test|e2e-timing/schedule-sweep\.test)'
  export LIT_FILTER_OUT="$lit_filter_out"
else
  build="${BITMOD_BUILD_DIR:-$root/build}"
  if ! "$root/scripts/setup.sh"; then
    echo "setup failed"
    echo "0 passed, 1 failed"
    exit 1
  fi
fi
# pytest runs under the interpreter the build was configured with (CMake's
# Python3_EXECUTABLE, /usr/bin/python3 by default), like the lit tests.
python="$(sed -n 's/^Python3_EXECUTABLE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null)"
python="${python:-/usr/bin/python3}"
logs="$build/test-logs"
mkdir -p "$logs"

# Extracts the number before a word ("12 passed") from a log, 0 if absent.
count() { grep -Eo "[0-9]+ $2" "$1" | tail -1 | grep -Eo '^[0-9]+' || echo 0; }
# Extracts "Label: N" from lit's summary, 0 if absent.
litcount() { grep -E "^ *$2 *: *[0-9]+" "$1" | grep -Eo '[0-9]+' | head -1 || echo 0; }

echo "== lit"
/usr/lib/llvm-22/bin/lit -s --no-progress-bar -j "$jobs" "$build/test" 2>&1 |
  tee "$logs/lit.txt"
lit_status=${PIPESTATUS[0]}
lit_passed=$(( $(litcount "$logs/lit.txt" Passed) +
               $(litcount "$logs/lit.txt" 'Expectedly Failed') ))
lit_failed=0
for label in Failed 'Unexpectedly Passed' Unresolved 'Timed Out'; do
  lit_failed=$(( lit_failed + $(litcount "$logs/lit.txt" "$label") ))
done
lit_skipped=$(( $(litcount "$logs/lit.txt" Unsupported) +
                $(litcount "$logs/lit.txt" Skipped) ))
if (( lit_status != 0 && lit_failed == 0 )); then lit_failed=1; fi

echo "== unit tests (ctest)"
ctest_exclude='^(lit|pytest)$'
if (( sanitize )); then
  # Not here: the install test (it installs the Python extension, which is
  # not built here) and the RTL co-simulation (Verilator, not instrumented).

  ctest_exclude='^(lit|pytest|bitmod-install|rtl-cosim)$'
fi
(cd "$build" && ctest --output-on-failure -j "$jobs" -E "$ctest_exclude") 2>&1 |
  tee "$logs/ctest.txt"
ctest_status=${PIPESTATUS[0]}
summary=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$logs/ctest.txt" | tail -1)
ctest_total=$(echo "$summary" | sed -nE 's/.*out of ([0-9]+).*/\1/p')
ctest_failed=$(echo "$summary" | sed -nE 's/.* ([0-9]+) tests failed.*/\1/p')
ctest_skipped=$(grep -cE '\(Skipped\)$' "$logs/ctest.txt" || true)
ctest_total=${ctest_total:-0}; ctest_failed=${ctest_failed:-1}
ctest_passed=$(( ctest_total - ctest_failed - ctest_skipped ))
if (( ctest_status != 0 && ctest_failed == 0 )); then ctest_failed=1; fi

py_passed=0 py_failed=0 py_skipped=0
if (( ! sanitize )); then
echo "== python tests (pytest)"
rm -f "$logs/node-e2e.txt"
(cd "$root" && BITMOD_TOOLS_DIR="$build/bin" PYTHONPATH="$root/python" \
  BITMOD_E2E_SUMMARY="$logs/node-e2e.txt" \
  "$python" -m pytest -q -p no:cacheprovider "$root/python/tests") 2>&1 |
  tee "$logs/pytest.txt"
py_status=${PIPESTATUS[0]}
py_passed=$(count "$logs/pytest.txt" passed)
py_failed=$(( $(count "$logs/pytest.txt" failed) + $(count "$logs/pytest.txt" error) ))
py_skipped=$(count "$logs/pytest.txt" skipped)
if [[ -f "$logs/node-e2e.txt" ]]; then
  echo "== ONNX backend node tests end to end (python/tests/test_e2e_node.py)"
  cat "$logs/node-e2e.txt"
fi
# pytest exits 5 when it collected nothing: not a failure of the suite.
if (( py_status != 0 && py_status != 5 && py_failed == 0 )); then py_failed=1; fi
fi

passed=$(( lit_passed + ctest_passed + py_passed ))
failed=$(( lit_failed + ctest_failed + py_failed ))
skipped=$(( lit_skipped + ctest_skipped + py_skipped ))
echo
if (( sanitize )); then
  echo "sanitized (ASan+UBSan) lit: $lit_passed passed, $lit_failed failed;" \
       "unit + fuzz corpora: $ctest_passed passed, $ctest_failed failed"
else
  echo "lit: $lit_passed passed, $lit_failed failed; unit: $ctest_passed passed," \
       "$ctest_failed failed; python: $py_passed passed, $py_failed failed"
fi
echo "$passed passed, $failed failed, $skipped skipped"
(( failed == 0 ))

#!/usr/bin/env bash
# Build ttsolve with AddressSanitizer + UndefinedBehaviorSanitizer and run the test suite
# under it (docs/development.md, "Sanitizers").
#
#   tools/sanitize.sh                 # whole suite
#   tools/sanitize.sh tests/test_tt_errors.py -k complex   # any pytest arguments
#
# The instrumented build lives in its own build directory (build/sanitize) and venv
# (.venv-sanitize, or $TTSOLVE_SANITIZE_VENV), so the normal editable build is untouched;
# reruns are incremental. CPython itself is not instrumented, so libasan must be loaded
# first (LD_PRELOAD), together with libstdc++ so that C++ exceptions thrown through the
# extension are intercepted by the same runtime. Leak detection is off: CPython keeps
# interned objects alive at exit, which LeakSanitizer would report.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${TTSOLVE_SANITIZE_VENV:-$PWD/.venv-sanitize}"
cxx="${CXX:-g++}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv --system-site-packages "$venv"
fi
# shellcheck disable=SC1091
source "$venv/bin/activate"
python -c "import numpy, scipy" 2>/dev/null || pip install -q "numpy>=1.23" "scipy>=1.10"
python -c "import pytest, hypothesis" 2>/dev/null || pip install -q "pytest>=7" "hypothesis>=6"
python -c "import scikit_build_core, pybind11" 2>/dev/null || pip install -q scikit-build-core pybind11

# Non-editable install (the tests must import the instrumented module, not build/'s).
pip install -q --no-build-isolation --no-deps \
  -C cmake.define.TTSOLVE_SANITIZE=ON \
  -C cmake.build-type=Debug \
  -C install.strip=false \
  -C build-dir=build/sanitize \
  .

libasan="$("$cxx" -print-file-name=libasan.so)"
libstdcxx="$("$cxx" -print-file-name=libstdc++.so)"
export LD_PRELOAD="$libasan $libstdcxx"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
# The package sources sit in python/, so `import ttsolve` finds the venv's instrumented copy.
exec python -m pytest -q -p no:cacheprovider "${@:-tests}"  # tests/fuzz skips itself here

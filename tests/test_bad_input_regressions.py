"""Regressions of issue 20 (bad input outside mcmc/ and pde/): each test failed on 232f856.

Cases that crashed the process there (thread counts, huge trains) run in a subprocess, so
that the old behaviour shows as a failed assertion, not a dead test run.
"""

import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import ttsolve
from ttsolve import TensorTrain
from ttsolve.basis import Legendre
from ttsolve.cli import main
from ttsolve.io import FormatError


def run_python(code: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)


# ---- item 3: complex cores through unpickling ---------------------------------------------
def test_setstate_refuses_complex_cores():
    x = TensorTrain.random([3, 4], 2, seed=0)
    y = TensorTrain.__new__(TensorTrain)
    with pytest.raises(TypeError, match=r"cores\[0\] has dtype complex"):
        y.__setstate__([c.astype(complex) + 1j for c in x.cores])
    assert pickle.loads(pickle.dumps(x)).dims == x.dims  # a real pickle still loads


# ---- item 3: x - x rounds to rank 1 ---------------------------------------------------------
@pytest.mark.parametrize("dims, rank", [([3, 4, 5, 2], 3), ([2] * 10, 4), ([4] * 50, 3), ([5, 6], 2)])
def test_difference_of_equal_trains_rounds_to_rank_one(dims, rank):
    x = TensorTrain.random(dims, rank, seed=len(dims))
    z = (x - x).round(1e-8)
    assert z.ranks == (1,) * (len(dims) + 1)
    assert z.norm() == 0.0
    # genuine trains are untouched by the zero test
    y = TensorTrain.random(dims, rank, seed=7)
    assert (x + y).round(1e-12).norm() == pytest.approx((x + y).norm(), rel=1e-10)


# ---- item 3: Legendre far outside its domain ---------------------------------------------
def test_basis_values_that_overflow_raise():
    with pytest.raises(ValueError, match=r"X\[0, 0\] = 1e\+300 .* overflow"):
        Legendre(30).evaluate([[1e300]])
    vals = Legendre(3).evaluate([[1e10]])  # far outside but representable: allowed
    assert np.isfinite(vals).all()


# ---- item 2: thread counts --------------------------------------------------------------
@pytest.mark.parametrize("n", [100000, 2000])
def test_huge_thread_counts_raise_value_error(n):
    code = (f"import ttsolve\ntry:\n    ttsolve.set_num_threads({n})\nexcept ValueError as e:\n    print('VE', e)\n"
            "x = ttsolve.TensorTrain.random([4] * 6, 3)\nprint((x + x).round(1e-8).ranks)")
    out = run_python(code)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.startswith("VE ") and "<=" in out.stdout


def test_thread_cap_is_documented_and_usable():
    cap = ttsolve.max_num_threads()
    assert cap == 4 * (os.cpu_count() or 1)
    old = ttsolve.get_num_threads()
    try:
        ttsolve.set_num_threads(cap)
        assert ttsolve.get_num_threads() == cap
        with pytest.raises(ValueError, match=f"<= {cap}"):
            ttsolve.set_num_threads(cap + 1)
    finally:
        ttsolve.set_num_threads(old)


# ---- item 4: huge trains -----------------------------------------------------------------
@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="AddressSanitizer's shadow memory does not fit under RLIMIT_AS")
def test_huge_random_train_raises_memory_error_naming_the_shape():
    # 1e12 entries (8 TB) under a 4 GB address-space limit: refused before any allocation.
    code = ("import resource\nresource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
            "import ttsolve\ntry:\n    ttsolve.TensorTrain.random([10**12], 1)\n"
            "except MemoryError as e:\n    print('ME', e)\n"
            "try:\n    ttsolve.TensorTrain.random([10**9], 1)\nexcept MemoryError as e:\n    print('ME', e)\n")
    out = run_python(code)
    assert out.returncode == 0, out.stderr[-500:]
    lines = out.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("ME ") for line in lines), out.stdout
    assert "dims (1000000000)" in lines[1] and "GB" in lines[1] and "bad_alloc" not in out.stdout


# ---- item 5: load ----------------------------------------------------------------------
def _bad_files(tmp_path):
    good = tmp_path / "good.npz"
    ttsolve.save(good, TensorTrain.random([3, 4], 2, seed=0))
    raw = good.read_bytes()
    files = {
        "truncated": raw[: len(raw) // 2],
        "empty": b"",
        "pickle": pickle.dumps({"__kind__": "tensor_train"}),
        "text": b"hello world\n",
        "random": np.random.default_rng(0).bytes(300),
        "corrupted": raw[:40] + bytes(b ^ 0x5A for b in raw[40:200]) + raw[200:],
    }
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.ones(3))
    files["foreign_npz"] = foreign.read_bytes()
    complex_file = tmp_path / "complex.npz"
    np.savez(complex_file, __kind__=np.array("tensor_train"), __format__=np.array(1), ndim=np.array(1),
             core_0=np.ones((1, 2, 1), dtype=complex))
    files["complex_core"] = complex_file.read_bytes()
    missing = tmp_path / "missing.npz"
    np.savez(missing, __kind__=np.array("tensor_train"), __format__=np.array(1), ndim=np.array(3),
             core_0=np.ones((1, 2, 1)))
    files["missing_core"] = missing.read_bytes()
    with zipfile.ZipFile(tmp_path / "obj.npz", "w") as zf:
        zf.writestr("__kind__.npy", pickle.dumps("x"))
    files["zip_of_pickle"] = (tmp_path / "obj.npz").read_bytes()
    return files


def test_load_raises_format_error_naming_the_path(tmp_path):
    assert issubclass(FormatError, ValueError) and ttsolve.FormatError is FormatError
    for name, content in _bad_files(tmp_path).items():
        path = tmp_path / f"{name}.bin"
        path.write_bytes(content)
        with pytest.raises(FormatError) as info:
            ttsolve.load(path)
        assert str(path) in str(info.value), name
    with pytest.raises(FileNotFoundError):
        ttsolve.load(tmp_path / "does-not-exist.npz")


# ---- item 5: the command line ------------------------------------------------------------
@pytest.mark.parametrize("argv, needle", [
    (["solve", "no-such-problem"], "unknown problem"),
    (["solve", "hjb", "--dim", "0"], "--dim"),
    (["solve", "hjb", "--n-samples", "0"], "--n-samples"),
    (["solve", "hjb", "--threads", "0"], "--threads"),
    (["solve", "hjb", "--threads", "100000"], "--threads"),
    (["solve", "hjb", "--seed", "-1"], "--seed"),
    (["solve", "hjb", "--n-steps", "x"], "--n-steps"),
    (["solve", "hjb", "--degree", "-2"], "--degree"),
    (["solve", "hjb", "--max-rank", "0"], "--max-rank"),
    (["solve", "hjb", "--scheme", "sideways"], "--scheme"),
])
def test_cli_bad_arguments_give_usage_and_exit_2(argv, needle, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ") and needle in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if "error:" in line]) == 1


def test_cli_progress_needs_no_tqdm():
    code = ("import sys\nsys.modules['tqdm'] = None  # as after the README's install: no tqdm\n"
            "from ttsolve.cli import main\n"
            "sys.exit(main(['solve', 'hjb', '--dim', '2', '--n-steps', '3', '--n-samples', '100', '--progress']))")
    out = run_python(code, timeout=300)
    assert out.returncode == 0, out.stderr[-800:]
    assert "3/3" in out.stderr and "V(0, x0)" in out.stdout


# ---- items 2 and 5 in ttsolve.mcmc: bounded flips, integer lattice sides ------------------
def test_n_flips_beyond_the_number_of_sites_raises():
    from ttsolve.mcmc import IsingLattice, sample

    model = IsingLattice((4, 4), coupling=0.2)
    for n in (2**31, 10**8, 17):
        with pytest.raises(ValueError, match="n_flips"):
            sample(model, "gwg", 2, 5, n_flips=n, seed=0)
    assert sample(model, "gwg", 2, 5, n_flips=16, seed=0).acceptance.shape == (2,)


def test_ising_lattice_refuses_fractional_sides():
    from ttsolve.mcmc import IsingLattice

    for shape in ((3.7, 3), (3, "3"), 2.5):
        with pytest.raises(TypeError, match="shape"):
            IsingLattice(shape, coupling=0.2)
    assert IsingLattice((np.int64(3), 3), coupling=0.2).dim == 9


# ---- found by the fuzz suite: fit with |y| near float64's maximum ------------------------
def test_fit_refuses_values_whose_squares_overflow():
    from ttsolve.regression import fit

    X = np.random.default_rng(0).random((20, 2))
    with pytest.raises(ValueError, match="rescale"):
        fit(X, np.full(20, 1e308), Legendre(1))

"""Fuzz worker (run as a subprocess by harness.py): reads one Python expression per line on
stdin, evaluates it and writes one line per case on stdout:

    OK <type of the result>          a result (finite where it is a float array or float)
    EXC <exception type> <message>   an exception
    BAD <what>                       a result that is NaN/inf although no input was

The address-space limit (argv[1], bytes) is set before numpy or ttsolve is imported, so an
allocation too large for it fails with MemoryError instead of swapping the machine.
"""

import resource
import sys

limit = int(sys.argv[1])
if limit > 0:  # 0: no limit (the sanitizer build, whose shadow memory needs terabytes of address space)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

import os  # noqa: E402
import pickle  # noqa: E402,F401  (the load cases)
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

import ttsolve  # noqa: E402
from ttsolve import TensorTrain, round_sum  # noqa: E402,F401
from ttsolve.basis import H2Orthogonal, Hermite, Legendre, Monomial  # noqa: E402,F401
from ttsolve.cli import main as cli_main  # noqa: E402,F401
from ttsolve.functional import FunctionalTT  # noqa: E402,F401
from ttsolve.mcmc import IsingLattice, sample  # noqa: E402,F401
from ttsolve.pde import get_problem, solve  # noqa: E402,F401
from ttsolve.regression import fit  # noqa: E402,F401

x = TensorTrain.random([3, 4, 2], 2, seed=0)  # noqa: F841  (a train the cases operate on)
tmpdir = tempfile.mkdtemp(prefix="ttsolve-fuzz-")


def write_file(content: bytes) -> str:
    """A file holding `content` (for the load cases)."""
    path = os.path.join(tmpdir, "case.bin")
    with open(path, "wb") as f:
        f.write(content)
    return path


def saved_then(mutate) -> str:
    """A file written by ttsolve.save, its bytes passed through mutate(bytes) -> bytes."""
    path = os.path.join(tmpdir, "good.npz")
    ttsolve.save(path, x)
    with open(path, "rb") as f:
        raw = f.read()
    return write_file(mutate(raw))


def finite(result) -> bool:
    if isinstance(result, float):
        return np.isfinite(result)
    if isinstance(result, np.ndarray) and result.dtype.kind == "f":
        return bool(np.isfinite(result).all())
    return True


sys.stdout.write("READY\n")
sys.stdout.flush()
for line in sys.stdin:
    expr = line.strip()
    try:
        with open(os.devnull, "w") as devnull:  # the CLI cases print
            saved = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = devnull
            try:
                result = eval(expr)  # noqa: S307  (the harness's own generated expressions)
            finally:
                sys.stdout, sys.stderr = saved
        out = f"OK {type(result).__name__}" if finite(result) or "nan" in expr or "inf" in expr else "BAD non-finite"
    except SystemExit as exc:
        out = f"EXC SystemExit {exc.code}"
    except BaseException as exc:  # noqa: BLE001  (every exception is reported to the harness)
        out = f"EXC {type(exc).__name__} {str(exc)[:200]!r}"
    sys.stdout.write(out.replace("\n", " ") + "\n")
    sys.stdout.flush()

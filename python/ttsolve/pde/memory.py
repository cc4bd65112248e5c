"""Memory a solve will need, computed before it starts (stated in the Solution and by the CLI),
and the up-front refusal of a solve that cannot fit.

The estimate is the paths' storage (:func:`ttsolve.pde.path_store.storage_plan`: full, or
checkpoints regenerated per segment) plus the working set of one backward step, which holds a
few (K, d) arrays per path set (X_n, its increment, grad g, Z, the inner-sampling centres, the
regression's basis values) and, with inner samples on a TT part, the blocks of inner points.
The working-set coefficients were measured with tracemalloc on small solves
(tests/test_pde_memory.py checks peak <= estimate <= 2 peak + 8 MiB on small cases).
"""

from __future__ import annotations

from .inner_sampling import _INNER_CHUNK_ENTRIES
from .path_store import path_bytes, storage_plan
from .paths import DEFAULT_MAX_BYTES

__all__ = ["solve_memory", "check_solve_memory", "format_bytes", "format_memory", "MEMORY_BUDGET_BYTES"]

# A solve whose estimate exceeds this is refused (MemoryError): half the physical memory.
MEMORY_BUDGET_BYTES = DEFAULT_MAX_BYTES

# Working set of one backward step in units of 8 (K + K_v) d bytes, measured with tracemalloc
# (bench/README.md, "Memory of a solve"): 3.5-4.0 with inner samples through the compiled kernel,
# 5.9 with the martingale term (M = 0); fitting a TT with basis size p and rank r adds about p + r.
_STEP_ARRAYS = 7
# Inner samples evaluated in Python are drawn in blocks of B pairs, U = 2 B K d points. A block
# holds its normals and points (~1 U) and F's temporaries: basis values of the TT part (p U),
# values, gradients and Z of h at X_{n+1} in the explicit/trapezoidal schemes (~4 U), g and its
# powers without compiled twin (~1 U). Measured 2.5-8 U (bench/README.md).
_MIB = 2**20
_FIXED = 8 * _MIB  # small temporaries independent of K


def solve_memory(dim: int, n_steps: int, n_samples: int, n_validation: int, *, basis_size: int = 1,
                 max_rank: int = 1, inner_samples: int = 0, scheme: str = "implicit", compiled_g: bool = True,
                 max_full_bytes=None) -> dict:
    """Estimated peak memory (bytes) of ``solve`` with these settings.

    Returns ``dict(total, paths, validation_paths, working, layout, interval)``: ``paths`` and
    ``validation_paths`` are the storage of the training and validation path sets, ``working``
    the per-step working set, ``layout``/``interval`` the paths' storage
    (:func:`~ttsolve.pde.path_store.storage_plan`). ``compiled_g``: the g part of the inner
    samples goes through the compiled kernel (a built-in g, sigma not full)."""
    d, N, K, Kv = int(dim), int(n_steps), int(n_samples), int(n_validation)
    rows = K + Kv
    plan = storage_plan(N, rows, d, max_full_bytes)
    paths, valid_paths = (path_bytes(N, k, d, plan["interval"]) if k > 0 else 0 for k in (K, Kv))
    p, r = int(basis_size), int(max_rank)
    fit_arrays = p + r if p > 1 or r > 1 else 0
    working = 8 * rows * d * (_STEP_ARRAYS + fit_arrays) + _FIXED
    M = int(inner_samples)
    block_arrays = (p if p > 1 else 0) + (4 if scheme != "implicit" else 0) + (0 if compiled_g else 1)
    if M > 1 and block_arrays:
        K_big = max(K, Kv)
        pairs = min(M - 1, max(1, _INNER_CHUNK_ENTRIES // max(1, K_big * d)))
        working += 8 * (2 * pairs * K_big * d) * (1 + block_arrays)
    total = paths + valid_paths + working
    return dict(total=int(total), paths=int(paths), validation_paths=int(valid_paths), working=int(working),
                layout=plan["layout"], interval=int(plan["interval"]))


def check_solve_memory(estimate: dict, n_samples: int, n_validation: int, n_steps: int, dim: int,
                       budget: int = None) -> None:
    """MemoryError naming n_samples when the estimate exceeds the budget (half the physical memory)."""
    budget = MEMORY_BUDGET_BYTES if budget is None else budget
    if estimate["total"] > budget:
        raise MemoryError(
            f"solve: n_samples={n_samples} (+ n_validation={n_validation}) paths of n_steps={n_steps} in d={dim} "
            f"need about {estimate['total'] / 2**30:.2f} GiB (paths {(estimate['paths'] + estimate['validation_paths']) / 2**30:.2f} GiB as "
            f"{estimate['layout']}, working set {estimate['working'] / 2**30:.2f} GiB) > "
            f"{budget / 2**30:.2f} GiB (half the physical memory); reduce n_samples")


def format_bytes(n: int) -> str:
    """'1.23 GiB' / '456 MiB'."""
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / _MIB:.0f} MiB"


def format_memory(estimate: dict) -> str:
    """One line for reports: total, the paths and their layout, the working set."""
    paths = estimate["paths"] + estimate["validation_paths"]
    layout = "held in full" if estimate["layout"] == "full" else f"checkpoints every {estimate['interval']} steps"
    return (f"{format_bytes(estimate['total'])}: paths {format_bytes(paths)} ({layout}), "
            f"working set {format_bytes(estimate['working'])}")

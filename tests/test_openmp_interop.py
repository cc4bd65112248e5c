"""ttsolve and PyTorch in one process: two OpenMP runtimes (ttsolve's libgomp, torch's own)
are a known crash in this ecosystem. Both import orders run an OpenMP kernel of each library
in a fresh interpreter; ttsolve's parallel result must equal its serial one."""

import importlib.util
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")

_RUN_BOTH = """
import numpy as np
def ttsolve_kernel():
    import ttsolve
    x = ttsolve.TensorTrain.random([6] * 30, ranks=8, seed=0)
    idx = np.random.default_rng(1).integers(0, 6, (20000, 30))
    ttsolve.set_num_threads(1)
    serial = x.evaluate(idx)
    ttsolve.set_num_threads(2)
    parallel = x.evaluate(idx)
    assert np.array_equal(serial, parallel), "thread count changed ttsolve's result"
    X = np.random.default_rng(2).uniform(-1, 1, (3000, 6))
    y = np.prod(1 + 0.3 * X, axis=1)
    f, _ = ttsolve.regression.fit(X, y, ttsolve.basis.Legendre(3, domain=(-1, 1)), max_rank=3, seed=0)
    assert np.max(np.abs(f(X) - y)) < 1e-6
def torch_kernel():
    import torch
    torch.set_num_threads(2)
    a = torch.randn(400, 400, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    b = a @ a.T
    assert torch.allclose(b, b.T)
    assert float(torch.linalg.eigvalsh(b)[0]) > -1e-8
"""


@pytest.mark.parametrize("first", ["torch", "ttsolve"])
def test_openmp_kernels_with_torch_in_the_same_process(first):
    second = "ttsolve" if first == "torch" else "torch"
    code = _RUN_BOTH + f"import {first}\nimport {second}\n{first}_kernel()\n{second}_kernel()\n{first}_kernel()\nprint('ok')\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")

import os
import subprocess
import sys

import pytest

import ttsolve


def test_config_reports_threads_openmp_and_blas():
    cfg = ttsolve.config()
    assert cfg["ttsolve"] == ttsolve.__version__
    assert cfg["threads"] >= 1
    assert isinstance(cfg["openmp"], bool)
    assert "openblas" in cfg["blas"].lower() or "cython_blas" in cfg["blas"]


def test_set_num_threads_roundtrip_and_validation():
    old = ttsolve.get_num_threads()
    try:
        ttsolve.set_num_threads(1)
        assert ttsolve.get_num_threads() == 1
        with pytest.raises(ValueError, match="n must be >= 1"):
            ttsolve.set_num_threads(0)
        with pytest.raises(TypeError):
            ttsolve.set_num_threads(1.5)
    finally:
        ttsolve.set_num_threads(old)


def test_omp_num_threads_is_honoured():
    code = "import ttsolve; print(ttsolve.get_num_threads())"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_cli_info_runs():
    out = subprocess.run([sys.executable, "-m", "ttsolve", "info"], capture_output=True, text=True, check=True)
    assert "blas" in out.stdout and "openmp" in out.stdout

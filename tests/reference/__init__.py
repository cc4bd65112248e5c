"""Independent numpy references for the tests (no ttsolve kernels inside)."""

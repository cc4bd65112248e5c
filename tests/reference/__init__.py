"""Independent numpy references that the compiled code is tested against (no ttsolve imports)."""

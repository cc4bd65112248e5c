"""Shared pieces of the distributed PDE tests."""

import pytest


def interrupted_then_resumed(solve_interrupted, solve_resumed):
    """Runs solve_interrupted(progress=...) with a progress callback that interrupts after two
    finished steps (the checkpoint keeps them), then returns solve_resumed()."""
    calls = []

    def stop_after_two(n, diag):
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        solve_interrupted(progress=stop_after_two)
    assert len(calls) == 2
    return solve_resumed()
